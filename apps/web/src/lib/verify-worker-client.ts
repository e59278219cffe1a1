/**
 * The page side of the verify worker: one Worker per page, requests matched to answers by id.
 * Browser-only (imported from client components).
 */
import type { BundleInspection } from "./bundle-inspect.ts";
import type { HashProgress } from "./hash-stream.ts";
import type { VerificationOutcome, VerificationRequest } from "./run-verification.ts";
import type { VerifyWorkerRequest, VerifyWorkerResponse } from "./verify-worker-protocol.ts";

type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;
type Pending = { resolve: (r: VerifyWorkerResponse) => void; reject: (e: Error) => void; onProgress?: (p: HashProgress) => void };

/** A typed handle on the verify worker. */
export interface VerifyWorker {
  hash(file: Blob, onProgress: (p: HashProgress) => void): Promise<{ digest: Uint8Array; bytes: number; elapsedMs: number }>;
  inspect(bundleText: string): Promise<BundleInspection>;
  verify(request: VerificationRequest): Promise<VerificationOutcome>;
  terminate(): void;
}

/** Start the verify worker (served from this origin: CSP worker-src 'self'). */
export function createVerifyWorker(): VerifyWorker {
  const worker = new Worker(new URL("../workers/verify.worker.ts", import.meta.url), { type: "module", name: "signet-verify" });
  const pending = new Map<number, Pending>();
  let nextId = 1;

  worker.onmessage = (event: MessageEvent<VerifyWorkerResponse>) => {
    const message = event.data;
    const p = pending.get(message.id);
    if (p === undefined) return;
    if (message.type === "progress") {
      p.onProgress?.({ bytes: message.bytes, total: message.total, elapsedMs: message.elapsedMs });
      return;
    }
    pending.delete(message.id);
    if (message.type === "error") p.reject(Object.assign(new Error(message.message), { code: message.code }));
    else p.resolve(message);
  };
  worker.onerror = (event) => {
    const error = new Error(`the verification worker failed: ${event.message || "unknown error"}`);
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };

  function call(request: WithoutId<VerifyWorkerRequest>, onProgress?: (p: HashProgress) => void): Promise<VerifyWorkerResponse> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, ...(onProgress ? { onProgress } : {}) });
      worker.postMessage({ ...request, id } as VerifyWorkerRequest);
    });
  }

  return {
    async hash(file, onProgress) {
      const r = await call({ type: "hash", file }, onProgress);
      if (r.type !== "hashed") throw new Error("unexpected worker answer");
      return { digest: r.digest, bytes: r.bytes, elapsedMs: r.elapsedMs };
    },
    async inspect(bundleText) {
      const r = await call({ type: "inspect", bundleText });
      if (r.type !== "inspected") throw new Error("unexpected worker answer");
      return r.inspection;
    },
    async verify(request) {
      const r = await call({ type: "verify", ...request });
      if (r.type !== "verified") throw new Error("unexpected worker answer");
      return r.outcome;
    },
    terminate() {
      worker.terminate();
      for (const p of pending.values()) p.reject(new Error("the verification worker was stopped"));
      pending.clear();
    },
  };
}
