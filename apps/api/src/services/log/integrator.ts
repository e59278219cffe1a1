/**
 * The single writer of one log. It owns the in-memory right edge of the tree, and for each batch:
 * de-duplicates against the log, appends the new leaves, signs a checkpoint for the new size
 * (HSM, self-verified), and commits entries + tiles + checkpoint + tree head in one transaction
 * guarded by a compare-and-swap on the head's version. Only after the commit does anything get
 * acknowledged. Losing the compare-and-swap is fatal: another integrator is writing, and carrying
 * on could fork the log.
 */
import { verifyCheckpoint } from "@signet/crypto/checkpoint/checkpoint";
import { EMPTY_ROOT } from "./hash.ts";
import type { CheckpointFile } from "./checkpoint-file.ts";
import { TreeHeadConflictError, type LogHead, type LogStore, type NewEntry, type StoredEntry } from "./log-store.ts";
import type { LogKeys } from "./signing.ts";
import { TileCache } from "./tile-cache.ts";
import { TreeState, partialTilesFor, type TileWrite } from "./tree-state.ts";
import type { PreparedEntry } from "./entries/types.ts";

/** Refusal to start or continue: the log's state cannot be trusted (never retried automatically). */
export class LogIntegrityError extends Error {
  override name = "LogIntegrityError";
}

export interface IntegratedEntry {
  entry: StoredEntry;
  /** True when a canonically identical entry was already in the log. */
  duplicate: boolean;
  /** For a new entry: what `attest` made for it while the batch committed (its SET). */
  attestation?: Buffer;
}

export interface BatchResult {
  /** The signed checkpoint that covers every entry of the batch. */
  checkpoint: string;
  size: bigint;
  rootHash: Buffer;
  entries: IntegratedEntry[];
  /**
   * Resolves once the checkpoint is also in the file outside the database (G-D6): answers wait for
   * it, the next batch does not.
   */
  published: Promise<void>;
}

/** A batch between `prepare` and `commitPrepared`. */
export interface PreparedBatch {
  seq: number;
  generation: number;
  results: IntegratedEntry[];
  fresh: NewEntry[];
  integratedTime: bigint;
  /** The new entries' attestations, signed since the batch was prepared (see IntegratorOptions.attest). */
  attesting?: Promise<Buffer[] | undefined>;
  /** Absent when every entry was a duplicate: nothing to commit, only to wait for. */
  commit?: { size: bigint; rootHash: Uint8Array; note: string; entries: NewEntry[]; tiles: TileWrite[]; next: TreeState };
}

/** A prepared batch built on a commit that failed: retryable, nothing of it was acknowledged. */
export class SpeculationLostError extends Error {
  override name = "SpeculationLostError";
}
const speculationLost = () => new SpeculationLostError("an earlier batch this one was built on did not commit");

/**
 * A batch held an entry the log already has (the unique (log, leaf hash) index refused the commit, so
 * nothing of it was written). Its entries, and those of batches prepared on top of it, are to be planned
 * again: the log now looks batches up before planning them (see IntegratorOptions.storeDeduplication).
 */
export class DuplicateLeafError extends SpeculationLostError {
  override name = "DuplicateLeafError";
}

/** How long the log looks every batch up after a commit found a duplicate, in ms. */
export const LOOKUP_AFTER_DUPLICATE_MS = 1000;

/** PostgreSQL's unique violation on log_entries (log_id, leaf_hash): the statement failed as a whole. */
function isDuplicateLeaf(e: unknown): boolean {
  for (let x = e as { code?: unknown; constraint?: unknown; cause?: unknown } | undefined, depth = 0; x && depth < 4; x = x.cause as typeof x, depth++) {
    if (x.code === "23505" && x.constraint === "log_entries_log_id_leaf_hash_key") return true;
  }
  return false;
}

export interface IntegratorOptions {
  store: LogStore;
  keys: LogKeys;
  checkpointFile: CheckpointFile;
  tiles: TileCache;
  /**
   * Per-entry signatures made while the batch commits (the log's SETs, over index and integrated time,
   * both fixed before the commit): the HSM works in parallel with PostgreSQL instead of after it. They
   * leave the process only after the commit succeeded. A failure here only loses the attestations
   * (the answer path makes them again); the commit stands.
   */
  attest?: (entries: readonly NewEntry[]) => Promise<Buffer[]>;
  /**
   * Entries identical to ones already in the store (default true; see LogServiceOptions): answered as
   * duplicates. Batches are planned optimistically, without a lookup; a commit refused by the unique
   * leaf-hash index fails with DuplicateLeafError (nothing written), and for the next
   * LOOKUP_AFTER_DUPLICATE_MS every batch is looked up before it is planned, so those entries come back as
   * duplicates. False: never looked up, and such a commit simply fails.
   */
  storeDeduplication?: boolean;
  now?: () => number;
  log?: (line: string) => void;
}

