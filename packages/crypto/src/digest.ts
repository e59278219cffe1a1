/**
 * SHA-2 digests: WebCrypto for artifacts (native speed on large inputs),
 * @noble/hashes for the many small synchronous hashes (leaf hashes, key IDs).
 */
import { sha256 as nobleSha256, sha384 as nobleSha384, sha512 as nobleSha512 } from "@noble/hashes/sha2.js";
import type { Bytes } from "./encoding/bytes.ts";
import { toBytes } from "./encoding/bytes.ts";

/** Hash names as WebCrypto spells them. */
export type HashName = "SHA-256" | "SHA-384" | "SHA-512";

/** Synchronous SHA-256 (FIPS 180-4) for small inputs. */
export function sha256(data: Uint8Array): Bytes {
  return nobleSha256(data) as Bytes;
}

/** Synchronous SHA-2 by name (FIPS 180-4). */
export function digestSync(hash: HashName, data: Uint8Array): Bytes {
  switch (hash) {
    case "SHA-256":
      return nobleSha256(data) as Bytes;
    case "SHA-384":
      return nobleSha384(data) as Bytes;
    case "SHA-512":
      return nobleSha512(data) as Bytes;
  }
}

/** Asynchronous SHA-2 through WebCrypto (FIPS 180-4); use for artifacts. */
export async function digest(hash: HashName, data: Uint8Array): Promise<Bytes> {
  const input = data.buffer instanceof ArrayBuffer ? (data as Bytes) : toBytes(data);
  return new Uint8Array(await crypto.subtle.digest(hash, input)) as Bytes;
}
