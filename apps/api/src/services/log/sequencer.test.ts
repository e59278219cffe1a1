import { describe, expect, it } from "vitest";
import { DuplicateLeafError, SpeculationLostError, type BatchResult, type Integrator, type PreparedBatch } from "./integrator.ts";
import { TreeHeadConflictError } from "./log-store.ts";
import { Sequencer } from "./sequencer.ts";
import type { PreparedEntry } from "./entries/types.ts";
import { leafHash } from "./hash.ts";

const entry = (n: number): PreparedEntry => {
  const body = Buffer.from(`entry ${n}`);
  return { kind: "hashedrekord", apiVersion: "0.0.1", body, leafHash: leafHash(body), search: {} };
};

/** An in-memory stand-in for the integrator (unit test only): records batches, can block or fail commits. */
function fakeIntegrator(opts: { block?: Promise<void>; fail?: () => Error | undefined; commitGate?: () => Promise<void>; published?: Promise<void> } = {}) {
  const batches: number[] = [];
  const events: string[] = [];
  let size = 0n;
  let n = 0;
  const integrator = {
    isFenced: false,
    lookAhead: () => ({ startedAt: performance.now(), result: Promise.resolve(new Map()) }),
    async prepare(batch: readonly PreparedEntry[]) {
      const id = ++n;
      events.push(`prepare ${id}`);
      return { id, batch } as unknown as PreparedBatch;
    },
    async commitPrepared(p: PreparedBatch): Promise<BatchResult> {
      const { id, batch } = p as unknown as { id: number; batch: readonly PreparedEntry[] };
      await opts.block;
      await opts.commitGate?.();
      const err = opts.fail?.();
      events.push(`commit ${id}`);
      if (err) throw err;
      batches.push(batch.length);
      const entries = batch.map((e) => ({ entry: { index: size++, leafHash: e.leafHash, body: e.body, kind: e.kind, apiVersion: e.apiVersion, integratedTime: 0n }, duplicate: false }));
      return { checkpoint: "cp", size, rootHash: Buffer.alloc(32), entries, published: opts.published ?? Promise.resolve() };
    },
  };
  return { integrator: integrator as unknown as Integrator, batches, events };
}

