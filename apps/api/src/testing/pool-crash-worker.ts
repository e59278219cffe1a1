/**
 * TEST ONLY: the entry pool's worker, except that a task whose request is the bytes "crash" makes the
 * whole worker thread exit, as a native crash or an out-of-memory kill would.
 */
import { parentPort } from "node:worker_threads";
import { runPoolTask, type PoolTask } from "../services/log/entries/pool.ts";

const port = parentPort!;
port.on("message", (batch: { id: number; task: PoolTask }[]) => {
  for (const { task } of batch) {
    if ((task.op === "v1" || task.op === "v2") && Buffer.from(task.request).toString() === "crash") process.exit(3);
  }
  port.postMessage(batch.map(({ id, task }) => ({ id, outcome: runPoolTask(task) })));
});
