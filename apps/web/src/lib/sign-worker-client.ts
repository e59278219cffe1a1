/**
 * The page side of the sign worker: one Worker per page, requests matched to answers by id.
 * Browser-only (imported from client components).
 */
import type { HashProgress } from "./hash-stream.ts";
import type { ReadResult } from "./read-and-hash.ts";
import type { SignWorkerResponse } from "./sign-worker-protocol.ts";

type Pending = { resolve: (r: ReadResult) => void; reject: (e: Error) => void; onProgress: (p: HashProgress) => void };

/** A typed handle on the sign worker. */
export interface SignWorker {
  read(file: Blob, keepBytes: boolean, onProgress: (p: HashProgress) => void): Promise<ReadResult>;
  terminate(): void;
}

/** Start the sign worker (served from this origin: CSP worker-src 'self'). */
export function createSignWorker(): SignWorker {
  const worker = new Worker(new URL("../workers/sign.worker.ts", import.meta.url), { type: "module", name: "signet-sign" });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  worker.onmessage = (event: MessageEvent<SignWorkerResponse>) => {
    const m = event.data;
    const p = pending.get(m.id);
    if (p === undefined) return;
    if (m.type === "progress") return p.onProgress({ bytes: m.bytes, total: m.total, elapsedMs: m.elapsedMs });
    pending.delete(m.id);
    if (m.type === "error") p.reject(Object.assign(new Error(m.message), { code: m.code }));
    else p.resolve({ digest: m.digest, bytes: m.bytes, elapsedMs: m.elapsedMs, content: m.content === undefined ? undefined : new Uint8Array(m.content) });
  };
  worker.onerror = (event) => {
    const error = new Error(`the signing worker failed: ${event.message || "unknown error"}`);
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  return {
    read(file, keepBytes, onProgress) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject, onProgress });
        worker.postMessage({ id, type: "read", file, keepBytes });
      });
    },
    terminate() {
      worker.terminate();
      for (const p of pending.values()) p.reject(new Error("the signing worker was stopped"));
      pending.clear();
    },
  };
}
