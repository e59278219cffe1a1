/**
 * The worker side of the entry pool (pool.ts): runs each task of a batch in order and answers the
 * whole batch in one message.
 */
import { setPriority } from "node:os";
import { parentPort } from "node:worker_threads";
import { POOL_WORKER_NICE, runPoolTask, type PoolTask } from "./pool.ts";

if (!parentPort) throw new Error("pool-worker.ts runs only as a worker thread");
// On Linux a thread has its own nice value and setpriority(…, 0, …) changes only the calling thread
// (elsewhere it would lower the whole api process, so it is left alone there).
if (process.platform === "linux") {
  try {
    setPriority(POOL_WORKER_NICE);
  } catch {
    // not permitted here: run at the process's priority
  }
}
const port = parentPort;
port.on("message", (batch: { id: number; task: PoolTask }[]) => {
  port.postMessage(batch.map(({ id, task }) => ({ id, outcome: runPoolTask(task) })));
});
