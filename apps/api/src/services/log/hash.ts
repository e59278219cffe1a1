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

/** RFC 6962 MTH of consecutive perfect subtrees (left to right), folded from the right. */
export function foldRight(subtrees: readonly Uint8Array[]): Uint8Array {
  if (subtrees.length === 0) return EMPTY_ROOT;
  let acc = subtrees[subtrees.length - 1]!;
  for (let i = subtrees.length - 2; i >= 0; i--) acc = nodeHash(subtrees[i]!, acc);
  return acc;
}
