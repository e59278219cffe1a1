/**
 * Proof generation (RFC 9162 §2.1.3.1 PATH, §2.1.4.1 SUBPROOF) from a source of complete-subtree
 * hashes, so the log can serve proofs from a node table or from tiles.
 *
 * A node is identified by (level, index): the complete subtree of 2^level leaves starting at leaf
 * index·2^level. Proof elements that are not complete subtrees (the right edge of the tree) are
 * recomputed from the complete subtrees they decompose into, so callers only ever store and fetch
 * complete nodes. The *NodeIds helpers list them so a caller can batch-fetch first.
 */
import { SignetCryptoError } from "../errors.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { assertHashSize, foldRight, hashChildren } from "./rfc6962.ts";
import { assertUint64, bitLength, trailingZeros } from "./tree-math.ts";

/** A complete subtree: 2^level leaves starting at leaf `index << level`. */
export interface NodeId {
  readonly level: number;
  readonly index: bigint;
}

/** Returns the hash of the complete subtree (level, index); throws if it is unknown. */
export type GetNode = (level: number, index: bigint) => Uint8Array;

/**
 * How to build each proof element: the complete subtrees it covers, left to right. One node means
 * the element is that node's hash; several mean the hash of their right fold (an incomplete edge).
 */
export type ProofPlan = readonly (readonly NodeId[])[];

/** Maximal complete subtrees covering leaves [begin, end), left to right, for `begin` aligned as in an RFC 6962 tree. */
export function rangeNodeIds(begin: bigint, end: bigint): NodeId[] {
  const out: NodeId[] = [];
  let at = begin;
  while (at < end) {
    // Largest aligned power of two starting at `at` that fits before `end`.
    let level = at === 0n ? 63 : trailingZeros(at);
    while (level > 0 && at + (1n << BigInt(level)) > end) level--;
    out.push({ level, index: at >> BigInt(level) });
    at += 1n << BigInt(level);
  }
  return out;
}

/** Audit path of the node (startLevel, index >> startLevel) in a tree of `size` leaves, bottom-up. */
function pathPlan(leafIndex: bigint, size: bigint, startLevel: number): NodeId[][] {
  const plan: NodeId[][] = [];
  const height = bitLength(size - 1n);
  for (let level = startLevel; level < height; level++) {
    const shift = BigInt(level);
    const sibling = (leafIndex >> shift) ^ 1n;
    const begin = sibling << shift;
    // A right sibling past the last leaf does not exist: the node is on the right border here.
    if (begin >= size) continue;
    const end = begin + (1n << shift);
    plan.push(end <= size ? [{ level, index: sibling }] : rangeNodeIds(begin, size));
  }
  return plan;
}

/** Plan of the inclusion proof for leaf `index` in a tree of `size` leaves (RFC 9162 §2.1.3.1). */
export function inclusionProofPlan(index: bigint, size: bigint): ProofPlan {
  assertUint64(size, "tree size", "ERR_MERKLE_SIZE_OUT_OF_RANGE");
  assertUint64(index, "leaf index", "ERR_MERKLE_INDEX_OUT_OF_RANGE");
  if (index >= size) throw new SignetCryptoError("ERR_MERKLE_INDEX_OUT_OF_RANGE", "leaf index is not below the tree size");
  return pathPlan(index, size, 0);
}

/**
 * Plan of the consistency proof from `size1` to `size2` leaves (RFC 9162 §2.1.4.1): the inclusion
 * path of the node ending the old tree's right border, preceded by that node unless it is the old root.
 */
export function consistencyProofPlan(size1: bigint, size2: bigint): ProofPlan {
  assertUint64(size1, "size1", "ERR_MERKLE_SIZE_OUT_OF_RANGE");
  assertUint64(size2, "size2", "ERR_MERKLE_SIZE_OUT_OF_RANGE");
  if (size1 === 0n || size1 > size2) throw new SignetCryptoError("ERR_MERKLE_SIZE_OUT_OF_RANGE", "need 0 < size1 <= size2");
  if (size1 === size2) return [];
  const level = trailingZeros(size1);
  const index = (size1 - 1n) >> BigInt(level);
  const path = pathPlan(index << BigInt(level), size2, level);
  return index === 0n ? path : [[{ level, index }], ...path];
}

