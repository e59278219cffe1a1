import { describe, expect, it } from "vitest";
import { verifyInclusion, rootFromInclusionProof } from "./inclusion.ts";
import { MemoryTree } from "./proof.ts";
import { hashLeaf } from "./rfc6962.ts";

const tree = new MemoryTree();
for (let i = 0; i < 11; i++) tree.append(hashLeaf(Uint8Array.of(i)));
const size = tree.size;
const root = tree.root();
const good = { index: 5n, size, leafHash: tree.getNode(0, 5n), proof: tree.inclusionProof(5n), root };
const code = (c: string) => expect.objectContaining({ code: c });

describe("verifyInclusion", () => {
  it("accepts a correct proof and recomputes its root", () => {
    verifyInclusion(good);
    expect(rootFromInclusionProof(good)).toEqual(root);
  });
  it("rejects indices outside [0, size)", () => {
    expect(() => verifyInclusion({ ...good, index: size })).toThrow(code("ERR_MERKLE_INDEX_OUT_OF_RANGE"));
    expect(() => verifyInclusion({ ...good, index: -1n })).toThrow(code("ERR_MERKLE_INDEX_OUT_OF_RANGE"));
    expect(() => verifyInclusion({ ...good, index: 1n << 64n })).toThrow(code("ERR_MERKLE_INDEX_OUT_OF_RANGE"));
  });
  it("rejects sizes that are not uint64 bigints (never silently a Number)", () => {
    expect(() => verifyInclusion({ ...good, size: 1n << 64n })).toThrow(code("ERR_MERKLE_SIZE_OUT_OF_RANGE"));
    expect(() => verifyInclusion({ ...good, size: 11 as unknown as bigint })).toThrow(code("ERR_MERKLE_SIZE_OUT_OF_RANGE"));
    expect(() => verifyInclusion({ ...good, index: 5 as unknown as bigint })).toThrow(code("ERR_MERKLE_INDEX_OUT_OF_RANGE"));
  });
  it("handles indices and sizes near 2^64 without precision loss", () => {
    const max = (1n << 64n) - 1n;
    // Index max-1 in a tree of max leaves: 64 levels, proof shape computed exactly.
    expect(() => verifyInclusion({ ...good, index: max - 1n, size: max })).toThrow(code("ERR_MERKLE_PROOF_SIZE"));
    const proof = Array.from({ length: 63 }, (_, i) => hashLeaf(Uint8Array.of(i)));
    const r = rootFromInclusionProof({ index: max - 1n, size: max, leafHash: good.leafHash, proof });
    verifyInclusion({ index: max - 1n, size: max, leafHash: good.leafHash, proof, root: r });
    expect(() => verifyInclusion({ index: max - 3n, size: max, leafHash: good.leafHash, proof, root: r })).toThrow();
  });
  it("caps the proof length before hashing", () => {
    const long = Array.from({ length: 65 }, () => new Uint8Array(32));
    expect(() => verifyInclusion({ ...good, proof: long })).toThrow(code("ERR_MERKLE_PROOF_SIZE"));
    expect(() => verifyInclusion({ ...good, proof: "nope" as unknown as Uint8Array[] })).toThrow(code("ERR_MERKLE_PROOF_SIZE"));
  });
  it("rejects proofs with missing or extra hashes", () => {
    expect(() => verifyInclusion({ ...good, proof: good.proof.slice(1) })).toThrow(code("ERR_MERKLE_PROOF_SIZE"));
    expect(() => verifyInclusion({ ...good, proof: [...good.proof, root] })).toThrow(code("ERR_MERKLE_PROOF_SIZE"));
  });
  it("rejects hashes that are not 32 bytes", () => {
    expect(() => verifyInclusion({ ...good, leafHash: new Uint8Array(31) })).toThrow(code("ERR_MERKLE_HASH_SIZE"));
    expect(() => verifyInclusion({ ...good, root: new Uint8Array(33) })).toThrow(code("ERR_MERKLE_HASH_SIZE"));
    const bad = good.proof.map((p, i) => (i === 1 ? p.subarray(1) : p));
    expect(() => verifyInclusion({ ...good, proof: bad })).toThrow(code("ERR_MERKLE_HASH_SIZE"));
  });
  it("rejects a proof for another leaf", () => {
    expect(() => verifyInclusion({ ...good, leafHash: tree.getNode(0, 4n) })).toThrow(code("ERR_MERKLE_ROOT_MISMATCH"));
  });
  it("does not mutate its inputs", () => {
    const copy = good.proof.map((p) => Uint8Array.from(p));
    verifyInclusion(good);
    expect(good.proof).toEqual(copy);
  });
});
