import { SignetCryptoError } from "../errors.ts";

/** Bytes owned by a plain ArrayBuffer: what WebCrypto accepts as a BufferSource. */
export type Bytes = Uint8Array<ArrayBuffer>;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** UTF-8 encode a string. */
export function utf8(text: string): Bytes {
  return utf8Encoder.encode(text) as Bytes;
}

/** Strict UTF-8 decode; malformed input throws ERR_ENCODING_UTF8. */
export function fromUtf8(bytes: Uint8Array): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch (cause) {
    throw new SignetCryptoError("ERR_ENCODING_UTF8", "invalid UTF-8", { cause });
  }
}

/** Concatenate byte arrays into a fresh buffer. */
export function concatBytes(...parts: readonly Uint8Array[]): Bytes {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Constant-time-ish equality (length leaks, content does not short-circuit). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Copy into a buffer owned by a plain ArrayBuffer (for WebCrypto). */
export function toBytes(view: Uint8Array): Bytes {
  return new Uint8Array(view) as Bytes;
}
