/**
 * Group commit in front of the integrator: submissions queue up while a batch is being integrated
 * and go together into the next one (one transaction, one checkpoint signature), so throughput grows
 * with load while an idle log answers after a short collection delay. The queue is bounded: past
 * `maxPending` new submissions get PUSHBACK (503 + Retry-After), never an unbounded backlog
 * (SECURITY.md G-A2, H9).
 */
import { DomainError } from "../../errors.ts";
import type { PreparedEntry } from "./entries/types.ts";
import { SpeculationLostError, type BatchResult, type IntegratedEntry, type Integrator, type PreparedBatch } from "./integrator.ts";
import { TreeHeadConflictError } from "./log-store.ts";

export interface SequencedEntry extends IntegratedEntry {
  batch: Pick<BatchResult, "checkpoint" | "size" | "rootHash">;
}

interface Pending {
  entry: PreparedEntry;
  resolve: (r: SequencedEntry) => void;
  reject: (e: unknown) => void;
  queuedAt: number;
  /** Times its batch was planned again (a duplicate found at commit, or a batch under it that failed so). */
  replans: number;
}

/** A batch is planned again at most this often before its entries are refused (503, retry). */
const MAX_REPLANS = 3;

export interface SequencerOptions {
  /** Largest batch integrated at once. */
  maxBatch?: number;
  /** How long an idle log waits to collect a batch, in ms. */
  collectMs?: number;
  /** Queue bound: beyond it submissions are refused with PUSHBACK. */
  maxPending?: number;
  /**
   * Submissions still being checked that will arrive shortly (the entry pool's count). When it is
   * zero, nothing more is on its way and an idle log starts the batch at once instead of waiting out
   * `collectMs`; while it is not, the batch waits for them up to `collectMs`.
   */
  incoming?: () => number;
  /**
   * Default true: an entry is answered only once its checkpoint is also in the checkpoint file outside the
   * database (the last published checkpoint, SECURITY.md H8). False only for a log whose checkpoints are
   * never published (Signet's CT log: it answers SCTs, which promise inclusion and name no checkpoint): its
   * entries are answered once committed under a signed checkpoint, and the file follows (at most the write
   * in flight behind), still compared with the database at start.
   */
  awaitCheckpointFile?: boolean;
  /** Called once when another integrator fenced this one off (the process should stop). */
  onFatal?: (e: Error) => void;
  log?: (line: string) => void;
}

export class Sequencer {
  private queue: Pending[] = [];
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private stopped = false;
  private backoff = false;
  /** The last two batches' commits (settled promises, never rejecting). */
  private olderCommit: Promise<void> = Promise.resolve();
  private newerCommit: Promise<void> = Promise.resolve();
  private readonly maxBatch: number;
  private readonly collectMs: number;
  private readonly maxPending: number;
  /** Batches integrated and entries appended, for metrics and benchmarks. */
  readonly stats = { batches: 0, appended: 0, duplicates: 0, refused: 0, failedBatches: 0, replannedBatches: 0 };
  /** How many entries at the front of the queue were put back by `fail` (the next put-back goes after them). */
  private requeued = 0;

