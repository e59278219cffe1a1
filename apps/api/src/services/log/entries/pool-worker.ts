/**
 * The worker side of the entry pool (pool.ts): runs each task of a batch in order and answers the
 * whole batch in one message.
 */
import { parentPort } from "node:worker_threads";
import { runPoolTask, type PoolTask } from "./pool.ts";

if (!parentPort) throw new Error("pool-worker.ts runs only as a worker thread");
const port = parentPort;
port.on("message", (batch: { id: number; task: PoolTask }[]) => {
  port.postMessage(batch.map(({ id, task }) => ({ id, outcome: runPoolTask(task) })));
});
