/**
 * Messages between the verify page and its Web Worker (src/workers/verify.worker.ts). Every value
 * is structured-cloneable; the file travels as a Blob handle, never as its bytes.
 */
import type { BundleInspection } from "./bundle-inspect.ts";
import type { VerificationOutcome, VerificationRequest } from "./run-verification.ts";

export type VerifyWorkerRequest =
  | { readonly id: number; readonly type: "hash"; readonly file: Blob }
  | { readonly id: number; readonly type: "inspect"; readonly bundleText: string }
  | ({ readonly id: number; readonly type: "verify" } & VerificationRequest);

export type VerifyWorkerResponse =
  | { readonly id: number; readonly type: "progress"; readonly bytes: number; readonly total: number | undefined; readonly elapsedMs: number }
  | { readonly id: number; readonly type: "hashed"; readonly digest: Uint8Array; readonly bytes: number; readonly elapsedMs: number }
  | { readonly id: number; readonly type: "inspected"; readonly inspection: BundleInspection }
  | { readonly id: number; readonly type: "verified"; readonly outcome: VerificationOutcome }
  | { readonly id: number; readonly type: "error"; readonly code: string; readonly message: string };
