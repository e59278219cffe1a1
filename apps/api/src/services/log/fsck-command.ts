/**
 * `signet log fsck`: check a log in a database from scratch (see fsck.ts). The log's public key
 * comes from a PEM file, or else from the local HSM sidecar (an operator tool on the log's host).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { createPublicKey } from "node:crypto";
import { createHsmClient, readHsmSecret } from "@signet/hsm/client";
import { createDb } from "../../db.ts";
import { fsckLog, type FsckReport } from "./fsck.ts";
import { createLogStore } from "./log-store.ts";
import { createProofSource } from "./proofs.ts";
import { createLogKeys } from "./signing.ts";
import { TileCache } from "./tile-cache.ts";

export interface FsckCommandOptions {
  databaseUrl: string;
  origin: string;
  /** PEM SPKI of the log key; when absent the HSM sidecar under dataDir is asked. */
  publicKeyPem?: string;
  dataDir: string;
}

export async function runFsck(opts: FsckCommandOptions): Promise<FsckReport> {
  const db = createDb(opts.databaseUrl, { max: 4 });
  let hsm: ReturnType<typeof createHsmClient> | undefined;
  try {
    let spki: Uint8Array;
    if (opts.publicKeyPem) {
      spki = new Uint8Array(createPublicKey(readFileSync(opts.publicKeyPem, "utf8")).export({ type: "spki", format: "der" }));
    } else {
      hsm = createHsmClient({ socketPath: path.join(opts.dataDir, "hsm", "hsm.sock"), secret: readHsmSecret(path.join(opts.dataDir, "hsm", "secret")) });
      spki = (await hsm.publicKey("log")).spki;
    }
    const keys = await createLogKeys(opts.origin, { publicKey: async () => spki, sign: () => Promise.reject(new Error("fsck never signs")) });
    const store = createLogStore(db);
    const rows = await db.$queryRawUnsafe<{ id: number }[]>(`SELECT id FROM logs WHERE origin = $1`, opts.origin);
    if (!rows[0]) throw new Error(`no log with origin ${opts.origin} in this database`);
    const logId = rows[0].id;
    return await fsckLog({ store, keys, logId, proofs: createProofSource(store, () => logId, new TileCache(4096)) });
  } finally {
    await hsm?.close();
    await db.$disconnect();
  }
}
