/**
 * C2SP tlog-tiles entry bundles: up to 256 entries, each a big-endian uint16 length then the bytes.
 * @see https://c2sp.org/tlog-tiles#log-entries
 */
import { SignetCryptoError } from "../errors.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { TILE_WIDTH } from "./tile-path.ts";

/** Largest entry an entry bundle can carry (uint16 length prefix). */
export const MAX_BUNDLE_ENTRY_SIZE = 0xffff;

/** Encode entries into a bundle; throws ERR_ENTRY_BUNDLE_INVALID for >256 entries or an entry over 65535 bytes. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Bytes {
  if (entries.length === 0 || entries.length > TILE_WIDTH) {
    throw new SignetCryptoError("ERR_ENTRY_BUNDLE_INVALID", `a bundle holds 1..${TILE_WIDTH} entries`);
  }
  let total = 0;
  for (const e of entries) {
    if (e.length > MAX_BUNDLE_ENTRY_SIZE) throw new SignetCryptoError("ERR_ENTRY_BUNDLE_INVALID", "entry longer than 65535 bytes");
    total += 2 + e.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const e of entries) {
    out[offset] = e.length >>> 8;
    out[offset + 1] = e.length & 0xff;
    out.set(e, offset + 2);
    offset += 2 + e.length;
  }
  return out as Bytes;
}

/**
 * Decode an entry bundle strictly: every length prefix complete, no trailing bytes, 1..256 entries,
 * and exactly `expectedCount` entries when given (the width the tile path promised).
 * Throws ERR_ENTRY_BUNDLE_MALFORMED. Entries are unverified until hashed against a verified tile.
 */
export function decodeEntryBundle(bundle: Uint8Array, expectedCount?: number): Bytes[] {
  // attacker-controlled: a bundle cannot legitimately exceed 256 × (2 + 65535) bytes
  const malformed = (message: string): never => {
    throw new SignetCryptoError("ERR_ENTRY_BUNDLE_MALFORMED", message);
  };
  if (!(bundle instanceof Uint8Array)) malformed("bundle must be bytes");
  if (bundle.length > TILE_WIDTH * (2 + MAX_BUNDLE_ENTRY_SIZE)) malformed("bundle is too large");
  const entries: Bytes[] = [];
  let offset = 0;
  while (offset < bundle.length) {
    if (entries.length === TILE_WIDTH) malformed(`more than ${TILE_WIDTH} entries`);
    if (offset + 2 > bundle.length) malformed("truncated length prefix");
    const len = (bundle[offset]! << 8) | bundle[offset + 1]!;
    offset += 2;
    if (offset + len > bundle.length) malformed("truncated entry");
    entries.push(bundle.slice(offset, offset + len) as Bytes);
    offset += len;
  }
  if (entries.length === 0) malformed("empty bundle");
  if (expectedCount !== undefined && entries.length !== expectedCount) {
    malformed(`bundle has ${entries.length} entries, expected ${expectedCount}`);
  }
  return entries;
}
