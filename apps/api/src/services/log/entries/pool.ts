/**
 * Entry preparation and signature checks on worker threads. The api's main thread parses HTTP,
 * sequences and answers; validating an entry (strict JSON, canonical form, the entry's signature)
 * and self-verifying the log's own HSM signatures are pure CPU work that would otherwise queue behind
 * it on one core. Tasks issued in the same tick travel to a worker in one message and come back in
 * one, so the per-entry cost of the thread hop stays small.
 *
 * With `workers: 0` everything runs inline on the calling thread (same code, same results), which is
 * what unit tests of callers and single-core machines use.
 */
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { asBuffer } from "../../../bytes.ts";
import { DomainError, type DomainKind } from "../../../errors.ts";
import { prepareRekorV1Entry, prepareRekorV2Entry } from "./prepare.ts";
import type { PreparedEntry } from "./types.ts";

/** One unit of work; the same shapes cross the thread boundary. */
export type PoolTask =
  | { op: "v1"; request: Uint8Array }
  | { op: "v2"; request: Uint8Array }
  | { op: "verifyEcdsa"; spki: Uint8Array; hash: "sha256" | "sha384"; data: Uint8Array; signature: Uint8Array };

export type PoolOutcome =
  | { ok: true; value: unknown }
  | { ok: false; error: { domain: true; kind: DomainKind; code: `ERR_${string}`; message: string; retryAfterSeconds?: number } | { domain: false; message: string } };