/** Complete subtrees whose right fold is the root of a tree of `size` leaves (RFC 9162 §2.1.1). */
export function rootPlan(size: bigint): readonly NodeId[] {
  assertUint64(size, "tree size", "ERR_MERKLE_SIZE_OUT_OF_RANGE");
  return rangeNodeIds(0n, size);
}

/** The distinct nodes a plan needs, in first-use order: what to batch-fetch before building it. */
export function planNodeIds(plan: ProofPlan | readonly NodeId[]): NodeId[] {
  const seen = new Set<string>();
  const out: NodeId[] = [];
  for (const entry of plan) {
    for (const node of Array.isArray(entry) ? (entry as readonly NodeId[]) : [entry as NodeId]) {
      const key = `${node.level}/${node.index}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(node);
      }
    }
  }
  return out;
}

function fetchNode(getNode: GetNode, node: NodeId): Uint8Array {
  const hash = getNode(node.level, node.index);
  assertHashSize(hash, `node ${node.level}/${node.index}`);
  return hash;
}

/** Build the proof hashes of a plan from a node source. */
export function proofFromPlan(plan: ProofPlan, getNode: GetNode): Bytes[] {
  return plan.map((nodes) => foldRight(nodes.map((n) => fetchNode(getNode, n))));
}

/** Inclusion proof for leaf `index` in a tree of `size` leaves, leaf to root (RFC 9162 §2.1.3.1). */
export function inclusionProofFrom(index: bigint, size: bigint, getNode: GetNode): Bytes[] {
  return proofFromPlan(inclusionProofPlan(index, size), getNode);
}

/** Consistency proof from `size1` to `size2` leaves (RFC 9162 §2.1.4.1). */
export function consistencyProofFrom(size1: bigint, size2: bigint, getNode: GetNode): Bytes[] {
  return proofFromPlan(consistencyProofPlan(size1, size2), getNode);
}

/** Root hash of the tree of `size` leaves (MTH, RFC 9162 §2.1.1); EMPTY_ROOT for size 0. */
export function rootFrom(size: bigint, getNode: GetNode): Bytes {
  return foldRight(rootPlan(size).map((n) => fetchNode(getNode, n)));
}

/**
 * In-memory append-only tree keeping every complete subtree hash: for tests and benchmarks, and
 * as the reference `getNode` for the log's own stores.
 */
export class MemoryTree {
  private readonly levels: Bytes[][] = [];

  /** Number of leaves appended so far. */
  get size(): bigint {
    return BigInt(this.levels[0]?.length ?? 0);
  }

  /** Append one 32-byte leaf hash (not the raw entry: use `hashLeaf`). */
  append(leafHash: Uint8Array): void {
    assertHashSize(leafHash, "leaf hash");
    let node = Uint8Array.from(leafHash) as Bytes;
    for (let level = 0; ; level++) {
      const row = (this.levels[level] ??= []);
      row.push(node);
      if (row.length % 2 === 1) return;
      node = hashChildren(row[row.length - 2]!, node);
    }
  }

  /** Hash of the complete subtree (level, index); throws ERR_MERKLE_NODE_MISSING if not complete yet. */
  readonly getNode: GetNode = (level, index) => {
    const row = this.levels[level];
    const hash = row !== undefined && index >= 0n && index < BigInt(row.length) ? row[Number(index)] : undefined;
    if (hash === undefined) throw new SignetCryptoError("ERR_MERKLE_NODE_MISSING", `no complete node ${level}/${index}`);
    return hash;
  };

  /** Root of the tree at `size` leaves (default: the current size). */
  root(size: bigint = this.size): Bytes {
    if (size > this.size) throw new SignetCryptoError("ERR_MERKLE_SIZE_OUT_OF_RANGE", "size is beyond the tree");
    return rootFrom(size, this.getNode);
  }

  /** Inclusion proof of leaf `index` in the tree at `size` leaves. */
  inclusionProof(index: bigint, size: bigint = this.size): Bytes[] {
    if (size > this.size) throw new SignetCryptoError("ERR_MERKLE_SIZE_OUT_OF_RANGE", "size is beyond the tree");
    return inclusionProofFrom(index, size, this.getNode);
  }

  /** Consistency proof between the trees at `size1` and `size2` leaves. */
  consistencyProof(size1: bigint, size2: bigint = this.size): Bytes[] {
    if (size2 > this.size) throw new SignetCryptoError("ERR_MERKLE_SIZE_OUT_OF_RANGE", "size is beyond the tree");
    return consistencyProofFrom(size1, size2, this.getNode);
  }
}
