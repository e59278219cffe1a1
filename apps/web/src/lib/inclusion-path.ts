/**
 * An inclusion proof verified and laid out for the explorer's picture: the leaf, each sibling hash
 * with the side it joins from, and the node each step produces, up to the root (RFC 9162 §2.1.3.2).
 */
import { hashChildren, hashLeaf } from "@signet/crypto/merkle/rfc6962";
import { verifyInclusion } from "@signet/crypto/merkle/inclusion";
import { bitAt, inclusionShape, toBits64 } from "@signet/crypto/merkle/tree-math";

/** One step up the tree: `sibling` joins from `side`, giving `node`. */
export interface InclusionStep {
  /** The sibling is the left child (we are the right one), or the right child. */
  readonly side: "left" | "right";
  readonly sibling: Uint8Array;
  readonly node: Uint8Array;
}

/** A verified path from a leaf to a checkpoint root. */
export interface VerifiedInclusionPath {
  readonly index: bigint;
  readonly size: bigint;
  readonly leafHash: Uint8Array;
  readonly steps: readonly InclusionStep[];
  readonly root: Uint8Array;
}

/**
 * Verify that the entry `body` is leaf `index` of the tree of `size` leaves with root `root`, and
 * return the path for display. Throws ERR_MERKLE_* (verifyInclusion) when it is not.
 */
export function verifyInclusionPath(opts: {
  readonly index: bigint;
  readonly size: bigint;
  readonly body: Uint8Array;
  readonly proof: readonly Uint8Array[];
  readonly root: Uint8Array;
}): VerifiedInclusionPath {
  const leafHash = hashLeaf(opts.body);
  // The authoritative check; the layout below only retraces what it verified.
  verifyInclusion({ index: opts.index, size: opts.size, leafHash, proof: opts.proof, root: opts.root });
  const { inner } = inclusionShape(opts.index, opts.size);
  const bits = toBits64(opts.index);
  const steps: InclusionStep[] = [];
  let node: Uint8Array = leafHash;
  for (const [i, sibling] of opts.proof.entries()) {
    // Below the merge point the index bit gives our side; above it we are the right child.
    const siblingOnRight = i < inner && bitAt(bits, i) === 0;
    node = siblingOnRight ? hashChildren(node, sibling) : hashChildren(sibling, node);
    steps.push({ side: siblingOnRight ? "right" : "left", sibling, node });
  }
  return { index: opts.index, size: opts.size, leafHash, steps, root: opts.root };
}
