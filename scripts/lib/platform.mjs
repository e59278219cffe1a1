import { spawn } from "node:child_process";
import { startWatchdog } from "./watchdog.mjs";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT, BIN } from "./paths.mjs";
import { run, writePrefixed } from "./run.mjs";
import { say, SetupError } from "./log.mjs";
import { isPortFree, waitForHttp } from "./ports.mjs";
import { createCluster } from "./postgres.mjs";

/**
 * Node flags of the api process, here and in the benchmarks (bench/lib/api-process.ts): a larger young
 * generation (32 MiB semi-spaces instead of V8's 16 MiB default ceiling) cut scavenges at 500
 * issuances/s from ~110 to ~40 per 10 s and their total pause by about a third (docs/ca.md, Performance).
 * Not `--min-semi-space-size=16`: it cut the entry pool workers' GC in the log bench (275 → 40–51
 * scavenges per worker, 33 → 10–13 µs per entry), but the flag holds for every isolate and the api's
 * event loop then paused longer per scavenge: CA bench p99 at a fixed 500/s 171–258 ms with it against
 * 114–128 ms without, in three paired runs.
 */
export const API_NODE_FLAGS = ["--max-semi-space-size=32"];

/**
 * Spawn options that put a service in a session of its own, tied to its parent by its stdin.
 *
 * Linux's autogroup scheduler (on by default on most distributions) shares the CPU fairly between
 * sessions first and between the processes of a session second. PostgreSQL starts every backend in a
 * session of its own, so a service left in the start command's session shares one slice with everything
 * else there, while each busy backend gets a whole one. The api's event loop holds the critical path
 * of every request, so it gets its own session: in the CA bench at a fixed 500 issuances/s, p99 was
 * lower in each of five paired runs (94.7–135 ms against 130–378 ms; docs/ca.md).
 *
 * A service in its own session no longer gets the terminal's Ctrl-C, and nothing signals it when its
 * parent dies: the parent keeps the write end of its stdin, and with SIGNET_LIFELINE=stdin the service
 * stops once that pipe closes (apps/api/src/lifeline.ts).
 */
export function ownSession(stdout = "pipe", stderr = "pipe") {
  return { detached: true, stdio: ["pipe", stdout, stderr], env: { SIGNET_LIFELINE: "stdin" } };
}

/** Default ports, each overridable by its environment variable. */
export function defaultPorts(env = process.env) {
  const num = (name, fallback) => {
    const v = env[name];
    if (v === undefined || v === "") return fallback;
    if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 65535) throw new SetupError(`${name}=${v} is not a port number`);
    return Number(v);
  };
  return {
    web: num("SIGNET_WEB_PORT", 3000),
    api: num("SIGNET_API_PORT", 8080),
    idp: num("SIGNET_IDP_PORT", 8081),
    hsm: num("SIGNET_HSM_HEALTH_PORT", 8082),
    postgres: num("SIGNET_PG_PORT", 54329),
  };
}

/** Refuse to start when a port is taken, naming it: a second `npm start` must not touch .data/. */
export async function assertPortsFree(ports, { withPostgres }) {
  for (const [name, port] of Object.entries(ports)) {
    if (name === "postgres" && !withPostgres) continue;
    if (!(await isPortFree(port))) {
      throw new SetupError(`port ${port} (${name}) is already in use — is Signet already running? Stop it, or choose another port with SIGNET_${name === "postgres" ? "PG" : name === "hsm" ? "HSM_HEALTH" : name.toUpperCase()}_PORT.`);
    }
  }
}

/** A pid lock in the data dir: one platform per data directory. */
export function takeLock(dataDir) {
  const lock = path.join(dataDir, "signet.pid");
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, "utf8").trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        throw new SetupError(`Signet is already running on ${dataDir} (pid ${pid}); stop it first`);
      } catch (e) {
        if (e instanceof SetupError) throw e;
        // stale lock from a killed run
      }
    }
  }
  writeFileSync(lock, String(process.pid));
  return () => {
    try {
      if (readFileSync(lock, "utf8").trim() === String(process.pid)) rmSync(lock);
    } catch {}
  };
}

/** Build the web app (turbo caches it by its inputs). */
export async function buildWeb() {
  const env = { NEXT_TELEMETRY_DISABLED: "1", TURBO_TELEMETRY_DISABLED: "1", TURBO_NO_UPDATE_NOTIFIER: "1" };
  const code = await run("web", BIN.turbo, ["run", "build", "--filter=@signet/web", "--output-logs=errors-only", "--log-prefix=none"], { cwd: ROOT, env });
  if (code !== 0) throw new SetupError("the web app did not build (see the output above)");
}

/**
 * Start the whole platform: PostgreSQL (unless databaseUrl is given), migrations, then the HSM sidecar,
 * the dev IdP, the api and the web app, with prefixed logs. Resolves once every component is healthy.
 */
