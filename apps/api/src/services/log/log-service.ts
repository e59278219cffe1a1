/**
 * One transparency log (an origin) on the shared engine: writes go through the sequencer and the
 * single integrator; reads (entries, proofs, tiles, checkpoints) come from PostgreSQL through the
 * tile cache. Everything the HTTP and tRPC layers need, in domain terms.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { asBuffer } from "../../bytes.ts";
import { DomainError } from "../../errors.ts";
import type { Db } from "../../db.ts";
import { createCheckpointFile } from "./checkpoint-file.ts";
import type { PreparedEntry } from "./entries/types.ts";
import { Integrator } from "./integrator.ts";
import { createLogStore, type NewEntry, type StoredEntry } from "./log-store.ts";
import { createProofSource } from "./proofs.ts";
import { Sequencer, type SequencerOptions } from "./sequencer.ts";
import { createLogKeys, type LogSigner } from "./signing.ts";
import { TileCache } from "./tile-cache.ts";
import { TILE_HEIGHT, TILE_WIDTH } from "./tree-state.ts";

export interface LogServiceOptions {
  db: Db;
  /** Checkpoint origin and signed-note key name, e.g. "localhost:8080". */
  origin: string;
  signer: LogSigner;
  /**
   * The same key for the per-entry SETs, returning only signatures it verified itself (see createLogKeys).
   * Without it, `signer` signs them and the log verifies each.
   */
  entrySigner?: LogSigner;
  /** Directory for the out-of-database copy of the last published checkpoint. */
  stateDir: string;
  tileCacheTiles?: number;
  sequencer?: SequencerOptions;
  /**
   * Sign each new entry's SET while its batch commits (default true). The CT log answers with SCTs
   * made by the CA instead, so it turns this off.
   */
  attestEntries?: boolean;
  /**
   * Answer an entry identical to a committed one as a duplicate (default true). Batches are planned without a
   * lookup; when the unique (log, leaf hash) index refuses a commit, nothing of it was written, its entries
   * (and those of the batch prepared on top) are planned again, and for the next second every batch is looked
   * up in the database first, so they come back as duplicates (HTTP 409) and no client sees a failure.
   * The CT log turns it off: its entries are this CA's certificates, each with a fresh random serial number.
   * Entries identical to others in the same batch or in a batch not yet committed are still answered as
   * duplicates; one identical to a committed entry fails its batch, and nothing of that batch is acknowledged.
   */
  storeDeduplication?: boolean;
  log?: (line: string) => void;
}

export interface LogCheckpoint {
  note: string;
  size: bigint;
  rootHash: Buffer;
}

export interface EntryWithProof {
  entry: StoredEntry;
  /** Hex leaf hash: Rekor's entry UUID. */
  uuid: string;
  checkpoint: LogCheckpoint;
  inclusionProof: Buffer[];
  /** Signed entry timestamp over (body, integratedTime, logID, logIndex). */
  signedEntryTimestamp: Buffer;
}

export interface AppendResult extends EntryWithProof {
  duplicate: boolean;
}

/** The largest entry a tile entry bundle can carry (uint16 length prefix, C2SP tlog-tiles). */
export const MAX_ENTRY_BODY_BYTES = 0xffff;