export class Integrator {
  private fenced = false;
  /** The speculative right edge: the committed tree plus every prepared, not yet committed batch. */
  private tip: { tree: TreeState; time: bigint };
  /** Bumped when a commit fails: batches prepared before that are void. */
  private generation = 0;
  private preparedSeq = 0;
  private committedSeq = 0;
  /** New entries of batches that a concurrent lookup may not see yet, for de-duplication. */
  private readonly inflight = new Map<string, { entry: NewEntry; seq: number }>();
  private commitChain: Promise<void> = Promise.resolve();
  /** The file copy of the newest committed checkpoint (see BatchResult.published). */
  private published: Promise<void> = Promise.resolve();
  private lastIntegratedTime: bigint;
  /** Until when (performance.now()) batches are looked up in the store before they are planned. */
  private lookupUntil = 0;

  private constructor(
    private readonly opts: IntegratorOptions,
    private head: LogHead,
    private tree: TreeState,
    lastIntegratedTime: bigint,
  ) {
    this.lastIntegratedTime = lastIntegratedTime;
    this.tip = { tree, time: lastIntegratedTime };
  }

  /** Load and check the log's state; sign the first checkpoint of an empty log. */
  static async open(opts: IntegratorOptions): Promise<Integrator> {
    const { store, keys, checkpointFile } = opts;
    const head = await store.ensureLog(keys.origin, EMPTY_ROOT);
    const partials = partialTilesFor(head.size);
    const stored = await store.readTiles(head.id, partials);
    const byLevel = new Map(stored.map((t) => [t.level, t.hashes]));
    let tree: TreeState;
    try {
      tree = TreeState.fromPartialTiles(head.size, byLevel);
    } catch (e) {
      throw new LogIntegrityError(`log ${keys.origin}: the stored tiles do not describe a tree of size ${head.size}: ${(e as Error).message}`);
    }
    if (!Buffer.from(tree.root()).equals(head.rootHash)) {
      throw new LogIntegrityError(`log ${keys.origin}: the stored tiles' root differs from the tree head at size ${head.size}`);
    }
    for (const t of stored) opts.tiles.put(t.level, t.index, t.hashes);

    // G-D6: never sign a different tree at a size already published.
    const published = checkpointFile.read();
    let publishedSize = -1n;
    if (published !== undefined) {
      let cp;
      try {
        cp = (await verifyCheckpoint(published, [keys.noteVerifier], { origin: keys.origin })).checkpoint;
      } catch (e) {
        throw new LogIntegrityError(`${checkpointFile.path} does not hold a checkpoint of ${keys.origin} signed by the log key (${(e as Error).message})`);
      }
      publishedSize = cp.size;
      if (cp.size > head.size) {
        throw new LogIntegrityError(
          `the database (size ${head.size}) is behind the last published checkpoint (size ${cp.size}, ${checkpointFile.path}): ` +
            `it looks restored from an older backup. Refusing to start, since signing a different tree at a published size would fork the log.`,
        );
      }
      const atSize = cp.size === head.size ? { rootHash: head.rootHash } : await store.checkpointAt(head.id, cp.size);
      if (!atSize || !atSize.rootHash.equals(Buffer.from(cp.rootHash))) {
        throw new LogIntegrityError(`the database's tree at size ${cp.size} differs from the published checkpoint in ${checkpointFile.path}`);
      }
    }

    const integrator = new Integrator(opts, head, tree, await store.lastIntegratedTime(head.id));
    if (head.checkpoint === null) {
      // First start of an empty log: publish the checkpoint of size 0.
      const note = await keys.signCheckpoint(0n, EMPTY_ROOT);
      await integrator.commit({ size: 0n, rootHash: EMPTY_ROOT, note, entries: [], tiles: [], next: tree });
      // Opening is done once the file holds it too: nothing of this log is left writing after open returns.
      await integrator.published;
    } else if (publishedSize < head.size || published === undefined) {
      // The database is ahead of the file (a crash between commit and file write): catch the file up.
      checkpointFile.write(head.checkpoint);
    }
    return integrator;
  }

  get logId(): number {
    return this.head.id;
  }
  get size(): bigint {
    return this.head.size;
  }
  get checkpoint(): string {
    return this.head.checkpoint!;
  }
  get rootHash(): Buffer {
    return this.head.rootHash;
  }
  get createdAt(): Date {
    return this.head.createdAt;
  }
  get isFenced(): boolean {
    return this.fenced;
  }

  /**
   * Integrate a batch: entries already in the log (or repeated inside the batch) come back as
   * duplicates with their existing index; the rest are appended under one new signed checkpoint.
   */
  async integrate(batch: readonly PreparedEntry[]): Promise<BatchResult> {
    return this.commitPrepared(await this.prepare(batch));
  }

