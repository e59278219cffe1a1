/**
 * Streaming SHA-256 of an artifact (FIPS 180-4) for the verify page's worker. The file is read
 * chunk by chunk from `Blob.stream()` and never held in memory whole (DESIGN "Data flow" step 2).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { createSHA256 } from "hash-wasm";

/** The incremental hasher interface both implementations offer. */
interface Hasher {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
}

/**
 * A SHA-256 hasher: WebAssembly (hash-wasm, ~3× faster on large files) when the page's CSP and the
 * browser allow it, else the audited pure-JS @noble/hashes. Both compute the same FIPS 180-4 digest.
 */
export async function createSha256Hasher(): Promise<{ hasher: Hasher; kind: "wasm" | "js" }> {
  try {
    const wasm = await createSHA256();
    wasm.init();
    return { kind: "wasm", hasher: { update: (d) => wasm.update(d), digest: () => wasm.digest("binary") } };
  } catch {
    return { kind: "js", hasher: sha256.create() };
  }
}

/** How far hashing has got; `total` is the file size when known. */
export interface HashProgress {
  readonly bytes: number;
  readonly total: number | undefined;
  readonly elapsedMs: number;
}

export interface HashStreamOptions {
  /** Expected size, reported with each progress event. */
  readonly total?: number;
  /** Called at most every `progressIntervalMs` while hashing, and once at the end. */
  readonly onProgress?: (progress: HashProgress) => void;
  readonly progressIntervalMs?: number;
  readonly signal?: AbortSignal;
  /** Clock in milliseconds (injected by tests). */
  readonly now?: () => number;
}

export interface StreamDigest {
  readonly digest: Uint8Array;
  readonly bytes: number;
  readonly elapsedMs: number;
}

/** SHA-256 of everything a byte stream yields, with throttled progress; rejects with the signal's reason on abort. */
export async function hashStream(stream: ReadableStream<Uint8Array>, options: HashStreamOptions = {}): Promise<StreamDigest> {
  const now = options.now ?? (() => performance.now());
  const interval = options.progressIntervalMs ?? 100;
  const started = now();
  const { hasher } = await createSha256Hasher();
  const reader = stream.getReader();
  let bytes = 0;
  let lastReport = started;
  try {
    for (;;) {
      if (options.signal?.aborted) throw options.signal.reason ?? new DOMException("aborted", "AbortError");
      const { done, value } = await reader.read();
      if (done) break;
      hasher.update(value);
      bytes += value.byteLength;
      const t = now();
      if (options.onProgress !== undefined && t - lastReport >= interval) {
        lastReport = t;
        options.onProgress({ bytes, total: options.total, elapsedMs: t - started });
      }
    }
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    throw e;
  } finally {
    reader.releaseLock();
  }
  const elapsedMs = now() - started;
  options.onProgress?.({ bytes, total: options.total, elapsedMs });
  return { digest: hasher.digest(), bytes, elapsedMs };
}
