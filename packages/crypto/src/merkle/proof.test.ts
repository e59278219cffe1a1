import { describe, expect, it } from "vitest";
import { toHex } from "../encoding/hex.ts";
import { verifyInclusion } from "./inclusion.ts";
import {
  MemoryTree,
  consistencyProofPlan,
  inclusionProofFrom,
  inclusionProofPlan,
  planNodeIds,
  rangeNodeIds,
  rootFrom,
  rootPlan,
} from "./proof.ts";
import { hashLeaf, rootFromLeafHashes } from "./rfc6962.ts";

const leaves = Array.from({ length: 300 }, (_, i) => hashLeaf(Uint8Array.of(i & 255, i >> 8)));
const tree = new MemoryTree();
for (const l of leaves) tree.append(l);
const code = (c: string) => expect.objectContaining({ code: c });
const ids = (nodes: readonly { level: number; index: bigint }[]) => nodes.map((n) => `${n.level}/${n.index}`);

describe("MemoryTree", () => {
  it("computes the same roots as rootFromLeafHashes at every size", () => {
    for (let s = 0; s <= 300; s += 7) expect(toHex(tree.root(BigInt(s)))).toBe(toHex(rootFromLeafHashes(leaves.slice(0, s))));
  });
  it("only serves complete nodes", () => {
    expect(tree.getNode(8, 0n)).toHaveLength(32);
    expect(() => tree.getNode(8, 1n)).toThrow(code("ERR_MERKLE_NODE_MISSING"));
    expect(() => tree.getNode(0, 300n)).toThrow(code("ERR_MERKLE_NODE_MISSING"));
    expect(() => tree.getNode(40, 0n)).toThrow(code("ERR_MERKLE_NODE_MISSING"));
  });
  it("refuses sizes beyond the tree and leaf hashes that are not 32 bytes", () => {
    expect(() => tree.root(301n)).toThrow(code("ERR_MERKLE_SIZE_OUT_OF_RANGE"));
    expect(() => tree.inclusionProof(0n, 301n)).toThrow(code("ERR_MERKLE_SIZE_OUT_OF_RANGE"));
    expect(() => new MemoryTree().append(new Uint8Array(20))).toThrow(code("ERR_MERKLE_HASH_SIZE"));
  });
});

describe("proof plans", () => {
  it("decompose ranges into maximal aligned complete subtrees", () => {
    expect(ids(rangeNodeIds(0n, 13n))).toEqual(["3/0", "2/2", "0/12"]);
    expect(ids(rangeNodeIds(8n, 15n))).toEqual(["2/2", "1/6", "0/14"]);
    expect(ids(rootPlan(0n))).toEqual([]);
    expect(ids(rootPlan(1n << 40n))).toEqual(["40/0"]);
  });
  it("list the nodes of an inclusion proof, folding the right edge", () => {
    // Leaf 0 of 7: siblings leaf 1, node 1/1 (leaves 2-3), then the incomplete [4, 7) = 1/2 + 0/6.
    expect(inclusionProofPlan(0n, 7n).map(ids)).toEqual([["0/1"], ["1/1"], ["1/2", "0/6"]]);
    // Leaf 6 of 7: on the right border, so only left siblings.
    expect(inclusionProofPlan(6n, 7n).map(ids)).toEqual([["1/2"], ["2/0"]]);
  });
  it("list the nodes of a consistency proof", () => {
    // RFC 9162 §2.1.4.3 example: PROOF(3, D[7]) = [c, d, g, l] = [0/2, 0/3, 1/0, 2/1 folded].
    expect(consistencyProofPlan(3n, 7n).map(ids)).toEqual([["0/2"], ["0/3"], ["1/0"], ["1/2", "0/6"]]);
    expect(consistencyProofPlan(4n, 7n).map(ids)).toEqual([["1/2", "0/6"]]);
    expect(consistencyProofPlan(6n, 6n)).toEqual([]);
    expect(() => consistencyProofPlan(0n, 6n)).toThrow(code("ERR_MERKLE_SIZE_OUT_OF_RANGE"));
    expect(() => consistencyProofPlan(7n, 6n)).toThrow(code("ERR_MERKLE_SIZE_OUT_OF_RANGE"));
  });
  it("deduplicates nodes across plans for batch fetching", () => {
    const plan = [...inclusionProofPlan(0n, 7n), [...rootPlan(7n)]];
    expect(ids(planNodeIds(plan))).toEqual(["0/1", "1/1", "1/2", "0/6", "2/0"]);
  });
  it("work at uint64 scale without building the tree", () => {
    const size = (1n << 63n) + 12345n;
    const plan = inclusionProofPlan(size - 1n, size);
    expect(plan.length).toBeLessThanOrEqual(64);
    const fake = (level: number, index: bigint) => hashLeaf(new TextEncoder().encode(`${level}/${index}`));
    const proof = inclusionProofFrom(size - 1n, size, fake);
    verifyInclusion({ index: size - 1n, size, leafHash: fake(0, size - 1n), proof, root: rootFrom(size, fake) });
  });
  it("rejects out-of-range arguments", () => {
    expect(() => inclusionProofPlan(7n, 7n)).toThrow(code("ERR_MERKLE_INDEX_OUT_OF_RANGE"));
    expect(() => inclusionProofPlan(0n, 1n << 64n)).toThrow(code("ERR_MERKLE_SIZE_OUT_OF_RANGE"));
  });
  it("check the hashes the node source returns", () => {
    expect(() => inclusionProofFrom(0n, 7n, () => new Uint8Array(3))).toThrow(code("ERR_MERKLE_HASH_SIZE"));
  });
});
