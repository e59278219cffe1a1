#!/usr/bin/env node
/**
 * The start command's watchdog: stops what the start command started when the start command itself dies
 * without stopping it (SIGKILL, a closed terminal's SIGHUP, a crash). Without it the HSM sidecar, the dev
 * IdP, the web server and PostgreSQL outlived a killed start command and held their ports, so the next
 * `npm start` refused to run. (The api has its own stdin lifeline, apps/api/src/lifeline.ts.)
 *
 * It runs in a session of its own (terminal signals do not reach it) and reads lines on stdin, a pipe
 * from the start command:
 *   child <pid>              stop this process and its descendants
 *   postgres <dir> <port>    stop this cluster (scripts/lib/postgres.mjs)
 *   stopped                  the start command stopped everything itself: exit quietly
 * At end of input without "stopped" (the start command is gone: the kernel closed its end of the pipe), it
 * sends SIGTERM to every registered process tree, SIGKILL to what is left after STOP_GRACE_MS, then stops
 * the clusters, and reports on stderr.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createCluster } from "./postgres.mjs";

const STOP_GRACE_MS = 10_000;

/** Spawn the watchdog; `watch` registers what it must stop, `disarm` tells it everything was stopped. */
export function startWatchdog() {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], { detached: true, stdio: ["pipe", "ignore", "inherit"] });
  child.unref();
  child.stdin.on("error", () => undefined); // a watchdog that died cannot be told anything more
  const send = (line) => {
    if (!child.stdin.destroyed) child.stdin.write(`${line}\n`);
  };
  // A pipe with nothing to write must not keep the start command's event loop alive.
  child.stdin.unref();
  return {
    pid: child.pid,
    watch: (pid) => send(`child ${pid}`),
    watchCluster: (dir, port) => send(`postgres ${dir} ${port}`),
    disarm: () => {
      send("stopped");
      child.stdin.end();
    },
  };
}

/** Every live descendant of `pid`, found through /proc's parent links. */
function descendants(pid) {
  const childrenOf = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), Number(d)]);
    } catch {
      // gone meanwhile
    }
  }
  const out = [];
  for (let i = -1; i < out.length; i++) out.push(...(childrenOf.get(i < 0 ? pid : out[i]) ?? []));
  return out;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pids, sig) {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      // already gone
    }
  }
}

async function reap(children, clusters) {
  // The trees as they are now: once a parent exits, its children would be re-parented and lost to the walk.
  const all = [...new Set(children.flatMap((p) => (alive(p) ? [p, ...descendants(p)] : [])))];
  if (all.length === 0 && clusters.length === 0) return;
  process.stderr.write(`signet watchdog: the start command is gone; stopping ${all.length} process(es) and ${clusters.length} PostgreSQL cluster(s)\n`);
  signal(all, "SIGTERM");
  const deadline = Date.now() + STOP_GRACE_MS;
  while (all.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  signal(all.filter(alive), "SIGKILL");
  for (const { dir, port } of clusters) {
    try {
      await createCluster({ dir, port }).stop();
    } catch (e) {
      process.stderr.write(`signet watchdog: could not stop PostgreSQL in ${dir}: ${e?.message ?? e}\n`);
    }
  }
  process.stderr.write("signet watchdog: stopped\n");
}

async function main() {
  const children = [];
  const clusters = [];
  let stopped = false;
  let buffered = "";
  process.stdin.setEncoding("utf8");
  for await (const chunk of process.stdin) {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const [word, ...rest] = buffered.slice(0, nl).trim().split(" ");
      buffered = buffered.slice(nl + 1);
      if (word === "child" && /^\d+$/.test(rest[0] ?? "")) children.push(Number(rest[0]));
      else if (word === "postgres" && rest.length === 2 && /^\d+$/.test(rest[1])) clusters.push({ dir: rest[0], port: Number(rest[1]) });
      else if (word === "stopped") stopped = true;
    }
  }
  if (!stopped) await reap(children, clusters);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // Terminal signals are not ours to obey (in a session of its own it should not get them anyway).
  for (const s of ["SIGINT", "SIGHUP"]) process.on(s, () => undefined);
  main().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`signet watchdog: ${e?.stack ?? e}\n`);
      process.exit(1);
    },
  );
}
