import { describe, expect, it } from "vitest";
import { isSignetCryptoError } from "../errors.ts";
import { consistencyProofPlan, inclusionProofPlan, MemoryTree } from "./proof.ts";
import { hashLeaf, rootFromLeafHashes } from "./rfc6962.ts";
import {
  isValidSubtree,
  subtreeConsistencyProofFrom,
  subtreeConsistencyProofPlan,
  subtreeInclusionProofPlan,
  verifySubtreeConsistency,
  verifySubtreeInclusion,
} from "./subtree.ts";
import { proofFromPlan } from "./proof.ts";

const code = (c: string) => expect.objectContaining({ code: c });
const ids = (plan: readonly (readonly { level: number; index: bigint }[])[]) => plan.map((ns) => ns.map((n) => `${n.level}/${n.index}`));
const MAX = 40;
const leaves = Array.from({ length: MAX }, (_, i) => hashLeaf(Uint8Array.of(i)));
const tree = new MemoryTree();
for (const l of leaves) tree.append(l);
function fails(run: () => void): boolean {
  try {
    run();
    return false;
  } catch (e) {
    if (!isSignetCryptoError(e)) throw e;
    return true;
  }
}
function flip(b: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(b);
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

describe("isValidSubtree (draft-ietf-plants-merkle-tree-certs §4.1)", () => {
  it("accepts aligned intervals and rejects the rest", () => {
    expect(isValidSubtree(4n, 8n)).toBe(true);
    expect(isValidSubtree(8n, 13n)).toBe(true);
    expect(isValidSubtree(0n, 13n)).toBe(true);
    expect(isValidSubtree(5n, 5n)).toBe(true);
    expect(isValidSubtree(5n, 6n)).toBe(true);
    expect(isValidSubtree(2n, 5n)).toBe(false);
    expect(isValidSubtree(1n, 3n)).toBe(false);
    expect(isValidSubtree(8n, 7n)).toBe(false);
  });
  it("handles BIT_CEIL overflow near 2^64", () => {
    expect(isValidSubtree(0n, (1n << 63n) + 1n)).toBe(true);
    expect(isValidSubtree(1n << 63n, (1n << 64n) - 1n)).toBe(true);
    expect(isValidSubtree(1n, (1n << 63n) + 2n)).toBe(false);
    expect(isValidSubtree(0n, 1n << 64n)).toBe(false);
  });
});

describe("subtree proofs", () => {
  it("match the RFC 9162 special cases: SUBTREE_PROOF(0, end) = PROOF(end), SUBTREE_PROOF(i, i+1) = PATH(i)", () => {
    for (let n = 1n; n <= 20n; n++) {
      for (let e = 1n; e < n; e++) expect(ids(subtreeConsistencyProofPlan(0n, e, n))).toEqual(ids(consistencyProofPlan(e, n)));
      for (let i = 0n; i < n; i++) expect(ids(subtreeConsistencyProofPlan(i, i + 1n, n))).toEqual(ids(inclusionProofPlan(i, n)));
    }
    // The draft's examples: [4, 8) in 14 = {[0,4), [8,14)}; [8, 13) in 14 = {d12, d13, [8,12), [0,8)}.
    expect(ids(subtreeConsistencyProofPlan(4n, 8n, 14n))).toEqual([["2/0"], ["2/2", "1/6"]]);
    expect(ids(subtreeConsistencyProofPlan(8n, 13n, 14n))).toEqual([["0/12"], ["0/13"], ["2/2"], ["3/0"]]);
  });

  it("verify for every valid subtree of every tree up to 40 leaves, and reject single-bit changes", () => {
    let count = 0;
    for (let n = 1; n <= MAX; n++) {
      const size = BigInt(n);
      const root = tree.root(size);
      for (let start = 0; start <= n; start++) {
        for (let end = start; end <= n; end++) {
          if (!isValidSubtree(BigInt(start), BigInt(end))) continue;
          const s = BigInt(start);
          const e = BigInt(end);
          const subtreeRoot = rootFromLeafHashes(leaves.slice(start, end));
          const proof = subtreeConsistencyProofFrom(s, e, size, tree.getNode);
          const base = { start: s, end: e, size, subtreeRoot, root, proof };
          verifySubtreeConsistency(base);
          count++;
          const bit = (start * 7 + end * 13 + n) % 256;
          for (let j = 0; j < proof.length; j++) {
            expect(fails(() => verifySubtreeConsistency({ ...base, proof: proof.map((p, k) => (k === j ? flip(p, bit) : p)) }))).toBe(true);
          }
          // An empty subtree is consistent with every tree (draft §4.4.3 step 2 never reads the root).
          expect(fails(() => verifySubtreeConsistency({ ...base, root: flip(root, bit) }))).toBe(start !== end);
          expect(fails(() => verifySubtreeConsistency({ ...base, subtreeRoot: flip(subtreeRoot, bit) }))).toBe(true);
          for (let i = start; i < end; i++) {
            const incl = proofFromPlan(subtreeInclusionProofPlan(BigInt(i), s, e), tree.getNode);
            verifySubtreeInclusion({ index: BigInt(i), start: s, end: e, leafHash: leaves[i]!, proof: incl, root: subtreeRoot });
          }
        }
      }
    }
    expect(count).toBeGreaterThan(1000);
  });

  it("reject invalid intervals and subtrees past the tree", () => {
    const root = tree.root(8n);
    expect(() => verifySubtreeConsistency({ start: 2n, end: 5n, size: 8n, subtreeRoot: root, root, proof: [] })).toThrow(
      code("ERR_MERKLE_SUBTREE_INVALID"),
    );
    expect(() => verifySubtreeConsistency({ start: 0n, end: 9n, size: 8n, subtreeRoot: root, root, proof: [] })).toThrow(
      code("ERR_MERKLE_SUBTREE_INVALID"),
    );
    expect(() => subtreeConsistencyProofPlan(0n, 9n, 8n)).toThrow(code("ERR_MERKLE_SUBTREE_INVALID"));
    expect(() => verifySubtreeInclusion({ index: 8n, start: 4n, end: 8n, leafHash: leaves[0]!, proof: [], root })).toThrow(
      code("ERR_MERKLE_INDEX_OUT_OF_RANGE"),
    );
    expect(() =>
      verifySubtreeConsistency({ start: 0n, end: 4n, size: 8n, subtreeRoot: root, root, proof: Array.from({ length: 66 }, () => root) }),
    ).toThrow(code("ERR_MERKLE_PROOF_SIZE"));
  });
});
