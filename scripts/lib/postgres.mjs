import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { findPgBin } from "./system.mjs";
import pg from "pg";
import { run } from "./run.mjs";
import { say, SetupError } from "./log.mjs";

const isRoot = process.getuid?.() === 0;

function pgUid() {
  // initdb refuses to run as root: the cluster belongs to the postgres system user.
  const passwd = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"));
  if (!passwd) throw new SetupError("the 'postgres' system user does not exist (is the postgresql package installed?)");
  const [, , uid, gid] = passwd.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

function asPg(bin, args) {
  return isRoot ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, args];
}

/**
 * A private PostgreSQL cluster in `dir`, listening only on 127.0.0.1:`port` and a Unix socket
 * inside the cluster's directory. `initdb` on first use.
 */
export function createCluster({ dir, port, name = "postgres" }) {
  const pgdata = path.join(dir, "pgdata");
  const socketDir = path.join(dir, "run");
  const logFile = path.join(dir, "postgres.log");
  const initdb = findPgBin("initdb");
  const pgCtl = findPgBin("pg_ctl");
  if (!initdb || !pgCtl) throw new SetupError("PostgreSQL server binaries not found under /usr/lib/postgresql");

  async function init() {
    mkdirSync(dir, { recursive: true });
    mkdirSync(socketDir, { recursive: true });
    if (isRoot) {
      const { uid, gid } = pgUid();
      for (const d of [dir, socketDir]) chownSync(d, uid, gid);
      // Every parent must be traversable by the postgres user (mkdtemp makes 0700 directories).
      if ((await run(name, "runuser", ["-u", "postgres", "--", "test", "-x", dir], { quiet: true })) !== 0) {
        throw new SetupError(`the postgres user cannot reach ${dir}: make its parent directories traversable (chmod o+x)`);
      }
    }
    if (existsSync(path.join(pgdata, "PG_VERSION"))) return false;
    if (existsSync(pgdata) && statSync(pgdata).isDirectory()) {
      throw new SetupError(`${pgdata} exists but is not a PostgreSQL cluster (no PG_VERSION). Move it away or delete it to start afresh.`);
    }
    const [cmd, args] = asPg(initdb, ["-D", pgdata, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]);
    if ((await run(name, cmd, args, { quiet: true })) !== 0) throw new SetupError(`initdb failed for ${pgdata}`);
    chmodSync(pgdata, 0o700);
    return true;
  }

  async function start() {
    const created = await init();
    if (existsSync(path.join(pgdata, "postmaster.pid"))) {
      // A stale pid file from a killed run: pg_ctl status tells whether it is really running.
      const [cmd, args] = asPg(pgCtl, ["-D", pgdata, "status"]);
      if ((await run(name, cmd, args, { quiet: true })) === 0) {
        throw new SetupError(`a PostgreSQL server is already running on ${pgdata} (is another Signet running?)`);
      }
    }
    const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${socketDir} -c fsync=on -c max_connections=200`;
    const [cmd, args] = asPg(pgCtl, ["-D", pgdata, "-l", logFile, "-o", opts, "-w", "-t", "60", "start"]);
    if ((await run(name, cmd, args, { quiet: true })) !== 0) {
      let tail = "";
      try { tail = readFileSync(logFile, "utf8").split("\n").slice(-15).join("\n"); } catch {}
      throw new SetupError(`PostgreSQL did not start (log: ${logFile})\n${tail}`);
    }
    say(name, `${created ? "created and started" : "started"} cluster ${pgdata} on 127.0.0.1:${port}`);
  }

  async function stop() {
    if (!existsSync(path.join(pgdata, "postmaster.pid"))) return;
    const [cmd, args] = asPg(pgCtl, ["-D", pgdata, "-m", "fast", "-w", "-t", "30", "stop"]);
    await run(name, cmd, args, { quiet: true });
  }

  /** Create a database if it does not exist. */
  async function ensureDatabase(db) {
    if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new SetupError(`bad database name ${db}`);
    const client = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres` });
    await client.connect();
    try {
      const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [db]);
      if (rowCount === 0) await client.query(`CREATE DATABASE ${db}`);
    } finally {
      await client.end();
    }
    return `postgresql://postgres@127.0.0.1:${port}/${db}`;
  }

  function destroy() {
    rmSync(dir, { recursive: true, force: true });
  }

  return { start, stop, ensureDatabase, destroy, pgdata, port };
}