export async function startPlatform({ dataDir, ports, databaseUrl, quietChildren = false }) {
  const children = [];
  let cluster;
  let stopped = false;
  // Stops all of it if this process dies without stopping it (scripts/lib/watchdog.mjs).
  const watchdog = startWatchdog();

  async function stop() {
    if (stopped) return;
    stopped = true;
    for (const child of [...children].reverse()) await stopChild(child);
    if (cluster) await cluster.stop();
    watchdog.disarm();
  }

  try {
    if (!databaseUrl) {
      const pgDir = path.join(dataDir, "postgres");
      cluster = createCluster({ dir: pgDir, port: ports.postgres });
      await cluster.start();
      // Only once it is ours: a cluster that refused to start may belong to another running Signet.
      watchdog.watchCluster(pgDir, ports.postgres);
      databaseUrl = await cluster.ensureDatabase("signet");
    }
    const migrateCode = await run("api", BIN.tsx, [path.join(ROOT, "apps/api/src/db/migrate.ts")], { cwd: ROOT, env: { DATABASE_URL: databaseUrl } });
    if (migrateCode !== 0) throw new SetupError("database migrations failed");

    const common = {
      SIGNET_DATA_DIR: dataDir,
      SIGNET_WEB_URL: `http://localhost:${ports.web}`,
      SIGNET_API_URL: `http://127.0.0.1:${ports.api}`,
      SIGNET_PUBLIC_API_URL: `http://localhost:${ports.api}`,
      SIGNET_IDP_URL: `http://127.0.0.1:${ports.idp}`,
      SIGNET_IDP_ISSUER: `http://localhost:${ports.idp}`,
      SIGNET_API_PORT: String(ports.api),
      SIGNET_IDP_PORT: String(ports.idp),
      SIGNET_HSM_HEALTH_PORT: String(ports.hsm),
      DATABASE_URL: databaseUrl,
      NEXT_TELEMETRY_DISABLED: "1",
    };
    const spawnChild = (name, cmd, args, extra = {}) => {
      const session = extra.ownSession ? ownSession() : { stdio: ["ignore", "pipe", "pipe"], env: {} };
      const child = spawn(cmd, args, { cwd: extra.cwd ?? ROOT, env: { ...process.env, ...common, ...extra.env, ...session.env }, stdio: session.stdio, detached: session.detached });
      const entry = { name, child, exited: false };
      watchdog.watch(child.pid);
      child.stdout.on("data", (c) => quietChildren || writePrefixed(name, c));
      child.stderr.on("data", (c) => quietChildren || writePrefixed(name, c));
      child.on("exit", (code, signal) => {
        entry.exited = true;
        if (!stopped) say(name, `exited unexpectedly (${signal ?? `code ${code}`})`);
      });
      children.push(entry);
      return entry;
    };

    // `node --import tsx` (not the tsx wrapper) so signals reach the process itself.
    const hsm = spawnChild("hsm", process.execPath, ["--import", "tsx", "apps/hsm/src/main.ts"]);
    await waitForHttp(`http://127.0.0.1:${ports.hsm}/healthz`, { timeoutMs: 60_000, isAlive: () => !hsm.exited });
    const idp = spawnChild("idp", process.execPath, ["--import", "tsx", "apps/idp/src/main.ts"]);
    // The embedded portal reaches the api over loopback and passes the browser's address in
    // X-Forwarded-For: the api believes it from loopback peers only (plus any the operator lists).
    const trustedProxies = ["127.0.0.1", "::1", process.env.SIGNET_TRUSTED_PROXIES].filter(Boolean).join(",");
    const api = spawnChild("api", process.execPath, [...API_NODE_FLAGS, "--import", "tsx", "apps/api/src/main.ts"], { env: { SIGNET_TRUSTED_PROXIES: trustedProxies }, ownSession: true });
    const web = spawnChild("web", BIN.next, ["start", "-p", String(ports.web), "-H", "127.0.0.1"], { cwd: path.join(ROOT, "apps/web"), env: { PORT: String(ports.web) } });
    await Promise.all([
      waitForHttp(`http://127.0.0.1:${ports.idp}/healthz`, { timeoutMs: 60_000, isAlive: () => !idp.exited }),
      waitForHttp(`http://127.0.0.1:${ports.api}/healthz`, { timeoutMs: 60_000, isAlive: () => !api.exited }),
      waitForHttp(`http://127.0.0.1:${ports.web}/healthz`, { timeoutMs: 90_000, isAlive: () => !web.exited }),
    ]);
    return {
      stop,
      databaseUrl,
      urls: {
        web: `http://localhost:${ports.web}`,
        api: `http://localhost:${ports.api}`,
        idp: `http://localhost:${ports.idp}`,
        hsm: `http://127.0.0.1:${ports.hsm}/healthz`,
      },
      children,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function stopChild({ child, exited }) {
  return new Promise((resolve) => {
    if (exited || child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
