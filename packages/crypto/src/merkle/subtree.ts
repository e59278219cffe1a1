/**
 * Subtrees of an RFC 6962 tree, their inclusion and consistency proofs, as used by C2SP
 * tlog-cosignature subtree signatures and Merkle Tree Certificates.
 * @see https://datatracker.ietf.org/doc/draft-ietf-plants-merkle-tree-certs/ §4 "Subtrees"
 */
import { SignetCryptoError } from "../errors.ts";
import { bytesEqual } from "../encoding/bytes.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { rootFromInclusionProof } from "./inclusion.ts";
import { inclusionProofPlan, proofFromPlan, rangeNodeIds } from "./proof.ts";
import type { GetNode, NodeId, ProofPlan } from "./proof.ts";
import { EMPTY_ROOT, assertHashSize, hashChildren } from "./rfc6962.ts";
import { MAX_PROOF_HASHES, UINT64_MAX, assertUint64, bitLength } from "./tree-math.ts";

/**
 * True when [start, end) is a valid subtree: start ≤ end and start is a multiple of
 * BIT_CEIL(end − start) (draft-ietf-plants-merkle-tree-certs §4.1).
 */
export function isValidSubtree(start: bigint, end: bigint): boolean {
  if (typeof start !== "bigint" || typeof end !== "bigint" || start < 0n || end > UINT64_MAX || start > end) return false;
  const size = end - start;
  if (size > 1n << 63n) return start === 0n; // BIT_CEIL would not fit in 64 bits
  const ceil = size <= 1n ? 1n : 1n << BigInt(bitLength(size - 1n));
  return (start & (ceil - 1n)) === 0n;
}

function assertSubtree(start: unknown, end: unknown): asserts start is bigint {
  assertUint64(start, "subtree start", "ERR_MERKLE_SUBTREE_INVALID");
  assertUint64(end, "subtree end", "ERR_MERKLE_SUBTREE_INVALID");
  if (!isValidSubtree(start, end as bigint)) throw new SignetCryptoError("ERR_MERKLE_SUBTREE_INVALID", "not a valid subtree interval");
}

/** A subtree inclusion proof: leaf `index` of the subtree [start, end) (draft-ietf-plants-merkle-tree-certs §4.3). */
export interface SubtreeInclusionProof {
  readonly index: bigint;
  readonly start: bigint;
  readonly end: bigint;
  readonly leafHash: Uint8Array;
  readonly proof: readonly Uint8Array[];
}

/** Evaluate a subtree inclusion proof to the subtree hash it implies (draft §4.3.2). Unverified. */
export function subtreeRootFromInclusionProof(p: SubtreeInclusionProof): Bytes {
  assertSubtree(p.start, p.end);
  assertUint64(p.index, "leaf index", "ERR_MERKLE_INDEX_OUT_OF_RANGE");
  if (p.index < p.start || p.index >= p.end) throw new SignetCryptoError("ERR_MERKLE_INDEX_OUT_OF_RANGE", "leaf is not in the subtree");
  return rootFromInclusionProof({ index: p.index - p.start, size: p.end - p.start, leafHash: p.leafHash, proof: p.proof });
}

/** Verify that `leafHash` is entry `index` of the subtree [start, end) with hash `root` (draft §4.3.3). */
export function verifySubtreeInclusion(p: SubtreeInclusionProof & { readonly root: Uint8Array }): void {
  const computed = subtreeRootFromInclusionProof(p);
  assertHashSize(p.root, "subtree root");
  if (!bytesEqual(computed, p.root)) throw new SignetCryptoError("ERR_MERKLE_ROOT_MISMATCH", "proof does not lead to the subtree hash");
}

/** A proof that the subtree [start, end) with hash `subtreeRoot` is part of the tree of `size` leaves with root `root`. */
export interface SubtreeConsistencyProof {
  readonly start: bigint;
  readonly end: bigint;
  readonly size: bigint;
  readonly subtreeRoot: Uint8Array;
  readonly root: Uint8Array;
  readonly proof: readonly Uint8Array[];
}

