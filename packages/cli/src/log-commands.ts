/**
 * `signet log fsck`: check a log stored in PostgreSQL from scratch — every leaf hash, every tile, the
 * root, every checkpoint's signature and the consistency between consecutive checkpoints. An
 * operator tool run on the log's host (it reads the database and, without --public-key, asks the
 * local HSM sidecar for the log key).
 */
import path from "node:path";
import { UsageError, parseArgs } from "./args.ts";
import type { Io } from "./io.ts";

export async function logCommand(argv: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "fsck") throw new UsageError(sub === undefined ? "log needs a subcommand: fsck" : `unknown log subcommand ${sub}`);
  const args = parseArgs(rest, { "database-url": true, origin: true, "public-key": true, "data-dir": true });
  const databaseUrl = args.values.get("database-url") ?? io.env.DATABASE_URL;
  if (!databaseUrl) throw new UsageError("give --database-url or set DATABASE_URL");
  const origin = args.values.get("origin") ?? io.env.SIGNET_LOG_ORIGIN ?? "localhost:8080";
  const dataDir = path.resolve(args.values.get("data-dir") ?? io.env.SIGNET_DATA_DIR ?? ".data");
  const publicKeyPem = args.values.get("public-key");
  // Loaded on demand: only this operator command needs the database and the api's log code.
  const { runFsck } = await import("@signet/api/log/fsck");
  const report = await runFsck({ databaseUrl, origin, dataDir, ...(publicKeyPem ? { publicKeyPem } : {}) });
  io.out(`log ${origin}: size ${report.size}, ${report.entries} entries, ${report.tilesChecked} tiles and ${report.checkpointsChecked} checkpoints checked\n`);
  if (report.ok) {
    io.out("ok: every tile, the root and every checkpoint match the entries\n");
    return 0;
  }
  for (const p of report.problems) io.err(`problem: ${p}\n`);
  return 1;
}