  constructor(
    private readonly integrator: Integrator,
    private readonly opts: SequencerOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 2048;
    this.collectMs = opts.collectMs ?? 5;
    this.maxPending = opts.maxPending ?? 16_384;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Resolves once the entry is committed under a signed checkpoint (or was already in the log). */
  submit(entry: PreparedEntry): Promise<SequencedEntry> {
    if (this.stopped || this.integrator.isFenced) {
      return Promise.reject(new DomainError("UNAVAILABLE", "ERR_LOG_UNAVAILABLE", "the log is not accepting entries", 5));
    }
    if (this.queue.length >= this.maxPending) {
      this.stats.refused++;
      return Promise.reject(new DomainError("UNAVAILABLE", "ERR_LOG_BUSY", "the log is behind; retry shortly", 1));
    }
    return new Promise<SequencedEntry>((resolve, reject) => {
      this.queue.push({ entry, resolve, reject, queuedAt: Date.now(), replans: 0 });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running) return;
    if (this.opts.incoming?.() === 0) {
      // Everything received has been checked and queued: collecting longer would only add latency.
      // setImmediate lets the submissions resolved in this turn join first.
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      if (!this.immediate) {
        this.immediate = setImmediate(() => {
          this.immediate = undefined;
          void this.drain();
        });
      }
      return;
    }
    if (this.timer || this.immediate) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, this.collectMs);
  }

  /**
   * Two batches at a time: while batch N commits, batch N+1 is looked up and signed. Before batch
   * N+2 is prepared, batch N's commit must have finished, so at most one commit waits behind another.
   */
  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        await this.olderCommit;
        if (this.backoff) {
          // Back off briefly after a failed batch so a database or HSM outage does not spin.
          this.backoff = false;
          await new Promise((r) => setTimeout(r, 200));
          if (this.stopped) break;
        }
        const batch = this.queue.splice(0, this.maxBatch);
        this.requeued = Math.max(0, this.requeued - batch.length);
        let prepared: PreparedBatch;
        try {
          prepared = await this.integrator.prepare(batch.map((p) => p.entry));
        } catch (e) {
          this.fail(batch, e);
          continue;
        }
        const committing = this.integrator.commitPrepared(prepared).then(
          (result) => {
            this.stats.batches++;
            const info = { checkpoint: result.checkpoint, size: result.size, rootHash: result.rootHash };
            for (const r of result.entries) {
              if (r.duplicate) this.stats.duplicates++;
              else this.stats.appended++;
            }
            const answer = () => result.entries.forEach((r, i) => batch[i]!.resolve({ ...r, batch: info }));
            // Answers wait for the checkpoint's file copy (unless its checkpoints are never published); the next batch does not.
            if (this.opts.awaitCheckpointFile === false) answer();
            else void result.published.then(answer);
          },
          (e: unknown) => this.fail(batch, e),
        );
        this.olderCommit = this.newerCommit;
        this.newerCommit = committing;
      }
    } finally {
      this.running = false;
      if (this.queue.length > 0 && !this.stopped) this.schedule();
    }
  }

  private fail(batch: Pending[], e: unknown): void {
    if (e instanceof SpeculationLostError && !this.stopped && !this.integrator.isFenced && batch.every((p) => p.replans < MAX_REPLANS)) {
      // Nothing of it was written or answered, and nothing failed but the plan: a commit found an entry the
      // log already has (the integrator now looks batches up), or this batch was built on that one. Its
      // entries go back to the front of the queue, in order, and are planned again (duplicates then answered
      // as such), instead of failing every client in it.
      this.stats.replannedBatches++;
      for (const p of batch) p.replans++;
      this.queue.splice(this.requeued, 0, ...batch);
      this.requeued += batch.length;
      this.schedule();
      return;
    }
    this.stats.failedBatches++;
    const fatal = e instanceof TreeHeadConflictError;
    if (!(e instanceof SpeculationLostError)) this.opts.log?.(`batch of ${batch.length} not integrated: ${(e as Error).message}`);
    // Nothing of a failed batch was acknowledged; clients may resubmit (de-duplication makes it safe).
    const err = new DomainError("UNAVAILABLE", "ERR_LOG_UNAVAILABLE", "the log could not commit the entry; retry", 2);
    for (const p of batch) p.reject(err);
    if (fatal && !this.stopped) {
      this.stop(err);
      this.opts.onFatal?.(e as Error);
      return;
    }
    this.backoff = true;
  }

  /** Refuse new submissions and fail the queued ones. */
  stop(reason: unknown = new DomainError("UNAVAILABLE", "ERR_LOG_UNAVAILABLE", "the log is shutting down", 5)): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    const queued = this.queue.splice(0);
    for (const p of queued) p.reject(reason);
  }
}
