/**
 * Read a byte stream (a fetch Response or Request body) to the end, but never past `maxBytes`: the
 * first chunk that crosses the cap cancels the stream. Callers check a declared Content-Length first
 * and map "too large" to their own error.
 */
import type { Bytes } from "./bytes.ts";
import { concatBytes } from "./bytes.ts";

/** The whole stream (empty for a null body), or undefined when it holds more than `maxBytes`. */
export async function readCapped(body: ReadableStream<Uint8Array> | null | undefined, maxBytes: number): Promise<Bytes | undefined> {
  // attacker-controlled: the length is checked per chunk, before it is kept
  if (body === null || body === undefined) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return concatBytes(...chunks);
}
