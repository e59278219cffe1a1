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
}

export interface BatchResult {
  /** The signed checkpoint that covers every entry of the batch. */
  checkpoint: string;
  size: bigint;
  rootHash: Buffer;
  entries: IntegratedEntry[];
}

export interface IntegratorOptions {
  store: LogStore;
  keys: LogKeys;
  checkpointFile: CheckpointFile;
  tiles: TileCache;
  now?: () => number;
  log?: (line: string) => void;
}

export class Integrator {
  private fenced = false;
  private lastIntegratedTime: bigint;

  private constructor(
    private readonly opts: IntegratorOptions,
    private head: LogHead,
    private tree: TreeState,
    lastIntegratedTime: bigint,
  ) {
    this.lastIntegratedTime = lastIntegratedTime;
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
    if (this.fenced) throw new TreeHeadConflictError("this integrator has been fenced off by another writer");
    const { store, keys } = this.opts;
    const existing = await store.findByLeafHashes(this.head.id, batch.map((e) => e.leafHash));
    const known = new Map<string, StoredEntry>(existing.map((e) => [e.leafHash.toString("hex"), e]));
    const added = new Map<string, NewEntry>();
    const fresh: NewEntry[] = [];
    const results: IntegratedEntry[] = [];
    const now = BigInt(Math.floor((this.opts.now?.() ?? Date.now()) / 1000));
    // H5: integrated times never go backwards, whatever the clock does.
    const integratedTime = now > this.lastIntegratedTime ? now : this.lastIntegratedTime;
    let index = this.head.size;
    for (const e of batch) {
      const hex = e.leafHash.toString("hex");
      const previous = known.get(hex) ?? added.get(hex);
      if (previous) {
        results.push({ entry: previous, duplicate: true });
        continue;
      }
      const entry: NewEntry = { index: index++, leafHash: e.leafHash, body: e.body, kind: e.kind, apiVersion: e.apiVersion, integratedTime, ...e.search };
      added.set(hex, entry);
      fresh.push(entry);
      results.push({ entry, duplicate: false });
    }

    if (fresh.length === 0) {
      return { checkpoint: this.checkpoint, size: this.head.size, rootHash: this.head.rootHash, entries: results };
    }
    const next = this.tree.clone();
    const tiles = next.append(fresh.map((e) => e.leafHash));
    const rootHash = Buffer.from(next.root());
    const note = await keys.signCheckpoint(next.size, rootHash);
    await this.commit({ size: next.size, rootHash, note, entries: fresh, tiles, next });
    this.lastIntegratedTime = integratedTime;
    return { checkpoint: note, size: next.size, rootHash, entries: results };
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
    for (const t of c.tiles) tiles.put(t.level, t.index, t.hashes);
    try {
      checkpointFile.write(c.note);
    } catch (e) {
      this.opts.log?.(`warning: could not write ${checkpointFile.path}: ${(e as Error).message}`);
    }
  }
}
