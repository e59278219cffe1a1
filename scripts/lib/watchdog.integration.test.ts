/**
 * The start command's watchdog (scripts/lib/watchdog.mjs), end to end: a parent that registered its
 * children and a PostgreSQL cluster is killed with SIGKILL, and the watchdog stops them; a parent that
 * stopped everything itself disarms it, and nothing of what it registered is touched.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createCluster } from "./postgres.mjs";
import { freePort } from "./ports.mjs";

const WATCHDOG = pathToFileURL(path.resolve("scripts/lib/watchdog.mjs")).href;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return cond();
}

/**
 * A stand-in start command: starts the watchdog, a child that has a child of its own, registers both
 * (and a cluster when given), prints the pids, then either waits to be killed or disarms and exits.
 */
function parent(opts: { cluster?: { dir: string; port: number }; disarm: boolean }): Promise<{ proc: ChildProcess; pids: { child: number; grandchild: number; watchdog: number } }> {
  const code = `
    import { spawn } from "node:child_process";
    import { startWatchdog } from ${JSON.stringify(WATCHDOG)};
    const w = startWatchdog();
    const child = spawn("sh", ["-c", "sleep 300 & echo $!; wait"], { stdio: ["ignore", "pipe", "ignore"] });
    child.stdout.once("data", (d) => {
      w.watch(child.pid);
      ${opts.cluster ? `w.watchCluster(${JSON.stringify(opts.cluster.dir)}, ${opts.cluster.port});` : ""}
      console.log(JSON.stringify({ child: child.pid, grandchild: Number(String(d).trim()), watchdog: w.pid }));
      ${opts.disarm ? `setTimeout(() => { w.disarm(); process.kill(child.pid, "SIGKILL"); process.exit(0); }, 200);` : "setInterval(() => {}, 1000);"}
    });
  `;
  const proc = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    proc.stdout!.once("data", (d) => resolve({ proc, pids: JSON.parse(String(d)) }));
    proc.once("exit", (c) => reject(new Error(`stand-in start command exited early (${c})`)));
  });
}

describe("the start command's watchdog", () => {
  it("stops the registered process trees and the PostgreSQL cluster when the start command is killed", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "signet-watchdog-"));
    chmodSync(dir, 0o755);
    dirs.push(dir);
    const port = await freePort();
    const cluster = createCluster({ dir: path.join(dir, "pg"), port });
    await cluster.start();
    const pidFile = path.join(cluster.pgdata, "postmaster.pid");
    try {
      const { proc, pids } = await parent({ cluster: { dir: path.join(dir, "pg"), port }, disarm: false });
      expect([pids.child, pids.grandchild, pids.watchdog].every(alive)).toBe(true);
      proc.kill("SIGKILL");
      expect(await waitFor(() => !alive(pids.child) && !alive(pids.grandchild), 15_000)).toBe(true);
      expect(await waitFor(() => !existsSync(pidFile), 45_000)).toBe(true);
      expect(await waitFor(() => !alive(pids.watchdog), 15_000)).toBe(true);
    } finally {
      await cluster.stop();
    }
  });

  it("touches nothing once the start command has stopped everything and disarmed it", async () => {
    const { proc, pids } = await parent({ disarm: true });
    await new Promise((r) => proc.once("exit", r));
    expect(await waitFor(() => !alive(pids.watchdog), 10_000)).toBe(true);
    // The grandchild was left running on purpose (only its parent was killed): the watchdog let it be.
    expect(alive(pids.grandchild)).toBe(true);
    process.kill(pids.grandchild, "SIGKILL");
  });
});