/** Verify a subtree consistency proof (draft-ietf-plants-merkle-tree-certs §4.4.3). */
export function verifySubtreeConsistency(p: SubtreeConsistencyProof): void {
  assertSubtree(p.start, p.end);
  assertUint64(p.size, "tree size", "ERR_MERKLE_SIZE_OUT_OF_RANGE");
  if (p.end > p.size) throw new SignetCryptoError("ERR_MERKLE_SUBTREE_INVALID", "subtree extends past the tree");
  // attacker-controlled: the proof length is capped before anything is hashed
  if (!Array.isArray(p.proof) || p.proof.length > MAX_PROOF_HASHES + 1) {
    throw new SignetCryptoError("ERR_MERKLE_PROOF_SIZE", "proof is too long");
  }
  if (p.start === p.end) {
    if (p.proof.length !== 0) throw new SignetCryptoError("ERR_MERKLE_PROOF_SIZE", "an empty subtree needs an empty proof");
    if (!(p.subtreeRoot instanceof Uint8Array) || !bytesEqual(p.subtreeRoot, EMPTY_ROOT)) {
      throw new SignetCryptoError("ERR_MERKLE_ROOT_MISMATCH", "an empty subtree hashes to SHA-256()");
    }
    return;
  }
  // Roots are only compared, never parsed: like RFC 9162 §2.1.4.2 for equal sizes, the probes accept
  // [0, n) of an n-leaf tree with equal (even non-32-byte) hashes, so only proof hashes are size-checked.
  if (!(p.subtreeRoot instanceof Uint8Array) || !(p.root instanceof Uint8Array)) {
    throw new SignetCryptoError("ERR_MERKLE_HASH_SIZE", "roots must be bytes");
  }
  for (let i = 0; i < p.proof.length; i++) assertHashSize(p.proof[i], `proof hash ${i}`);

  let fn = p.start;
  let sn = p.end - 1n;
  let tn = p.size - 1n;
  // Climb to the lowest node of the tree that the subtree's right edge shares with it.
  if (sn === tn) {
    while (fn !== sn) [fn, sn, tn] = [fn >> 1n, sn >> 1n, tn >> 1n];
  } else {
    while (fn !== sn && (sn & 1n) === 1n) [fn, sn, tn] = [fn >> 1n, sn >> 1n, tn >> 1n];
  }
  let rest = p.proof;
  let fr: Bytes;
  let sr: Bytes;
  if (fn === sn) {
    fr = Uint8Array.from(p.subtreeRoot) as Bytes;
    sr = fr;
  } else {
    if (rest.length === 0) throw new SignetCryptoError("ERR_MERKLE_PROOF_SIZE", "proof is empty");
    fr = Uint8Array.from(rest[0]!) as Bytes;
    sr = fr;
    rest = rest.slice(1);
  }
  for (const c of rest) {
    if (tn === 0n) throw new SignetCryptoError("ERR_MERKLE_PROOF_SIZE", "proof is too long");
    if ((sn & 1n) === 1n || sn === tn) {
      // A left sibling: part of the subtree's hash only while the subtree spans it (fn < sn).
      if (fn < sn) fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while ((sn & 1n) === 0n) [fn, sn, tn] = [fn >> 1n, sn >> 1n, tn >> 1n];
    } else {
      sr = hashChildren(sr, c);
    }
    [fn, sn, tn] = [fn >> 1n, sn >> 1n, tn >> 1n];
  }
  if (tn !== 0n) throw new SignetCryptoError("ERR_MERKLE_PROOF_SIZE", "proof is too short");
  if (!bytesEqual(fr, p.subtreeRoot)) throw new SignetCryptoError("ERR_MERKLE_ROOT_MISMATCH", "proof does not lead to the subtree hash");
  if (!bytesEqual(sr, p.root)) throw new SignetCryptoError("ERR_MERKLE_ROOT_MISMATCH", "proof does not lead to the tree root");
}

/** Plan of the inclusion proof of leaf `index` in the subtree [start, end) (draft §4.3). */
export function subtreeInclusionProofPlan(index: bigint, start: bigint, end: bigint): ProofPlan {
  assertSubtree(start, end);
  assertUint64(index, "leaf index", "ERR_MERKLE_INDEX_OUT_OF_RANGE");
  if (index < start || index >= end) throw new SignetCryptoError("ERR_MERKLE_INDEX_OUT_OF_RANGE", "leaf is not in the subtree");
  // Subtree-relative plans shift back by `start`, which is aligned to every node the plan uses.
  return inclusionProofPlan(index - start, end - start).map((nodes) =>
    nodes.map((n) => ({ level: n.level, index: n.index + (start >> BigInt(n.level)) })),
  );
}

/** Plan of SUBTREE_PROOF(start, end, D[size]) (draft-ietf-plants-merkle-tree-certs §4.4.1). */
export function subtreeConsistencyProofPlan(start: bigint, end: bigint, size: bigint): ProofPlan {
  assertSubtree(start, end);
  assertUint64(size, "tree size", "ERR_MERKLE_SIZE_OUT_OF_RANGE");
  if (end > size) throw new SignetCryptoError("ERR_MERKLE_SUBTREE_INVALID", "subtree extends past the tree");
  if (start === end) return [];
  // Walk down from the root over [lo, hi); the proof lists the siblings bottom-up.
  const siblings: NodeId[][] = [];
  let lo = 0n;
  let hi = size;
  let complete = true;
  let s = start;
  while (!(s === lo && end === hi)) {
    const k = 1n << BigInt(bitLength(hi - lo - 1n) - 1); // largest power of two < hi − lo
    if (end <= lo + k) {
      siblings.push(rangeNodeIds(lo + k, hi));
      hi = lo + k;
    } else if (lo + k <= s) {
      siblings.push(rangeNodeIds(lo, lo + k));
      lo = lo + k;
    } else {
      // start = lo < lo + k < end: the subtree's left part is a whole node of the tree.
      siblings.push(rangeNodeIds(lo, lo + k));
      lo = lo + k;
      s = lo;
      complete = false;
    }
  }
  const plan = siblings.reverse();
  return complete ? plan : [rangeNodeIds(lo, hi), ...plan];
}

/** Subtree consistency proof from a node source (draft §4.4.1). */
export function subtreeConsistencyProofFrom(start: bigint, end: bigint, size: bigint, getNode: GetNode): Bytes[] {
  return proofFromPlan(subtreeConsistencyProofPlan(start, end, size), getNode);
}
