/**
 * Messages between /sign and its Web Worker (src/workers/sign.worker.ts). The file travels as a
 * Blob handle; when the page needs the bytes (files signed directly), they come back once, as a
 * transferred ArrayBuffer, so the file is read a single time.
 */

export type SignWorkerRequest = { readonly id: number; readonly type: "read"; readonly file: Blob; readonly keepBytes: boolean };

export type SignWorkerResponse =
  | { readonly id: number; readonly type: "progress"; readonly bytes: number; readonly total: number | undefined; readonly elapsedMs: number }
  | { readonly id: number; readonly type: "read"; readonly digest: Uint8Array; readonly bytes: number; readonly elapsedMs: number; readonly content: ArrayBuffer | undefined }
  | { readonly id: number; readonly type: "error"; readonly code: string; readonly message: string };
