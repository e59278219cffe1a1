import { SignetCryptoError } from "../errors.ts";
import type { Bytes } from "./bytes.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/**
 * Node's Buffer when this runs under Node (the api, the CLI), for encoding natively; undefined in browsers.
 * Typed structurally: this package does not depend on Node's types.
 */
const NODE_BUFFER = (globalThis as { Buffer?: { from(a: ArrayBufferLike, offset: number, length: number): { toString(enc: "base64"): string } } }).Buffer;

/** Standard base64 with padding (RFC 4648 §4). */
export function toBase64(bytes: Uint8Array): string {
  // Under Node, natively: the loop below builds the string from four-character pieces, which for a
  // certificate was ~25 KB of short-lived strings per call (heap profile of the CA bench).
  if (NODE_BUFFER) return NODE_BUFFER.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  return toBase64Portable(bytes);
}

/** The same without Node (browsers); exported for its tests, which run under Node. */
export function toBase64Portable(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + "==";
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + "=";
  }
  return out;
}

/**
 * Strict standard base64 decode (RFC 4648 §4): padding required, no whitespace,
 * non-zero trailing bits rejected. Throws ERR_ENCODING_BASE64.
 */
export function fromBase64(text: string): Bytes {
  // attacker-controlled: every character is checked, lengths are checked before allocation
  if (typeof text !== "string" || text.length % 4 !== 0) {
    throw new SignetCryptoError("ERR_ENCODING_BASE64", "base64 length is not a multiple of 4");
  }
  let pad = 0;
  if (text.endsWith("==")) pad = 2;
  else if (text.endsWith("=")) pad = 1;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const padded = last ? 4 - pad : 4; // characters of this quad before its padding
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      let d: number;
      if (j >= padded) {
        if (c !== 61) throw new SignetCryptoError("ERR_ENCODING_BASE64", "misplaced base64 padding");
        d = 0;
      } else {
        d = c < 128 ? DECODE[c]! : -1;
        if (d < 0) throw new SignetCryptoError("ERR_ENCODING_BASE64", "invalid base64 character");
      }
      n = (n << 6) | d;
    }
    if (last && pad === 2 && (n & 0xffff) !== 0) throw new SignetCryptoError("ERR_ENCODING_BASE64", "non-canonical base64");
    if (last && pad === 1 && (n & 0xff) !== 0) throw new SignetCryptoError("ERR_ENCODING_BASE64", "non-canonical base64");
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out as Bytes;
}