describe("Sequencer", () => {
  it("starts a batch at once when nothing more is being checked, and waits for entries still being checked", async () => {
    const { integrator, batches } = fakeIntegrator();
    let incoming = 0;
    // A collection delay far beyond the test's timeout: only the arrival count can start these batches.
    const seq = new Sequencer(integrator, { collectMs: 60_000, incoming: () => incoming });
    await Promise.all([seq.submit(entry(1)), seq.submit(entry(2))]);
    expect(batches).toEqual([2]);

    // Two more on their way: the first submission waits for them, then all three go together.
    incoming = 2;
    const first = seq.submit(entry(3));
    await new Promise((r) => setTimeout(r, 20));
    expect(batches).toEqual([2]);
    incoming = 1;
    const second = seq.submit(entry(4));
    incoming = 0;
    const third = seq.submit(entry(5));
    await Promise.all([first, second, third]);
    expect(batches).toEqual([2, 3]);
    seq.stop();

    // Stragglers that never come: the batch still starts once collectMs has passed.
    const other = fakeIntegrator();
    const patient = new Sequencer(other.integrator, { collectMs: 30, incoming: () => 5 });
    await patient.submit(entry(6));
    expect(other.batches).toEqual([1]);
  });

  it("answers only once the checkpoint is in the checkpoint file, unless told its checkpoints are never published", async () => {
    let written!: () => void;
    const published = new Promise<void>((r) => (written = r));
    const strict = new Sequencer(fakeIntegrator({ published }).integrator, { incoming: () => 0 });
    let answered = false;
    const pending = strict.submit(entry(1)).then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(answered).toBe(false);
    written();
    await pending;
    expect(answered).toBe(true);

    const never = new Promise<void>(() => undefined);
    const unpublished = new Sequencer(fakeIntegrator({ published: never }).integrator, { incoming: () => 0, awaitCheckpointFile: false });
    const r = await unpublished.submit(entry(2));
    expect(r.entry.index).toBe(0n);
  });

  it("plans a batch again when its commit found a committed duplicate or the batch under it did, and gives up after a few tries", async () => {
    const errors: (Error | undefined)[] = [new DuplicateLeafError("dup"), new SpeculationLostError("built on it")];
    const { integrator, batches } = fakeIntegrator({ fail: () => errors.shift() });
    const seq = new Sequencer(integrator, { incoming: () => 0 });
    const results = await Promise.all([1, 2, 3].map((i) => seq.submit(entry(i))));
    expect(results.map((r) => r.entry.body.toString())).toEqual(["entry 1", "entry 2", "entry 3"]);
    expect(seq.stats.replannedBatches).toBe(2);
    expect(seq.stats.failedBatches).toBe(0);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(3);

    // A plan that keeps failing is refused after MAX_REPLANS tries (503, retry), not retried forever.
    const stuck = fakeIntegrator({ fail: () => new SpeculationLostError("again") });
    const seq2 = new Sequencer(stuck.integrator, { incoming: () => 0 });
    await expect(seq2.submit(entry(9))).rejects.toMatchObject({ code: "ERR_LOG_UNAVAILABLE" });
    expect(seq2.stats.replannedBatches).toBe(3);
  });

  it("groups concurrent submissions into batches and answers each with its own entry", async () => {
    const { integrator, batches } = fakeIntegrator();
    const seq = new Sequencer(integrator, { collectMs: 5, maxBatch: 100 });
    const results = await Promise.all(Array.from({ length: 250 }, (_, i) => seq.submit(entry(i))));
    expect(results.map((r) => r.entry.body.toString())).toEqual(Array.from({ length: 250 }, (_, i) => `entry ${i}`));
    expect(batches.every((b) => b <= 100)).toBe(true);
    expect(batches.length).toBeLessThanOrEqual(5);
  });

  it("refuses submissions beyond the queue bound with 503 + Retry-After, and serves the rest", async () => {
    let release!: () => void;
    const block = new Promise<void>((r) => (release = r));
    const { integrator } = fakeIntegrator({ block });
    const seq = new Sequencer(integrator, { collectMs: 1, maxBatch: 10, maxPending: 20 });
    const first = seq.submit(entry(0));
    await new Promise((r) => setTimeout(r, 10)); // the first batch is now integrating (blocked)
    const queued = Array.from({ length: 20 }, (_, i) => seq.submit(entry(i + 1)));
    await expect(seq.submit(entry(99))).rejects.toMatchObject({ kind: "UNAVAILABLE", code: "ERR_LOG_BUSY", retryAfterSeconds: 1 });
    expect(seq.stats.refused).toBe(1);
    release();
    await expect(Promise.all([first, ...queued])).resolves.toHaveLength(21);
  });

  it("acknowledges nothing of a failed batch, and stops for good when fenced off", async () => {
    let failWith: Error | undefined = new Error("database down");
    let fatal: Error | undefined;
    const { integrator } = fakeIntegrator({ fail: () => failWith });
    const seq = new Sequencer(integrator, { collectMs: 1, onFatal: (e) => (fatal = e) });
    await expect(seq.submit(entry(1))).rejects.toMatchObject({ code: "ERR_LOG_UNAVAILABLE" });
    failWith = undefined;
    await expect(seq.submit(entry(2))).resolves.toMatchObject({ duplicate: false });
    failWith = new TreeHeadConflictError("moved");
    await expect(seq.submit(entry(3))).rejects.toMatchObject({ code: "ERR_LOG_UNAVAILABLE" });
    expect(fatal?.name).toBe("TreeHeadConflictError");
    failWith = undefined;
    await expect(seq.submit(entry(4))).rejects.toMatchObject({ code: "ERR_LOG_UNAVAILABLE" });
  });

  it("prepares the next batch while the previous one commits, but never more than one ahead", async () => {
    const gates: (() => void)[] = [];
    const { integrator, events } = fakeIntegrator({ commitGate: () => new Promise<void>((r) => gates.push(r)) });
    const seq = new Sequencer(integrator, { collectMs: 1, maxBatch: 1 });
    const all = Promise.all([1, 2, 3, 4].map((i) => seq.submit(entry(i))));
    await new Promise((r) => setTimeout(r, 20));
    // Batch 1 is committing (held), batch 2 prepared behind it; batch 3 waits for batch 1's commit.
    expect(events).toEqual(["prepare 1", "prepare 2"]);
    gates.shift()!();
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual(["prepare 1", "prepare 2", "commit 1", "prepare 3"]);
    while (events.length < 8) {
      gates.shift()?.();
      await new Promise((r) => setTimeout(r, 5));
    }
    await expect(all).resolves.toHaveLength(4);
  });
});