export async function createLogService(opts: LogServiceOptions) {
  const store = createLogStore(opts.db);
  const keys = await createLogKeys(opts.origin, opts.signer, opts.entrySigner);
  const tiles = new TileCache(opts.tileCacheTiles ?? 8192);
  const safe = opts.origin.replace(/[^A-Za-z0-9._-]/g, "_");
  const checkpointFile = createCheckpointFile(path.join(opts.stateDir, `${safe}.checkpoint`));
  const attest = async (entries: readonly NewEntry[]) =>
    Promise.all(entries.map((e) => keys.signEntryTimestamp({ body: e.body, integratedTime: e.integratedTime, logIndex: e.index })));
  const integrator = await Integrator.open({
    store,
    keys,
    checkpointFile,
    tiles,
    ...(opts.attestEntries === false ? {} : { attest }),
    ...(opts.storeDeduplication === false ? { storeDeduplication: false } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  const sequencer = new Sequencer(integrator, { ...opts.sequencer, ...(opts.log ? { log: opts.log } : {}) });
  const proofs = createProofSource(store, () => integrator.logId, tiles);
  const treeId = createHash("sha256").update(opts.origin).digest().readBigUInt64BE(0) & ((1n << 63n) - 1n);

  const latest = (): LogCheckpoint => ({ note: integrator.checkpoint, size: integrator.size, rootHash: integrator.rootHash });

  async function withProof(entry: StoredEntry, checkpoint: LogCheckpoint, set?: Buffer): Promise<EntryWithProof> {
    const [inclusionProof, signedEntryTimestamp] = await Promise.all([
      proofs.inclusion(entry.index, checkpoint.size),
      set ?? keys.signEntryTimestamp({ body: entry.body, integratedTime: entry.integratedTime, logIndex: entry.index }),
    ]);
    return { entry, uuid: entry.leafHash.toString("hex"), checkpoint, inclusionProof: inclusionProof.map(asBuffer), signedEntryTimestamp }; // no copies: proof hashes come from cached tiles, which never change
  }

  async function commit(entry: PreparedEntry): Promise<{ entry: StoredEntry; checkpoint: LogCheckpoint; duplicate: boolean; set?: Buffer }> {
    if (entry.body.length > MAX_ENTRY_BODY_BYTES) {
      throw new DomainError("PAYLOAD_TOO_LARGE", "ERR_ENTRY_TOO_LARGE", `canonical entry body over ${MAX_ENTRY_BODY_BYTES} bytes`);
    }
    const r = await sequencer.submit(entry);
    const checkpoint = { note: r.batch.checkpoint, size: r.batch.size, rootHash: r.batch.rootHash };
    return { entry: r.entry, checkpoint, duplicate: r.duplicate, ...(r.attestation ? { set: r.attestation } : {}) };
  }

  function checkSize(size: bigint, what: string): void {
    if (size < 0n || size > integrator.size) throw new DomainError("BAD_REQUEST", "ERR_LOG_BAD_SIZE", `${what} must be between 0 and the current size ${integrator.size}`);
  }

  return {
    origin: opts.origin,
    keys,
    treeId,
    sequencer,
    get size() {
      return integrator.size;
    },
    /** When the log was created: the start of its key's validity in the trusted root. */
    get createdAt() {
      return integrator.createdAt;
    },
    latestCheckpoint: latest,

    /** Append an entry; resolves only once it is committed under a signed checkpoint (zero merge delay). */
    async append(entry: PreparedEntry): Promise<AppendResult> {
      const r = await commit(entry);
      return { ...(await withProof(r.entry, r.checkpoint, r.set)), duplicate: r.duplicate };
    },

    /**
     * Append without building a proof or SET for the answer (the CT log: the SCT is the promise), still
     * resolving only once the entry is committed under a signed checkpoint.
     */
    commit,

    async entryByIndex(index: bigint): Promise<EntryWithProof> {
      if (index < 0n || index >= integrator.size) throw new DomainError("NOT_FOUND", "ERR_LOG_ENTRY_NOT_FOUND", `no entry at index ${index}`);
      const cp = latest();
      const entry = await store.entryByIndex(integrator.logId, index);
      if (!entry) throw new DomainError("NOT_FOUND", "ERR_LOG_ENTRY_NOT_FOUND", `no entry at index ${index}`);
      return withProof(entry, cp);
    },

    async entryByLeafHash(leafHash: Buffer): Promise<EntryWithProof> {
      const cp = latest();
      const [entry] = await store.findByLeafHashes(integrator.logId, [leafHash]);
      if (!entry || entry.index >= cp.size) throw new DomainError("NOT_FOUND", "ERR_LOG_ENTRY_NOT_FOUND", "no such entry");
      return withProof(entry, cp);
    },

    /** Entries [start, start + count) without proofs (explorer pages, entry bundles). */
    async entriesInRange(start: bigint, count: number): Promise<StoredEntry[]> {
      const end = start + BigInt(count) > integrator.size ? integrator.size : start + BigInt(count);
      if (start >= end) return [];
      return store.entriesInRange(integrator.logId, start, end);
    },

    async inclusionProof(index: bigint, size: bigint): Promise<Buffer[]> {
      checkSize(size, "tree size");
      if (index < 0n || index >= size) throw new DomainError("BAD_REQUEST", "ERR_LOG_BAD_INDEX", `index must be below the tree size ${size}`);
      return (await proofs.inclusion(index, size)).map((h) => Buffer.from(h));
    },

    async consistencyProof(size1: bigint, size2: bigint): Promise<{ hashes: Buffer[]; rootHash: Buffer }> {
      checkSize(size2, "lastSize");
      if (size1 < 1n || size1 > size2) throw new DomainError("BAD_REQUEST", "ERR_LOG_BAD_SIZE", "firstSize must be between 1 and lastSize");
      const hashes = size1 === size2 ? [] : (await proofs.consistency(size1, size2)).map((h) => Buffer.from(h));
      const rootHash = size2 === integrator.size ? integrator.rootHash : Buffer.from(await proofs.root(size2));
      return { hashes, rootHash };
    },

    async checkpointAt(size: bigint): Promise<LogCheckpoint | undefined> {
      if (size === integrator.size) return latest();
      const cp = await store.checkpointAt(integrator.logId, size);
      return cp && { note: cp.note, size: cp.size, rootHash: cp.rootHash };
    },

    checkpoints: (limit: number, beforeSize?: bigint) => store.checkpoints(integrator.logId, beforeSize === undefined ? { limit } : { limit, beforeSize }),

    /**
     * A hash tile (C2SP tlog-tiles): `width` hashes of level `level`, tile `index`; full tiles have
     * width 256. Only widths that a published tree size has are served.
     */
    async tile(level: number, index: bigint, width: number): Promise<Buffer> {
      const size = integrator.size;
      const have = size >> BigInt(TILE_HEIGHT * level);
      const start = index * BigInt(TILE_WIDTH);
      if (width < 1 || width > TILE_WIDTH || start + BigInt(width) > have) throw new DomainError("NOT_FOUND", "ERR_LOG_TILE_NOT_FOUND", "no such tile");
      const cached = tiles.get(level, index, width);
      if (cached) return Buffer.concat(cached.rows[0]!.slice(0, width));
      const [t] = await store.readTiles(integrator.logId, [{ level, index }]);
      if (!t || t.width < width) throw new DomainError("NOT_FOUND", "ERR_LOG_TILE_NOT_FOUND", "no such tile");
      return t.hashes.subarray(0, width * 32);
    },

    store,
    logId: () => integrator.logId,
    stop: () => sequencer.stop(),
  };
}

export type LogService = Awaited<ReturnType<typeof createLogService>>;