export interface EntryPool {
  /** Validate and verify a Rekor v1 ProposedEntry given as raw request bytes (see prepareRekorV1Entry). */
  prepareV1(request: Uint8Array): Promise<PreparedEntry>;
  /** Validate and verify a Rekor v2 CreateEntryRequest given as raw request bytes (see prepareRekorV2Entry). */
  prepareV2(request: Uint8Array): Promise<PreparedEntry>;
  /** DER ECDSA signature over `data` under an SPKI key; false for anything malformed (fail closed). */
  verifyEcdsa(spki: Uint8Array, hash: "sha256" | "sha384", data: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** Entries handed to prepareV1/prepareV2 whose check has not finished yet. */
  readonly checking: number;
  readonly workers: number;
  close(): Promise<void>;
}

/**
 * Nice value of the pool's threads (Linux). Their work is CPU-bound and batched, while the event loop,
 * the HSM sidecar and PostgreSQL each hold a batch's critical path for short bursts: letting those run
 * first when both cores are busy shortened every stage. Log bench (20k tree, paired runs on the 2-core
 * machine): 2,515 and 2,470 appends/s at nice 5 against 2,313 and 2,157/s at nice 0, with less CPU per
 * entry in every process.
 */
export const POOL_WORKER_NICE = 5;

const keyCache = new Map<string, KeyObject>();

function publicKeyFor(spki: Uint8Array): KeyObject {
  const id = Buffer.from(spki).toString("base64");
  let key = keyCache.get(id);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
    // Only the log's own few keys come through here; the bound is a guard, not a working-set size.
    if (keyCache.size >= 64) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}

/** Run one task on this thread, never throwing: the outcome is what crosses the thread boundary. */
export function runPoolTask(task: PoolTask): PoolOutcome {
  try {
    switch (task.op) {
      case "v1":
        return { ok: true, value: prepareRekorV1Entry(task.request) };
      case "v2":
        return { ok: true, value: prepareRekorV2Entry(task.request) };
      case "verifyEcdsa":
        try {
          return { ok: true, value: verify(task.hash, task.data, { key: publicKeyFor(task.spki), dsaEncoding: "der" }, task.signature) };
        } catch {
          return { ok: true, value: false };
        }
    }
  } catch (e) {
    if (e instanceof DomainError) {
      const error = { domain: true as const, kind: e.kind, code: e.code, message: e.message };
      return { ok: false, error: e.retryAfterSeconds === undefined ? error : { ...error, retryAfterSeconds: e.retryAfterSeconds } };
    }
    return { ok: false, error: { domain: false, message: e instanceof Error ? e.message : String(e) } };
  }
}

/** Structured clone turns Buffers into Uint8Arrays: give the entry back its Buffers. */
function revivePrepared(value: unknown): PreparedEntry {
  const e = value as PreparedEntry;
  return { ...e, body: asBuffer(e.body), leafHash: asBuffer(e.leafHash) };
}

function settle<T>(outcome: PoolOutcome): T {
  if (outcome.ok) return outcome.value as T;
  const err = outcome.error;
  if (err.domain) throw new DomainError(err.kind, err.code, err.message, err.retryAfterSeconds);
  throw new Error(err.message);
}

interface Waiting {
  resolve: (o: PoolOutcome) => void;
}

interface PoolWorker {
  worker: Worker;
  outstanding: Map<number, Waiting>;
  outbox: { id: number; task: PoolTask }[];
  dead: boolean;
}

const workerCode = (entry: string, tsx: string) =>
  `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;

/** tsx's ESM API (its "import" export, which vitest's import.meta may not resolve). */
function tsxApiUrl(): string {
  const resolve = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  if (typeof resolve === "function") {
    try {
      return resolve("tsx/esm/api");
    } catch {
      // fall through to the package's own layout
    }
  }
  const pkg = createRequire(import.meta.url).resolve("tsx/package.json");
  return pathToFileURL(path.join(path.dirname(pkg), "dist/esm/api/index.mjs")).href;
}

/** The default pool size: one worker per core (the main thread mostly waits on I/O), at most four. */
export function defaultPoolWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

export function createEntryPool(opts: { workers?: number; log?: (line: string) => void; /** Test seam: another worker module. */ workerModule?: URL } = {}): EntryPool {
  const size = opts.workers ?? defaultPoolWorkers();
  const inline = (task: PoolTask) => Promise.resolve(runPoolTask(task));
  let closed = false;
  let nextId = 1;
  const workers: PoolWorker[] = [];

  // Workers load TypeScript through tsx's API (a worker's --import hooks do not cover its entry module).
  const entry = (opts.workerModule ?? new URL("./pool-worker.ts", import.meta.url)).href;
  const tsx = size > 0 ? tsxApiUrl() : "";

  function spawn(): PoolWorker {
    const w: PoolWorker = { worker: new Worker(workerCode(entry, tsx), { eval: true, execArgv: [] }), outstanding: new Map(), outbox: [], dead: false };
    w.worker.on("message", (msg: { id: number; outcome: PoolOutcome }[]) => {
      for (const { id, outcome } of msg) {
        const waiting = w.outstanding.get(id);
        if (!waiting) continue;
        w.outstanding.delete(id);
        waiting.resolve(outcome);
      }
      // An idle pool must not keep the process alive; a busy one must.
      if (w.outstanding.size === 0) w.worker.unref();
    });
    const fail = (why: string) => {
      if (w.dead) return;
      w.dead = true;
      const i = workers.indexOf(w);
      if (i >= 0) workers.splice(i, 1);
      const outcome: PoolOutcome = { ok: false, error: { domain: true, kind: "UNAVAILABLE", code: "ERR_LOG_UNAVAILABLE", message: "the entry could not be checked; retry", retryAfterSeconds: 1 } };
      for (const waiting of w.outstanding.values()) waiting.resolve(outcome);
      w.outstanding.clear();
      if (!closed) {
        opts.log?.(`entry worker stopped (${why}); starting another`);
        workers.push(spawn());
      }
    };
    w.worker.on("error", (e) => fail(e.message));
    w.worker.on("exit", (code) => fail(`exit code ${code}`));
    w.worker.unref();
    return w;
  }
  for (let i = 0; i < size; i++) workers.push(spawn());

  function flush(w: PoolWorker): void {
    const batch = w.outbox;
    w.outbox = [];
    if (!w.dead) w.worker.postMessage(batch);
  }

  function run(task: PoolTask): Promise<PoolOutcome> {
    if (closed) return Promise.resolve({ ok: false, error: { domain: true, kind: "UNAVAILABLE", code: "ERR_LOG_UNAVAILABLE", message: "the api is shutting down" } });
    if (workers.length === 0) return inline(task);
    // Least outstanding work first; ties go to the first, which keeps batches large under light load.
    let w = workers[0]!;
    for (const c of workers) if (c.outstanding.size < w.outstanding.size) w = c;
    const id = nextId++;
    return new Promise<PoolOutcome>((resolve) => {
      if (w.outstanding.size === 0) w.worker.ref();
      w.outstanding.set(id, { resolve });
      w.outbox.push({ id, task });
      if (w.outbox.length === 1) setImmediate(flush, w);
    });
  }

  let checking = 0;
  const check = async (task: PoolTask): Promise<PreparedEntry> => {
    checking++;
    let outcome: PoolOutcome;
    try {
      outcome = await run(task);
    } finally {
      checking--;
    }
    return revivePrepared(settle(outcome));
  };

  return {
    workers: size,
    get checking() {
      return checking;
    },
    prepareV1: (request) => check({ op: "v1", request }),
    prepareV2: (request) => check({ op: "v2", request }),
    verifyEcdsa: async (spki, hash, data, signature) => settle<boolean>(await run({ op: "verifyEcdsa", spki, hash, data, signature })) === true,
    async close() {
      closed = true;
      await Promise.all(workers.splice(0).map((w) => ((w.dead = true), w.worker.terminate())));
    },
  };
}
