/**
 * Merkle inclusion proof verification (RFC 9162 §2.1.3.2).
 * @see https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.2
 */
import { SignetCryptoError } from "../errors.ts";
import { bytesEqual } from "../encoding/bytes.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { assertHashSize, hashChildren } from "./rfc6962.ts";
import { MAX_PROOF_HASHES, assertUint64, bitAt, inclusionShape, toBits64 } from "./tree-math.ts";

/** An inclusion proof of one leaf hash in a tree of `size` leaves; hashes are ordered leaf to root. */
export interface InclusionProof {
  /** Zero-based leaf index, uint64 as bigint. */
  readonly index: bigint;
  /** Tree size, uint64 as bigint. */
  readonly size: bigint;
  /** RFC 6962 leaf hash (32 bytes), e.g. `hashLeaf(canonicalizedBody)`. */
  readonly leafHash: Uint8Array;
  /** Audit path, leaf to root (RFC 9162 §2.1.3.1). */
  readonly proof: readonly Uint8Array[];
}

/** Check index, size and proof shape before any hashing; returns the number of inner hashes. */
function checkInclusionShape(index: unknown, size: unknown, proof: unknown): number {
  assertUint64(size, "tree size", "ERR_MERKLE_SIZE_OUT_OF_RANGE");
  assertUint64(index, "leaf index", "ERR_MERKLE_INDEX_OUT_OF_RANGE");
  if (index >= size) throw new SignetCryptoError("ERR_MERKLE_INDEX_OUT_OF_RANGE", "leaf index is not below the tree size");
  // attacker-controlled: the proof length is capped before anything is hashed
  if (!Array.isArray(proof) || proof.length > MAX_PROOF_HASHES) {
    throw new SignetCryptoError("ERR_MERKLE_PROOF_SIZE", `proof must be an array of at most ${MAX_PROOF_HASHES} hashes`);
  }
  const { inner, border } = inclusionShape(index, size);
  if (proof.length !== inner + border) {
    throw new SignetCryptoError("ERR_MERKLE_PROOF_SIZE", `proof has ${proof.length} hashes, expected ${inner + border}`);
  }
  for (let i = 0; i < proof.length; i++) assertHashSize(proof[i], `proof hash ${i}`);
  return inner;
}

/**
 * Recompute the root implied by an inclusion proof (RFC 9162 §2.1.3.2). The result is only
 * meaningful once compared with a trusted root: use `verifyInclusion`.
 */
export function rootFromInclusionProof({ index, size, leafHash, proof }: InclusionProof): Bytes {
  const inner = checkInclusionShape(index, size, proof);
  assertHashSize(leafHash, "leaf hash");
  const bits = toBits64(index);
  let node = Uint8Array.from(leafHash) as Bytes;
  for (let i = 0; i < proof.length; i++) {
    const sibling = proof[i]!;
    // Below the merge point the index bit says which side we are on; above it we are always the
    // right child of a complete left sibling.
    node = i < inner && bitAt(bits, i) === 0 ? hashChildren(node, sibling) : hashChildren(sibling, node);
  }
  return node;
}

/**
 * Verify that `leafHash` is at `index` in the tree of `size` leaves whose root is `root`
 * (RFC 9162 §2.1.3.2). Throws ERR_MERKLE_INDEX_OUT_OF_RANGE, ERR_MERKLE_SIZE_OUT_OF_RANGE,
 * ERR_MERKLE_PROOF_SIZE, ERR_MERKLE_HASH_SIZE or ERR_MERKLE_ROOT_MISMATCH.
 */
export function verifyInclusion(input: InclusionProof & { readonly root: Uint8Array }): void {
  const computed = rootFromInclusionProof(input);
  assertHashSize(input.root, "root");
  if (!bytesEqual(computed, input.root)) {
    throw new SignetCryptoError("ERR_MERKLE_ROOT_MISMATCH", "inclusion proof does not lead to the expected root");
  }
}
