/**
 * The log engine on a real PostgreSQL with a real HSM sidecar (SoftHSM2): every step is followed by
 * checkLog (fsck), which recomputes all tiles, the root and every checkpoint from the entries.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyCheckpoint } from "@signet/crypto/checkpoint/checkpoint";
import { verifyInclusion } from "@signet/crypto/merkle/inclusion";
import { verifyConsistency } from "@signet/crypto/merkle/consistency";
import { createHsmSigner } from "@signet/hsm/client";
import { createDb, type Db } from "../../db.ts";
import { migrate } from "../../db/migrate.ts";
import { createTestDatabase } from "../../testing/database.ts";
import { startTestHsm, type TestHsm } from "../../testing/hsm.ts";
import { leafHash } from "./hash.ts";
import { fsckLog } from "./fsck.ts";
import { createLogService, type LogService } from "./log-service.ts";
import { DuplicateLeafError, Integrator, LOOKUP_AFTER_DUPLICATE_MS, LogIntegrityError, SpeculationLostError } from "./integrator.ts";
import { createCheckpointFile } from "./checkpoint-file.ts";
import { createLogStore, type LogStore } from "./log-store.ts";
import { createLogKeys } from "./signing.ts";
import { createProofSource } from "./proofs.ts";
import { TileCache } from "./tile-cache.ts";
import type { PreparedEntry } from "./entries/types.ts";

const ORIGIN = "log.signet.test";

function entry(n: number | string): PreparedEntry {
  const body = Buffer.from(JSON.stringify({ apiVersion: "0.0.1", kind: "hashedrekord", spec: { n: String(n) } }));
  return { kind: "hashedrekord", apiVersion: "0.0.1", body, leafHash: leafHash(body), search: { artifactDigest: `sha256:${String(n).padStart(64, "0")}` } };
}

describe("log engine (PostgreSQL + SoftHSM2)", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  let hsm: TestHsm;
  let log: LogService;
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "signet-logstate-"));

  async function checkLog(service: LogService) {
    const report = await fsckLog({
      store: service.store,
      keys: service.keys,
      logId: service.logId(),
      proofs: createProofSource(service.store, service.logId, new TileCache(64)),
    });
    expect(report.problems).toEqual([]);
    expect(report.size).toBe(service.size);
    return report;
  }

  async function open(dir = stateDir, onFatal?: (e: Error) => void) {
    const signer = createHsmSigner(hsm.client, "log", "P-256", { create: true });
    return createLogService({ db, origin: ORIGIN, signer, stateDir: dir, sequencer: { onFatal } });
  }

  beforeAll(async () => {
    database = await createTestDatabase("log");
    await migrate(database.url);
    db = createDb(database.url);
    hsm = await startTestHsm();
    log = await open();
  });
  afterAll(async () => {
    log?.stop();
    await db?.$disconnect();
    await hsm?.stop();
    await database?.drop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("starts empty with a signed checkpoint of size 0", async () => {
    expect(log.size).toBe(0n);
    const { checkpoint } = await verifyCheckpoint(log.latestCheckpoint().note, [log.keys.noteVerifier], { origin: ORIGIN });
    expect(checkpoint.size).toBe(0n);
    await checkLog(log);
  });

  it("answers an append only with a committed entry, its inclusion proof and SET", async () => {
    const r = await log.append(entry(1));
    expect(r.duplicate).toBe(false);
    expect(r.entry.index).toBe(0n);
    const { checkpoint } = await verifyCheckpoint(r.checkpoint.note, [log.keys.noteVerifier], { origin: ORIGIN });
    expect(checkpoint.size).toBeGreaterThan(r.entry.index);
    verifyInclusion({ index: r.entry.index, size: checkpoint.size, leafHash: leafHash(r.entry.body), proof: r.inclusionProof, root: checkpoint.rootHash });
    expect(log.keys.verifyEntryTimestamp({ body: r.entry.body, integratedTime: r.entry.integratedTime, logIndex: r.entry.index }, r.signedEntryTimestamp)).toBe(true);
    // Durable: a fresh read from the database finds it under the same checkpoint.
    const again = await log.entryByIndex(0n);
    expect(again.entry.body.equals(r.entry.body)).toBe(true);
    await checkLog(log);
  });

  it("batches 700 concurrent appends into few checkpoints, each entry provably included", async () => {
    const before = log.sequencer.stats.batches;
    const results = await Promise.all(Array.from({ length: 700 }, (_, i) => log.append(entry(`c${i}`))));
    const indexes = results.map((r) => r.entry.index).sort((a, b) => (a < b ? -1 : 1));
    expect(indexes).toEqual(Array.from({ length: 700 }, (_, i) => BigInt(i + 1)));
    expect(log.sequencer.stats.batches - before).toBeLessThan(50);
    for (const r of results.slice(0, 50)) {
      const { checkpoint } = await verifyCheckpoint(r.checkpoint.note, [log.keys.noteVerifier]);
      verifyInclusion({ index: r.entry.index, size: checkpoint.size, leafHash: r.entry.leafHash, proof: r.inclusionProof, root: checkpoint.rootHash });
    }
    await checkLog(log);
  });

  it("returns the existing entry for canonically identical submissions, never a second leaf", async () => {
    const size = log.size;
    const [a, b] = await Promise.all([log.append(entry(1)), log.append(entry(1))]);
    expect(a.entry.index).toBe(0n);
    expect(b.entry.index).toBe(0n);
    expect(a.duplicate && b.duplicate).toBe(true);
    const [c, d] = await Promise.all([log.append(entry("new-dup")), log.append(entry("new-dup"))]);
    expect(c.entry.index).toBe(d.entry.index);
    expect([c.duplicate, d.duplicate].sort()).toEqual([false, true]);
    expect(log.size).toBe(size + 1n);
    await checkLog(log);
  });

  it("finds a committed duplicate at commit, plans its batch again and answers it as a duplicate, failing no one", async () => {
    const first = await log.append(entry("optimistic-1"));
    const replanned = log.sequencer.stats.replannedBatches;
    const size = log.size;
    // Past the lookup window of any earlier duplicate, so this batch is planned without a lookup.
    await new Promise((r) => setTimeout(r, LOOKUP_AFTER_DUPLICATE_MS + 50));
    const [again, y, z] = await Promise.all([log.append(entry("optimistic-1")), log.append(entry("optimistic-2")), log.append(entry("optimistic-3"))]);
    expect(again.duplicate).toBe(true);
    expect(again.entry.index).toBe(first.entry.index);
    expect([y.duplicate, z.duplicate]).toEqual([false, false]);
    expect([y.entry.index, z.entry.index].sort()).toEqual([size, size + 1n]);
    expect(log.sequencer.stats.replannedBatches).toBeGreaterThan(replanned);
    // Within the window the lookup finds it before planning: no batch is planned again.
    const replannedNow = log.sequencer.stats.replannedBatches;
    const [dup, w] = await Promise.all([log.append(entry("optimistic-2")), log.append(entry("optimistic-4"))]);
    expect([dup.duplicate, dup.entry.index]).toEqual([true, y.entry.index]);
    expect(w.duplicate).toBe(false);
    expect(log.sequencer.stats.replannedBatches).toBe(replannedNow);
    expect(log.size).toBe(size + 3n);
    await checkLog(log);
  });

  it("without the store lookup (the CT log), still answers duplicates within a batch, and a resubmission fails whole", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "signet-logstate-"));
    const signer = createHsmSigner(hsm.client, "log", "P-256", { create: true });
    const ct = await createLogService({ db, origin: `${ORIGIN}/ct-dedup`, signer, stateDir: dir, storeDeduplication: false });
    try {
      const [a, b] = await Promise.all([ct.append(entry("ct-1")), ct.append(entry("ct-1"))]);
      expect(a.entry.index).toBe(b.entry.index);
      expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
      const size = ct.size;
      // Once committed, an identical entry is not looked up: the unique index refuses its batch, and nothing
      // of that batch is acknowledged (with the lookup, it would come back as a duplicate).
      await expect(ct.append(entry("ct-1"))).rejects.toThrow();
      expect(ct.size).toBe(size);
      const c = await ct.append(entry("ct-2"));
      expect(c.entry.index).toBe(size);
      await checkLog(ct);
    } finally {
      ct.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serves consistency proofs between any two sizes and tiles that match the tree", async () => {
    const size2 = log.size;
    for (const size1 of [1n, 2n, 255n, 256n, 257n, size2 - 1n]) {
      const { hashes, rootHash } = await log.consistencyProof(size1, size2);
      const old = await log.consistencyProof(size1, size1);
      verifyConsistency({ size1, size2, root1: old.rootHash, root2: rootHash, proof: hashes });
    }
    const tile = await log.tile(0, 0n, 256);
    expect(tile.length).toBe(256 * 32);
    await expect(log.tile(0, 0n, 255)).resolves.toHaveLength(255 * 32);
    await expect(log.tile(2, 0n, 1)).rejects.toMatchObject({ code: "ERR_LOG_TILE_NOT_FOUND" });
    await expect(log.inclusionProof(size2, size2)).rejects.toMatchObject({ code: "ERR_LOG_BAD_INDEX" });
    await expect(log.consistencyProof(0n, 0n)).rejects.toMatchObject({ code: "ERR_LOG_BAD_SIZE" });
    await expect(log.consistencyProof(1n, size2 + 1n)).rejects.toMatchObject({ code: "ERR_LOG_BAD_SIZE" });
  });

  it("reopens on the same database with the same tree and keeps appending", async () => {
    const size = log.size;
    const root = log.latestCheckpoint().rootHash;
    log.stop();
    log = await open();
    expect(log.size).toBe(size);
    expect(log.latestCheckpoint().rootHash.equals(root)).toBe(true);
    await log.append(entry("after-restart"));
    await checkLog(log);
  });

  it("lets only one of two integrators on one database write: the loser stops, no fork", async () => {
    let fatal: Error | undefined;
    const second = await open(mkdtempSync(path.join(os.tmpdir(), "signet-logstate2-")), (e) => (fatal = e));
    await log.append(entry("winner"));
    await expect(second.append(entry("loser"))).rejects.toMatchObject({ code: "ERR_LOG_UNAVAILABLE" });
    expect(fatal?.name).toBe("TreeHeadConflictError");
    await expect(second.append(entry("loser-2"))).rejects.toMatchObject({ code: "ERR_LOG_UNAVAILABLE" });
    await log.append(entry("winner-2"));
    const report = await checkLog(log);
    expect(report.problems).toEqual([]);
  });

  it("refuses to start on a database that is behind the last published checkpoint (restored backup)", async () => {
    const other = await createTestDatabase("logbehind");
    await migrate(other.url);
    const otherDb = createDb(other.url);
    try {
      const signer = createHsmSigner(hsm.client, "log", "P-256");
      await expect(createLogService({ db: otherDb, origin: ORIGIN, signer, stateDir })).rejects.toBeInstanceOf(LogIntegrityError);
    } finally {
      await otherDb.$disconnect();
      await other.drop();
    }
  });

  it("pipelines batches: a failed commit voids the batch prepared on top of it, and the log carries on without a gap", async () => {
    const origin = "pipeline.signet.test";
    const signer = createHsmSigner(hsm.client, "log", "P-256");
    const keys = await createLogKeys(origin, signer);
    const real = createLogStore(db);
    let failNext = false;
    // Fault injection (test only): the real store, except that one commit reports an error without writing.
    const store: LogStore = {
      ...real,
      async commitBatch(input) {
        if (failNext) {
          failNext = false;
          throw new Error("injected: connection reset before the commit");
        }
        return real.commitBatch(input);
      },
    };
    const dir = mkdtempSync(path.join(os.tmpdir(), "signet-pipeline-"));
    const integrator = await Integrator.open({ store, keys, checkpointFile: createCheckpointFile(path.join(dir, "cp")), tiles: new TileCache(64) });
    const fsck = async () => {
      const report = await fsckLog({ store: real, keys, logId: integrator.logId, proofs: createProofSource(real, () => integrator.logId, new TileCache(64)) });
      expect(report.problems).toEqual([]);
      expect(report.size).toBe(integrator.size);
    };

    await integrator.integrate([entry("p0")]);
    // A and B prepared back to back; B repeats an entry of A (still uncommitted) and adds its own.
    const a = await integrator.prepare([entry("p1"), entry("p2")]);
    const b = await integrator.prepare([entry("p2"), entry("p3")]);
    expect(a.results.map((r) => r.entry.index)).toEqual([1n, 2n]);
    expect(b.results.map((r) => [r.entry.index, r.duplicate])).toEqual([[2n, true], [3n, false]]);
    failNext = true;
    await expect(integrator.commitPrepared(a)).rejects.toThrow(/injected/);
    await expect(integrator.commitPrepared(b)).rejects.toBeInstanceOf(SpeculationLostError);
    expect(integrator.size).toBe(1n);
    await fsck();

    // Both resubmitted: same entries, indices continue from the committed tree, no gap, no second leaf.
    const c = await integrator.prepare([entry("p1"), entry("p2"), entry("p3")]);
    const d = await integrator.prepare([entry("p3"), entry("p4")]);
    const [rc, rd] = await Promise.all([integrator.commitPrepared(c), integrator.commitPrepared(d)]);
    expect(rc.entries.map((r) => r.entry.index)).toEqual([1n, 2n, 3n]);
    expect(rd.entries.map((r) => [r.entry.index, r.duplicate])).toEqual([[3n, true], [4n, false]]);
    expect(rd.size).toBe(5n);
    expect(rc.entries.every((r) => r.attestation === undefined)).toBe(true);
    await fsck();

    // A batch planned optimistically (no lookup): the committed p1 gets a new index, and the unique index
    // refuses the commit as a whole; nothing is written, and so is the batch prepared on top of it.
    const e0 = await integrator.prepare([entry("p1"), entry("p5")]);
    expect(e0.results.map((r) => [r.entry.index, r.duplicate])).toEqual([[5n, false], [6n, false]]);
    const f0 = await integrator.prepare([entry("p6")]);
    await expect(integrator.commitPrepared(e0)).rejects.toBeInstanceOf(DuplicateLeafError);
    await expect(integrator.commitPrepared(f0)).rejects.toBeInstanceOf(SpeculationLostError);
    expect(integrator.size).toBe(5n);
    await fsck();
    // Planned again, now with the lookup: p1 comes back as the committed entry, p5 at the next index.
    const e = await integrator.prepare([entry("p1"), entry("p5")]);
    expect(e.results.map((r) => [r.entry.index, r.duplicate])).toEqual([[1n, true], [5n, false]]);
    const re = await integrator.commitPrepared(e);
    expect(re.size).toBe(6n);
    const { checkpoint } = await verifyCheckpoint(re.checkpoint, [keys.noteVerifier]);
    expect(checkpoint.size).toBe(6n);
    await fsck();
    rmSync(dir, { recursive: true, force: true });
  });
});
