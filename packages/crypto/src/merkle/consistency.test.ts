import { describe, expect, it } from "vitest";
import { verifyConsistency } from "./consistency.ts";
import { MemoryTree } from "./proof.ts";
import { hashLeaf } from "./rfc6962.ts";

const tree = new MemoryTree();
for (let i = 0; i < 20; i++) tree.append(hashLeaf(Uint8Array.of(i)));
const good = { size1: 7n, size2: 20n, root1: tree.root(7n), root2: tree.root(20n), proof: tree.consistencyProof(7n, 20n) };
const code = (c: string) => expect.objectContaining({ code: c });

describe("verifyConsistency", () => {
  it("accepts a correct proof", () => verifyConsistency(good));
  it("accepts equal sizes with equal roots and an empty proof only", () => {
    verifyConsistency({ ...good, size1: 20n, root1: good.root2, proof: [] });
    expect(() => verifyConsistency({ ...good, size1: 20n, proof: [] })).toThrow(code("ERR_MERKLE_ROOT_MISMATCH"));
    expect(() => verifyConsistency({ ...good, size1: 20n, root1: good.root2 })).toThrow(code("ERR_MERKLE_PROOF_SIZE"));
  });
  it("rejects size1 = 0, size1 > size2 and non-uint64 sizes", () => {
    expect(() => verifyConsistency({ ...good, size1: 0n, proof: [] })).toThrow(code("ERR_MERKLE_SIZE_OUT_OF_RANGE"));
    expect(() => verifyConsistency({ ...good, size1: 21n })).toThrow(code("ERR_MERKLE_SIZE_OUT_OF_RANGE"));
    expect(() => verifyConsistency({ ...good, size1: -1n })).toThrow(code("ERR_MERKLE_SIZE_OUT_OF_RANGE"));
    expect(() => verifyConsistency({ ...good, size2: 1n << 64n })).toThrow(code("ERR_MERKLE_SIZE_OUT_OF_RANGE"));
    expect(() => verifyConsistency({ ...good, size2: 20 as unknown as bigint })).toThrow(code("ERR_MERKLE_SIZE_OUT_OF_RANGE"));
  });
  it("rejects wrong proof lengths, capped before hashing", () => {
    expect(() => verifyConsistency({ ...good, proof: [] })).toThrow(code("ERR_MERKLE_PROOF_SIZE"));
    expect(() => verifyConsistency({ ...good, proof: good.proof.slice(1) })).toThrow(code("ERR_MERKLE_PROOF_SIZE"));
    expect(() => verifyConsistency({ ...good, proof: Array.from({ length: 65 }, () => new Uint8Array(32)) })).toThrow(
      code("ERR_MERKLE_PROOF_SIZE"),
    );
  });
  it("rejects hashes that are not 32 bytes", () => {
    expect(() => verifyConsistency({ ...good, root1: new Uint8Array(31) })).toThrow(code("ERR_MERKLE_HASH_SIZE"));
    expect(() => verifyConsistency({ ...good, proof: good.proof.map((p, i) => (i === 0 ? new Uint8Array(0) : p)) })).toThrow(
      code("ERR_MERKLE_HASH_SIZE"),
    );
  });
  it("detects a fork: same old size, different history", () => {
    const other = new MemoryTree();
    for (let i = 0; i < 20; i++) other.append(hashLeaf(Uint8Array.of(i === 3 ? 99 : i)));
    expect(() => verifyConsistency({ ...good, root1: other.root(7n) })).toThrow(code("ERR_MERKLE_ROOT_MISMATCH"));
    expect(() => verifyConsistency({ ...good, root2: other.root(20n), proof: other.consistencyProof(7n, 20n) })).toThrow(
      code("ERR_MERKLE_ROOT_MISMATCH"),
    );
  });
  it("works for power-of-two old sizes (no seed hash in the proof)", () => {
    const proof = tree.consistencyProof(8n, 20n);
    verifyConsistency({ size1: 8n, size2: 20n, root1: tree.root(8n), root2: tree.root(20n), proof });
  });
});