  /**
   * First half of integration, which may run while the previous batch is still committing (a
   * two-stage pipeline: PostgreSQL commits batch N while batch N+1 is looked up and signed). Calls
   * must not overlap each other. It de-duplicates against the database and against batches not yet
   * known to be visible there, extends the speculative tip of the tree and signs the checkpoint.
   * Nothing of it leaves the process unless `commitPrepared` succeeds.
   */
  async prepare(batch: readonly PreparedEntry[]): Promise<PreparedBatch> {
    if (this.fenced) throw new TreeHeadConflictError("this integrator has been fenced off by another writer");
    const { store } = this.opts;
    const generation = this.generation;
    // Batches committed by now are visible to the lookup below; keep only the others for de-duplication.
    for (const [hex, p] of this.inflight) if (p.seq <= this.committedSeq) this.inflight.delete(hex);
    const now = BigInt(Math.floor((this.opts.now?.() ?? Date.now()) / 1000));
    // H5: integrated times never go backwards, whatever the clock does.
    const integratedTime = now > this.tip.time ? now : this.tip.time;
    // Optimistic de-duplication: duplicates of entries already in the database are rare, so a batch is
    // planned, appended and signed as if there were none, and the commit's unique index is the check (a
    // lookup per batch was a PostgreSQL round trip beside the checkpoint signature, often the longer of
    // the two). After a commit found one, batches are looked up for a while: the lookup runs while the
    // plan is signed, and in the rare case it finds one, the plan is made and signed again without it.
    // Nothing signed here leaves the process before the commit, so a discarded signature is only wasted work.
    const lookup =
      this.opts.storeDeduplication === false || performance.now() >= this.lookupUntil
        ? Promise.resolve<StoredEntry[]>([])
        : store.findByLeafHashes(this.head.id, batch.map((e) => e.leafHash));
    lookup.catch(() => undefined); // awaited below; a failure must not surface as unhandled meanwhile
    const startSigning = (p: { fresh: NewEntry[] }) => {
      const signing = this.sign(p);
      signing.catch(() => undefined); // awaited below unless the plan is dropped
      return signing;
    };
    let plan = this.plan(batch, new Map(), integratedTime);
    let signed = startSigning(plan);
    const existing = await lookup;
    if (generation !== this.generation) throw speculationLost();
    if (existing.length > 0) {
      const known = new Map<string, StoredEntry>(existing.map((e) => [e.leafHash.toString("hex"), e]));
      if (plan.fresh.some((e) => known.has(e.leafHash.toString("hex")))) {
        plan = this.plan(batch, known, integratedTime);
        signed = startSigning(plan);
      }
    }
    const { results, fresh } = plan;
    const seq = ++this.preparedSeq;
    const signature = await signed;
    if (!signature) return { seq, generation, results, fresh, integratedTime };
    if (generation !== this.generation) throw speculationLost();
    const { next, tiles, rootHash, note, attesting } = signature;
    this.tip = { tree: next, time: integratedTime };
    for (const e of fresh) this.inflight.set(e.leafHash.toString("hex"), { entry: e, seq });
    return { seq, generation, results, fresh, integratedTime, ...(attesting ? { attesting } : {}), commit: { size: next.size, rootHash, note, entries: fresh, tiles, next } };
  }

  /**
   * Which entries of `batch` are new and at which indices: duplicates of `known` (in the database),
   * of batches in flight and of earlier entries in the same batch come back with the existing entry.
   */
  private plan(batch: readonly PreparedEntry[], known: ReadonlyMap<string, StoredEntry>, integratedTime: bigint): { results: IntegratedEntry[]; fresh: NewEntry[] } {
    const added = new Map<string, NewEntry>();
    const fresh: NewEntry[] = [];
    const results: IntegratedEntry[] = [];
    let index = this.tip.tree.size;
    for (const e of batch) {
      const hex = e.leafHash.toString("hex");
      const previous = known.get(hex) ?? this.inflight.get(hex)?.entry ?? added.get(hex);
      if (previous) {
        results.push({ entry: previous, duplicate: true });
        continue;
      }
      const entry: NewEntry = { index: index++, leafHash: e.leafHash, body: e.body, kind: e.kind, apiVersion: e.apiVersion, integratedTime, ...e.search };
      added.set(hex, entry);
      fresh.push(entry);
      results.push({ entry, duplicate: false });
    }
    return { results, fresh };
  }

