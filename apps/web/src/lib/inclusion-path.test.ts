import { describe, expect, it } from "vitest";
import { bytesEqual } from "@signet/crypto/encoding/bytes";
import { isSignetCryptoError } from "@signet/crypto/errors";
import { MemoryTree } from "@signet/crypto/merkle/proof";
import { hashChildren, hashLeaf } from "@signet/crypto/merkle/rfc6962";
import { verifyInclusionPath } from "./inclusion-path.ts";

const bodies = Array.from({ length: 33 }, (_, i) => new TextEncoder().encode(`entry ${i}`));
const tree = new MemoryTree();
for (const b of bodies) tree.append(hashLeaf(b));

describe("verifyInclusionPath (RFC 9162 §2.1.3.2)", () => {
  it("lays out every leaf of every tree up to 33 leaves, ending at the root", () => {
    for (let size = 1n; size <= 33n; size++) {
      for (let index = 0n; index < size; index++) {
        const path = verifyInclusionPath({ index, size, body: bodies[Number(index)]!, proof: tree.inclusionProof(index, size), root: tree.root(size) });
        const last = path.steps.at(-1)?.node ?? path.leafHash;
        expect(bytesEqual(last, tree.root(size)), `${index}/${size}`).toBe(true);
        // Each step's node is the hash of its two children in the stated order.
        let node = path.leafHash;
        for (const s of path.steps) {
          node = s.side === "right" ? hashChildren(node, s.sibling) : hashChildren(s.sibling, node);
          expect(bytesEqual(node, s.node)).toBe(true);
        }
      }
    }
  });

  it("puts the sibling on the correct side in a small tree", () => {
    // Tree of 3: leaf 0's path is [leaf 1 on the right, leaf 2 on the right]; leaf 2's is [node(0,1) on the left].
    expect(verifyInclusionPath({ index: 0n, size: 3n, body: bodies[0]!, proof: tree.inclusionProof(0n, 3n), root: tree.root(3n) }).steps.map((s) => s.side)).toEqual(["right", "right"]);
    expect(verifyInclusionPath({ index: 2n, size: 3n, body: bodies[2]!, proof: tree.inclusionProof(2n, 3n), root: tree.root(3n) }).steps.map((s) => s.side)).toEqual(["left"]);
  });

  it("throws a Merkle error for another body, a flipped proof hash, another root or index", () => {
    const proof = tree.inclusionProof(5n, 20n);
    const cases = [
      { index: 5n, size: 20n, body: bodies[6]!, proof, root: tree.root(20n) },
      { index: 5n, size: 20n, body: bodies[5]!, proof: proof.map((h, i) => (i === 2 ? Uint8Array.from(h, (b, k) => (k === 31 ? b ^ 0x80 : b)) : h)), root: tree.root(20n) },
      { index: 5n, size: 20n, body: bodies[5]!, proof, root: tree.root(19n) },
      { index: 4n, size: 20n, body: bodies[5]!, proof, root: tree.root(20n) },
      { index: 20n, size: 20n, body: bodies[5]!, proof, root: tree.root(20n) },
    ];
    for (const [i, c] of cases.entries()) {
      let code = "";
      try {
        verifyInclusionPath(c);
      } catch (e) {
        code = isSignetCryptoError(e) ? e.code : "untyped";
      }
      expect(code, `case ${i}`).toMatch(/^ERR_MERKLE_/);
    }
  });
});
