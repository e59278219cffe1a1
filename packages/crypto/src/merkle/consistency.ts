/**
 * Merkle consistency proof verification (RFC 9162 §2.1.4.2).
 * @see https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.2
 */
import { SignetCryptoError } from "../errors.ts";
import { bytesEqual } from "../encoding/bytes.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { assertHashSize, hashChildren } from "./rfc6962.ts";
import { MAX_PROOF_HASHES, assertUint64, bitAt, inclusionShape, toBits64, trailingZeros } from "./tree-math.ts";

/** A consistency proof between the trees of `size1` and `size2` leaves (RFC 9162 §2.1.4). */
export interface ConsistencyProof {
  readonly size1: bigint;
  readonly size2: bigint;
  readonly root1: Uint8Array;
  readonly root2: Uint8Array;
  readonly proof: readonly Uint8Array[];
}

/**
 * Verify that the tree of `size2` leaves with root `root2` extends the tree of `size1` leaves with
 * root `root1` (RFC 9162 §2.1.4.2).
 *
 * Equal sizes need an empty proof and equal roots. `size1 = 0` is rejected
 * (ERR_MERKLE_SIZE_OUT_OF_RANGE): RFC 9162 defines proofs only for 0 < size1 < size2, and the
 * empty tree proves nothing; callers holding no previous checkpoint skip this check themselves.
 * Throws ERR_MERKLE_SIZE_OUT_OF_RANGE, ERR_MERKLE_PROOF_SIZE, ERR_MERKLE_HASH_SIZE or ERR_MERKLE_ROOT_MISMATCH.
 */
export function verifyConsistency({ size1, size2, root1, root2, proof }: ConsistencyProof): void {
  assertUint64(size1, "size1", "ERR_MERKLE_SIZE_OUT_OF_RANGE");
  assertUint64(size2, "size2", "ERR_MERKLE_SIZE_OUT_OF_RANGE");
  // attacker-controlled: the proof length is capped before anything is hashed
  if (!Array.isArray(proof) || proof.length > MAX_PROOF_HASHES) {
    throw new SignetCryptoError("ERR_MERKLE_PROOF_SIZE", `proof must be an array of at most ${MAX_PROOF_HASHES} hashes`);
  }
  if (size1 > size2) throw new SignetCryptoError("ERR_MERKLE_SIZE_OUT_OF_RANGE", "size1 is larger than size2");
  if (size1 === 0n) throw new SignetCryptoError("ERR_MERKLE_SIZE_OUT_OF_RANGE", "no consistency proof exists from the empty tree");
  if (size1 === size2) {
    if (proof.length !== 0) throw new SignetCryptoError("ERR_MERKLE_PROOF_SIZE", "equal sizes need an empty proof");
    if (!(root1 instanceof Uint8Array) || !(root2 instanceof Uint8Array) || !bytesEqual(root1, root2)) {
      throw new SignetCryptoError("ERR_MERKLE_ROOT_MISMATCH", "equal sizes but different roots");
    }
    return;
  }
  assertHashSize(root1, "root1");
  assertHashSize(root2, "root2");

  // The proof is the inclusion proof of the node that ends the old tree's right border
  // (level = trailing zeros of size1), preceded by that node's own hash unless it is the old root.
  const level = trailingZeros(size1);
  const { inner: innerTotal, border } = inclusionShape(size1 - 1n, size2);
  const inner = innerTotal - level;
  const seedIsRoot1 = size1 === 1n << BigInt(level);
  const start = seedIsRoot1 ? 0 : 1;
  if (proof.length !== start + inner + border) {
    throw new SignetCryptoError("ERR_MERKLE_PROOF_SIZE", `proof has ${proof.length} hashes, expected ${start + inner + border}`);
  }
  for (let i = 0; i < proof.length; i++) assertHashSize(proof[i], `proof hash ${i}`);

  const seed: Uint8Array = seedIsRoot1 ? root1 : proof[0]!;
  const bits = toBits64((size1 - 1n) >> BigInt(level));
  let hash1: Bytes = Uint8Array.from(seed) as Bytes;
  let hash2: Bytes = Uint8Array.from(seed) as Bytes;
  for (let i = 0; i < inner; i++) {
    const sibling = proof[start + i]!;
    if (bitAt(bits, i) === 1) {
      // A left sibling belongs to both trees.
      hash1 = hashChildren(sibling, hash1);
      hash2 = hashChildren(sibling, hash2);
    } else {
      // A right sibling only exists in the new tree.
      hash2 = hashChildren(hash2, sibling);
    }
  }
  for (let i = start + inner; i < proof.length; i++) {
    const sibling = proof[i]!;
    hash1 = hashChildren(sibling, hash1);
    hash2 = hashChildren(sibling, hash2);
  }
  if (!bytesEqual(hash1, root1)) throw new SignetCryptoError("ERR_MERKLE_ROOT_MISMATCH", "proof does not lead to root1");
  if (!bytesEqual(hash2, root2)) throw new SignetCryptoError("ERR_MERKLE_ROOT_MISMATCH", "proof does not lead to root2");
}
