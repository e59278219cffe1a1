// Known answers from transparency-dev/merkle rfc6962/rfc6962_test.go and the RFC 6962 reference
// tree (leaves "", 00, 10, 2021, 3031, 40414243, 5051525354555657, 606162…6f), cross-checked
// against the roots embedded in /work/shared/vectors/merkle (e.g. consistency/1 root2 = size 8).
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { concatBytes, utf8 } from "../encoding/bytes.ts";
import { fromHex, toHex } from "../encoding/hex.ts";
import { verifyInclusion } from "./inclusion.ts";
import { EMPTY_ROOT, foldRight, hashChildren, hashLeaf, rootFromLeafHashes } from "./rfc6962.ts";

const nodeSha256 = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(createHash("sha256").update(concatBytes(...parts)).digest());

const REFERENCE_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
const REFERENCE_ROOTS = [
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

describe("RFC 6962 hasher known answers", () => {
  it("hashes the empty tree", () => {
    expect(toHex(EMPTY_ROOT)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(toHex(rootFromLeafHashes([]))).toBe(toHex(EMPTY_ROOT));
  });
  it("hashes leaves with the 0x00 prefix", () => {
    expect(toHex(hashLeaf(new Uint8Array(0)))).toBe("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    expect(toHex(hashLeaf(utf8("L123456")))).toBe("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
  });
  it("hashes children with the 0x01 prefix", () => {
    expect(toHex(hashChildren(utf8("N123"), utf8("N456")))).toBe("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb");
  });
  it("agrees with node:crypto on 32-byte children (the scratch-buffer path)", () => {
    const a = nodeSha256(utf8("a"));
    const b = nodeSha256(utf8("b"));
    expect(toHex(hashChildren(a, b))).toBe(toHex(nodeSha256(Uint8Array.of(1), a, b)));
    // The scratch buffer must not leak state between calls.
    expect(toHex(hashChildren(b, a))).toBe(toHex(nodeSha256(Uint8Array.of(1), b, a)));
  });
});

describe("known-answer roots for sizes 0..8", () => {
  const leafHashes = REFERENCE_LEAVES.map((h) => hashLeaf(fromHex(h)));
  it.each(REFERENCE_ROOTS.map((root, size) => [size, root]))("size %i", (size, root) => {
    expect(toHex(rootFromLeafHashes(leafHashes.slice(0, size as number)))).toBe(root);
  });
  it("rejects leaf hashes that are not 32 bytes", () => {
    expect(() => rootFromLeafHashes([new Uint8Array(31)])).toThrow(expect.objectContaining({ code: "ERR_MERKLE_HASH_SIZE" }));
  });
  it("foldRight of a single subtree is that subtree", () => {
    expect(toHex(foldRight([leafHashes[3]!]))).toBe(toHex(leafHashes[3]!));
  });
});

// SECURITY.md E4, after transparency-dev/merkle TestRFC6962HasherCollisions.
describe("domain separation between leaves and interior nodes", () => {
  const l0 = hashLeaf(utf8("leaf 0"));
  const l1 = hashLeaf(utf8("leaf 1"));
  const l2 = hashLeaf(utf8("leaf 2"));
  const l3 = hashLeaf(utf8("leaf 3"));
  const n01 = hashChildren(l0, l1);
  const n23 = hashChildren(l2, l3);
  const root = hashChildren(n01, n23);

  it("a leaf whose data is 0x01‖a‖b does not hash to the node (a, b)", () => {
    expect(toHex(hashLeaf(concatBytes(Uint8Array.of(1), l0, l1)))).not.toBe(toHex(n01));
    expect(toHex(hashLeaf(concatBytes(l0, l1)))).not.toBe(toHex(n01));
  });

  it("an interior node presented as a leaf of the real tree size fails", () => {
    // n01 at index 0 with proof [n23] is a 2-leaf proof; the signed size is 4.
    expect(() => verifyInclusion({ index: 0n, size: 4n, leafHash: n01, proof: [n23], root })).toThrow(
      expect.objectContaining({ code: "ERR_MERKLE_PROOF_SIZE" }),
    );
    expect(() => verifyInclusion({ index: 0n, size: 4n, leafHash: n01, proof: [l1, n23], root })).toThrow(
      expect.objectContaining({ code: "ERR_MERKLE_ROOT_MISMATCH" }),
    );
  });

  it("leaf data crafted as 0x01‖a‖b does not verify where the node (a, b) sits", () => {
    const forged = hashLeaf(concatBytes(Uint8Array.of(1), l0, l1));
    expect(() => verifyInclusion({ index: 0n, size: 4n, leafHash: forged, proof: [l1, n23], root })).toThrow(
      expect.objectContaining({ code: "ERR_MERKLE_ROOT_MISMATCH" }),
    );
  });

  it("a leaf hash presented as an interior node fails", () => {
    // Claim l2 (a leaf) is the right child of the root, i.e. the tree (l0,l1 | l2) of size 3.
    expect(() => verifyInclusion({ index: 2n, size: 4n, leafHash: l2, proof: [n01], root })).toThrow(
      expect.objectContaining({ code: "ERR_MERKLE_PROOF_SIZE" }),
    );
    expect(() => verifyInclusion({ index: 0n, size: 4n, leafHash: n23, proof: [l1, n01], root })).toThrow(
      expect.objectContaining({ code: "ERR_MERKLE_ROOT_MISMATCH" }),
    );
  });

  it("the honest proofs verify", () => {
    verifyInclusion({ index: 0n, size: 4n, leafHash: l0, proof: [l1, n23], root });
    verifyInclusion({ index: 3n, size: 4n, leafHash: l3, proof: [l2, n01], root });
  });
});
