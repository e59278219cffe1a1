/**
 * Decoding the API's explorer answers (int64 as decimal strings, bytes as base64). The log server
 * is not trusted: every value is checked here before any proof uses it.
 */
import { fromBase64 } from "@signet/crypto/encoding/base64";
import { SignetWebError } from "../errors.ts";

function malformed(what: string, cause?: unknown): never {
  throw new SignetWebError("ERR_WEB_API_RESPONSE_MALFORMED", `the log sent a malformed ${what}`, cause === undefined ? undefined : { cause });
}

/** A non-negative int64 sent as a canonical decimal string. Throws ERR_WEB_API_RESPONSE_MALFORMED. */
export function toUint63(text: unknown, what: string): bigint {
  // attacker-controlled: the digit count is checked before BigInt
  if (typeof text !== "string" || !/^(0|[1-9][0-9]{0,18})$/.test(text)) malformed(what);
  const n = BigInt(text);
  if (n >= 1n << 63n) malformed(what);
  return n;
}

/** Base64 bytes, at most `maxBytes` long. Throws ERR_WEB_API_RESPONSE_MALFORMED. */
export function toBytesFromBase64(text: unknown, what: string, maxBytes: number): Uint8Array {
  // attacker-controlled: the encoded length bounds the decoded one
  if (typeof text !== "string" || text.length > Math.ceil(maxBytes / 3) * 4 + 4) malformed(what);
  try {
    const bytes = fromBase64(text);
    if (bytes.length > maxBytes) malformed(what);
    return bytes;
  } catch (cause) {
    malformed(what, cause);
  }
}

/** A 32-byte hash sent as base64. Throws ERR_WEB_API_RESPONSE_MALFORMED. */
export function toHash(text: unknown, what: string): Uint8Array {
  const bytes = toBytesFromBase64(text, what, 32);
  if (bytes.length !== 32) malformed(what);
  return bytes;
}

/** A list of 32-byte hashes (a Merkle proof), at most `max` long. */
export function toHashList(list: unknown, what: string, max = 64): Uint8Array[] {
  if (!Array.isArray(list) || list.length > max) malformed(what);
  return list.map((h, i) => toHash(h, `${what} hash ${i}`));
}
