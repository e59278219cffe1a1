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

/** Size of the one buffer a byte stream is read into (BYOB): big enough for WASM throughput, small next to any bound. */
export const HASH_READ_BUFFER_BYTES = 1024 * 1024;

/**
 * Read a stream chunk by chunk. A byte stream (Blob.stream() in browsers and Node) is read into one
 * reused buffer (BYOB), so hashing a large file allocates nothing per chunk and the page's memory
 * stays flat instead of saw-toothing with garbage; any other stream is read as it comes.
 */
function chunkReader(stream: ReadableStream<Uint8Array>): { read: () => Promise<Uint8Array | undefined>; cancel: () => Promise<void>; release: () => void } {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = stream.getReader({ mode: "byob" });
  } catch {
    byob = undefined;
  }
  if (byob !== undefined) {
    const reader = byob;
    let buffer = new ArrayBuffer(HASH_READ_BUFFER_BYTES);
    return {
      async read() {
        const { done, value } = await reader.read(new Uint8Array(buffer));
        // The read transferred our buffer; the answer's view holds it now (also on `done`).
        if (value !== undefined) buffer = value.buffer as ArrayBuffer;
        return done ? undefined : value;
      },
      cancel: () => reader.cancel(),
      release: () => reader.releaseLock(),
    };
  }
  const reader = stream.getReader();
  return {
    async read() {
      const { done, value } = await reader.read();
      return done ? undefined : value;
    },
    cancel: () => reader.cancel(),
    release: () => reader.releaseLock(),
  };
}

/** SHA-256 of everything a byte stream yields, with throttled progress; rejects with the signal's reason on abort. */
export async function hashStream(stream: ReadableStream<Uint8Array>, options: HashStreamOptions = {}): Promise<StreamDigest> {
  const now = options.now ?? (() => performance.now());
  const interval = options.progressIntervalMs ?? 100;
  const started = now();
  const { hasher } = await createSha256Hasher();
  const reader = chunkReader(stream);
  let bytes = 0;
  let lastReport = started;
  try {
    for (;;) {
      if (options.signal?.aborted) throw options.signal.reason ?? new DOMException("aborted", "AbortError");
      const value = await reader.read();
      if (value === undefined) break;
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
    reader.release();
  }
  const elapsedMs = now() - started;
  options.onProgress?.({ bytes, total: options.total, elapsedMs });
  return { digest: hasher.digest(), bytes, elapsedMs };
}
