/**
 * RFC 6962 / RFC 9162 Merkle tree hashing with SHA-256.
 *
 * Synchronous on purpose: proof verification runs on every bundle and every explorer page, and
 * WebCrypto's async digest costs 13–23x more per call than @noble/hashes for 65-byte inputs.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { SignetCryptoError } from "../errors.ts";
import type { Bytes } from "../encoding/bytes.ts";

/** Size in bytes of every node hash (SHA-256). */
export const HASH_SIZE = 32;

/** Domain-separation prefix of leaf hashes (RFC 9162 §2.1.1). */
export const LEAF_HASH_PREFIX = 0x00;

/** Domain-separation prefix of interior node hashes (RFC 9162 §2.1.1). */
export const NODE_HASH_PREFIX = 0x01;

function digest(data: Uint8Array): Bytes {
  return sha256(data) as Bytes;
}

/** MTH({}) = SHA-256() : the root of the empty tree (RFC 9162 §2.1.1). */
export const EMPTY_ROOT: Bytes = digest(new Uint8Array(0));

/** Leaf hash SHA-256(0x00 ‖ data) (RFC 9162 §2.1.1). */
export function hashLeaf(data: Uint8Array): Bytes {
  const buf = new Uint8Array(data.length + 1);
  buf[0] = LEAF_HASH_PREFIX;
  buf.set(data, 1);
  return digest(buf);
}

// One scratch buffer for the hot path: hashing is synchronous, so it cannot be shared across calls.
const scratch = new Uint8Array(1 + 2 * HASH_SIZE);

/** Interior node hash SHA-256(0x01 ‖ left ‖ right) (RFC 9162 §2.1.1). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Bytes {
  if (left.length === HASH_SIZE && right.length === HASH_SIZE) {
    scratch[0] = NODE_HASH_PREFIX;
    scratch.set(left, 1);
    scratch.set(right, 1 + HASH_SIZE);
    return digest(scratch);
  }
  const buf = new Uint8Array(1 + left.length + right.length);
  buf[0] = NODE_HASH_PREFIX;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return digest(buf);
}

/** Throw ERR_MERKLE_HASH_SIZE unless `hash` is exactly 32 bytes. */
export function assertHashSize(hash: unknown, what: string): asserts hash is Uint8Array {
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    throw new SignetCryptoError("ERR_MERKLE_HASH_SIZE", `${what} must be a ${HASH_SIZE}-byte hash`);
  }
}

/**
 * Merkle Tree Hash of a list of leaf hashes, MTH(D[n]) (RFC 9162 §2.1.1).
 *
 * Folds the leaves into the stack of maximal complete subtrees (one per set bit of n), then
 * merges that stack right to left, which is exactly the recursive split at the largest power of two.
 */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Bytes {
  if (leafHashes.length === 0) return EMPTY_ROOT;
  const stack: Bytes[] = [];
  for (let i = 0; i < leafHashes.length; i++) {
    const leaf = leafHashes[i];
    assertHashSize(leaf, `leaf hash ${i}`);
    let node = Uint8Array.from(leaf) as Bytes;
    // Merge while the subtree just completed has a left sibling of the same height.
    for (let n = i; (n & 1) === 1; n >>>= 1) node = hashChildren(stack.pop()!, node);
    stack.push(node);
  }
  return foldRight(stack);
}

/**
 * Hash of a range given as its maximal complete subtrees, left to right:
 * H(s0, H(s1, … H(s[k-2], s[k-1]))) (RFC 9162 §2.1.1, unrolled).
 */
export function foldRight(subtrees: readonly Uint8Array[]): Bytes {
  if (subtrees.length === 0) return EMPTY_ROOT;
  let acc = Uint8Array.from(subtrees[subtrees.length - 1]!) as Bytes;
  for (let i = subtrees.length - 2; i >= 0; i--) acc = hashChildren(subtrees[i]!, acc);
  return acc;
}
