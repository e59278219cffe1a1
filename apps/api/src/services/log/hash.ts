/**
 * Server-side RFC 6962 hashing with Node's native SHA-256: ~20x faster per call than WebCrypto and
 * faster than the pure-JS hasher the isomorphic package uses. Byte-identical to @signet/crypto's
 * hashLeaf/hashChildren (a unit test checks it).
 */
import { hash } from "node:crypto";

export const HASH_SIZE = 32;
const NODE_PREFIX = Buffer.from([0x01]);
const LEAF_PREFIX = Buffer.from([0x00]);

/** SHA-256(0x00 ‖ data). */
export function leafHash(data: Uint8Array): Buffer {
  return hash("sha256", Buffer.concat([LEAF_PREFIX, data]), "buffer");
}

/** SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return hash("sha256", Buffer.concat([NODE_PREFIX, left, right], 65), "buffer");
}

/** SHA-256 of the empty string: the root of the empty tree. */
export const EMPTY_ROOT = hash("sha256", Buffer.alloc(0), "buffer");
