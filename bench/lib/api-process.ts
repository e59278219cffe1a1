/**
 * Start the real api process (apps/api/src/main.ts) for a benchmark, with write limits lifted, and
 * wait until its /healthz answers 200. BENCH_PROFILE_DIR adds --cpu-prof.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../scripts/lib/ports.mjs";
import { API_NODE_FLAGS, ownSession } from "../../scripts/lib/platform.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export async function startApiProcess(env: Record<string, string>, { quiet = false } = {}): Promise<{ port: number; process: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const profile = [...(process.env.BENCH_PROFILE_DIR ? ["--cpu-prof", "--cpu-prof-dir", process.env.BENCH_PROFILE_DIR] : []), ...(process.env.BENCH_API_NODE_FLAGS ? process.env.BENCH_API_NODE_FLAGS.split(" ").filter(Boolean) : [])];
  // The same node flags as the product's api (scripts/lib/platform.mjs): a bench-only flag would measure another program.
  // Its own session, as the platform runs it (ownSession: the scheduler's share, a stdin lifeline).
  const session = ownSession(quiet ? "ignore" : "inherit", "inherit");
  const child = spawn(process.execPath, [...API_NODE_FLAGS, ...profile, "--import", "tsx", path.join(ROOT, "apps/api/src/main.ts")], {
    cwd: ROOT,
    env: { ...process.env, SIGNET_API_PORT: String(port), SIGNET_WRITE_RATE: "1000000", SIGNET_WRITE_BURST: "1000000", ...env, ...session.env },
    stdio: session.stdio as ("pipe" | "ignore" | "inherit")[],
    detached: session.detached,
  });
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200) break;
    } catch {}
    if (i > 300 || child.exitCode !== null) throw new Error("the api process did not start");
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
