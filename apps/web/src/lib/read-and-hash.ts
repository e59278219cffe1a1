/**
 * One streaming pass over a file for /sign: SHA-256 (FIPS 180-4, via hashStream) and, when asked,
 * a copy of the bytes into one buffer of the file's declared size, for WebCrypto, which signs whole
 * messages only.
 */
import { hashStream, type HashProgress } from "./hash-stream.ts";

/** What one pass produced. */
export interface ReadResult {
  readonly digest: Uint8Array;
  readonly bytes: number;
  readonly elapsedMs: number;
  /** The file's bytes, when `keepBytes` was set. */
  readonly content: Uint8Array<ArrayBuffer> | undefined;
}

/** Read `file` once: hash it, and keep its bytes when `keepBytes`; ERR_SIGN_ARTIFACT_CHANGED if its size changes meanwhile. */
export async function readAndHash(file: Blob, options: { keepBytes: boolean; onProgress?: (p: HashProgress) => void }): Promise<ReadResult> {
  const size = file.size;
  const progress = { total: size, ...(options.onProgress ? { onProgress: options.onProgress } : {}) };
  const changed = () => Object.assign(new Error("the file changed while it was read"), { code: "ERR_SIGN_ARTIFACT_CHANGED" });
  if (!options.keepBytes) {
    // Large files: the byte stream straight into the hasher (one reused buffer, hash-stream.ts).
    const result = await hashStream(file.stream(), progress);
    if (result.bytes !== size) throw changed();
    return { ...result, content: undefined };
  }
  const content = new Uint8Array(size);
  let offset = 0;
  const copy = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      // The buffer was sized from file.size: a file that grows while read must not overflow it.
      if (offset + chunk.byteLength > size) throw changed();
      content.set(chunk, offset);
      offset += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  const result = await hashStream(file.stream().pipeThrough(copy), progress);
  if (offset !== size) throw changed();
  return { ...result, content };
}
