/**
 * The api's tie to the process that started it. `npm start` runs the api in a session of its own
 * (scripts/lib/platform.mjs, for the scheduler's sake), where a terminal's Ctrl-C and the end of the
 * start command no longer reach it as signals; the start command holds the write end of the api's
 * stdin instead, and its end, however it ends, closes that pipe. With SIGNET_LIFELINE=stdin the api
 * stops when that happens, as it would on SIGTERM.
 */
import type { Readable } from "node:stream";

/** Call `stop` once `stdin` ends or closes, when the lifeline is on; returns whether it is. */
export function stopWithParent(lifeline: "stdin" | undefined, stdin: Readable, stop: () => void): boolean {
  if (lifeline !== "stdin") return false;
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    stop();
  };
  stdin.on("end", once);
  stdin.on("close", once);
  stdin.on("error", once);
  // Nothing is ever sent on it: flowing without a reader drops anything that comes, and the end is seen.
  stdin.resume();
  return true;
}