  /**
   * Append a plan's new leaves to a copy of the tip, sign the checkpoint for the new size and start
   * the entries' attestations (their index and integrated time are fixed by now), all in parallel.
   */
  private async sign(plan: { fresh: NewEntry[] }): Promise<{ next: TreeState; tiles: TileWrite[]; rootHash: Buffer; note: string; attesting?: Promise<Buffer[] | undefined> } | undefined> {
    if (plan.fresh.length === 0) return undefined;
    const next = this.tip.tree.clone();
    const tiles = next.append(plan.fresh.map((e) => e.leafHash));
    const rootHash = Buffer.from(next.root());
    const noting = this.opts.keys.signCheckpoint(next.size, rootHash);
    // Attestations are handed out only after the commit; a failure only loses them (the answer path
    // makes them again) and never fails the batch.
    const attesting = this.opts.attest?.(plan.fresh).catch((e: unknown) => {
      this.opts.log?.(`entry attestations failed (they will be made per answer): ${(e as Error).message}`);
      return undefined;
    });
    const note = await noting;
    return { next, tiles, rootHash, note, ...(attesting ? { attesting } : {}) };
  }

  /**
   * Second half: commit a prepared batch, in the order batches were prepared (calls queue behind the
   * previous commit). When a commit fails, every batch prepared on top of it fails too (their indices
   * and checkpoint assumed it) and the tip falls back to the committed tree.
   */
  commitPrepared(p: PreparedBatch): Promise<BatchResult> {
    const run = this.commitChain.then(() => this.commitInOrder(p));
    this.commitChain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async commitInOrder(p: PreparedBatch): Promise<BatchResult> {
    if (this.fenced) throw new TreeHeadConflictError("this integrator has been fenced off by another writer");
    if (p.generation !== this.generation) throw speculationLost();
    if (!p.commit) {
      this.committedSeq = p.seq;
      return { checkpoint: this.checkpoint, size: this.head.size, rootHash: this.head.rootHash, entries: p.results, published: this.published };
    }
    try {
      await this.commit(p.commit);
    } catch (e) {
      // Whatever was prepared on top of this batch assumed it; start again from the committed tree.
      // Entries of committed batches stay until a lookup that sees them begins.
      this.generation++;
      this.tip = { tree: this.tree, time: this.lastIntegratedTime };
      for (const [hex, r] of this.inflight) if (r.seq > this.committedSeq) this.inflight.delete(hex);
      throw e;
    }
    this.lastIntegratedTime = p.integratedTime;
    this.committedSeq = p.seq;
    const attestations = await p.attesting;
    if (attestations && attestations.length === p.fresh.length) {
      const byEntry = new Map(p.fresh.map((e, i) => [e, attestations[i]!]));
      for (const r of p.results) if (!r.duplicate) r.attestation = byEntry.get(r.entry as NewEntry)!;
    }
    return { checkpoint: p.commit.note, size: p.commit.size, rootHash: Buffer.from(p.commit.rootHash), entries: p.results, published: this.published };
  }

  private async commit(c: { size: bigint; rootHash: Uint8Array; note: string; entries: NewEntry[]; tiles: TileWrite[]; next: TreeState }): Promise<void> {
    const { store, checkpointFile, tiles } = this.opts;
    let version: bigint;
    try {
      version = await store.commitBatch({
        logId: this.head.id,
        expectedVersion: this.head.version,
        size: c.size,
        rootHash: c.rootHash,
        checkpoint: c.note,
        entries: c.entries,
        tiles: c.tiles,
      });
    } catch (e) {
      // The unique leaf-hash index refused the statement: nothing was written (a definite failure, not an
      // ambiguous one), and the batch held an entry the log already has.
      if (isDuplicateLeaf(e) && this.opts.storeDeduplication !== false) {
        this.lookupUntil = performance.now() + LOOKUP_AFTER_DUPLICATE_MS;
        throw new DuplicateLeafError("the batch holds an entry the log already has; it is planned again after a lookup");
      }
      if (e instanceof TreeHeadConflictError || (e as { cause?: unknown }).cause instanceof TreeHeadConflictError) {
        this.fenced = true;
        throw new TreeHeadConflictError((e as Error).message);
      }
      // H2: the commit may have persisted even though it reported an error. Look before deciding.
      const head = await store.readHead(this.head.id).catch(() => undefined);
      if (head && head.version === this.head.version + 1n && head.size === c.size && head.rootHash.equals(Buffer.from(c.rootHash))) {
        version = head.version;
      } else if (head && head.version !== this.head.version) {
        this.fenced = true;
        throw new TreeHeadConflictError(`tree head moved to version ${head.version} during a failed commit`);
      } else {
        throw e;
      }
    }
    this.head = { ...this.head, size: c.size, rootHash: Buffer.from(c.rootHash), version, checkpoint: c.note };
    this.tree = c.next;
    for (const t of c.tiles) tiles.put(t.level, t.index, t.hashes, t.rows);
    // On the writer thread (see checkpoint-file.ts): the batch's answers wait for it, the event loop does not.
    this.published = checkpointFile.publish(c.note).catch((e: unknown) => {
      this.opts.log?.(`warning: could not write ${checkpointFile.path}: ${(e as Error).message}`);
    });
  }
}
