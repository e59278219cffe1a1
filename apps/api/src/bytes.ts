/** Byte helpers shared by the log, the CA and their database statements (no dependencies: worker threads load it too). */

/** The same bytes as a Buffer, without copying them. */
export const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/**
 * Byte strings as one buffer plus where each starts and how long it is: how they travel to PostgreSQL
 * as a single binary `bytea` parameter, cut apart in the statement with `substring(… FROM offset + 1
 * FOR length)`. pg sends a `bytea[]` parameter as hex text instead (built as a JS string, parsed back
 * by the server as an array), which cost the log's batch commit half of PostgreSQL's CPU per entry.
 */
export function packBytes(items: readonly Uint8Array[]): { data: Buffer; offsets: number[]; lengths: number[] } {
  const offsets: number[] = [];
  const lengths: number[] = [];
  let at = 0;
  for (const b of items) {
    offsets.push(at);
    lengths.push(b.byteLength);
    at += b.byteLength;
  }
  return { data: Buffer.concat(items as Uint8Array[], at), offsets, lengths };
}
