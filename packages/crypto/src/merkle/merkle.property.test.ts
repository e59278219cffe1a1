// Property tests (SECURITY.md E3): the fast proof code cross-checked against a tiny, direct
// transcription of RFC 6962 §2.1 (MTH, PATH, SUBPROOF) hashed with node:crypto, so the two share
// no code. Inclusion: every index of every size up to 555; consistency: all 1 ≤ s1 < s2 ≤ 100.
// Flipping any bit of a proof hash, a root or an index must make verification fail.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isSignetCryptoError } from "../errors.ts";
import { verifyConsistency } from "./consistency.ts";
import { verifyInclusion } from "./inclusion.ts";
import { MemoryTree } from "./proof.ts";
import { inclusionShape } from "./tree-math.ts";

// ---- reference implementation ---------------------------------------------------------------

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}
const refLeaf = (data: Uint8Array): Uint8Array => sha256(Uint8Array.of(0), data);
const refNode = (l: Uint8Array, r: Uint8Array): Uint8Array => sha256(Uint8Array.of(1), l, r);

/** Largest power of two strictly less than n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over leaf hashes (RFC 6962 §2.1). */
function refRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0]!;
  const k = split(leaves.length);
  return refNode(refRoot(leaves.slice(0, k)), refRoot(leaves.slice(k)));
}

/** PATH(m, D[n]) (RFC 6962 §2.1.1). */
function refPath(m: number, leaves: readonly Uint8Array[]): Uint8Array[] {
  if (leaves.length <= 1) return [];
  const k = split(leaves.length);
  if (m < k) return [...refPath(m, leaves.slice(0, k)), refRoot(leaves.slice(k))];
  return [...refPath(m - k, leaves.slice(k)), refRoot(leaves.slice(0, k))];
}

/** SUBPROOF(m, D[n], b) (RFC 6962 §2.1.2). */
function refSubproof(m: number, leaves: readonly Uint8Array[], complete: boolean): Uint8Array[] {
  const n = leaves.length;
  if (m === n) return complete ? [] : [refRoot(leaves)];
  const k = split(n);
  if (m <= k) return [...refSubproof(m, leaves.slice(0, k), complete), refRoot(leaves.slice(k))];
  return [...refSubproof(m - k, leaves.slice(k), false), refRoot(leaves.slice(0, k))];
}

// ---- helpers --------------------------------------------------------------------------------

function leafHashes(n: number, seed: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => refLeaf(new TextEncoder().encode(`${seed}/${i}`)));
}
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const hexAll = (bs: readonly Uint8Array[]): string[] => bs.map(hex);
function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(b);
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}
function fails(run: () => void): boolean {
  try {
    run();
    return false;
  } catch (e) {
    if (!isSignetCryptoError(e)) throw e;
    return true;
  }
}
function treeOf(leaves: readonly Uint8Array[]): MemoryTree {
  const t = new MemoryTree();
  for (const l of leaves) t.append(l);
  return t;
}

const MAX_INCLUSION = 555;
const MAX_CONSISTENCY = 100;
// Low bits change small sizes in every way that matters; the top bits check uint64 edge handling.
const SIZE_BITS = [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 62n, 63n];
const leaves = leafHashes(MAX_INCLUSION, 1);
const tree = treeOf(leaves);
const roots = Array.from({ length: MAX_INCLUSION + 1 }, (_, s) => tree.root(BigInt(s)));

describe("MemoryTree roots", () => {
  it("match the reference MTH for every size 0..555", () => {
    for (let s = 0; s <= MAX_INCLUSION; s++) expect(hex(roots[s]!)).toBe(hex(refRoot(leaves.slice(0, s))));
  });
});

describe("inclusion proofs", () => {
  it("verify for every index of every size 1..555", () => {
    let count = 0;
    for (let s = 1; s <= MAX_INCLUSION; s++) {
      const size = BigInt(s);
      for (let i = 0; i < s; i++) {
        const index = BigInt(i);
        verifyInclusion({ index, size, leafHash: leaves[i]!, proof: tree.inclusionProof(index, size), root: roots[s]! });
        count++;
      }
    }
    expect(count).toBe((MAX_INCLUSION * (MAX_INCLUSION + 1)) / 2);
  });

  it("equal the reference PATH and reject every single-bit change (random trees)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1 << 30 }),
        fc.integer({ min: 1, max: MAX_INCLUSION }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (seed, s, rawIndex, rawElem, rawBit) => {
          const ls = leafHashes(s, seed);
          const t = treeOf(ls);
          const i = rawIndex % s;
          const size = BigInt(s);
          const index = BigInt(i);
          const root = t.root();
          expect(hex(root)).toBe(hex(refRoot(ls)));
          const proof = t.inclusionProof(index, size);
          expect(hexAll(proof)).toEqual(hexAll(refPath(i, ls)));
          const base = { index, size, leafHash: ls[i]!, proof, root };
          verifyInclusion(base);

          if (proof.length > 0) {
            const e = rawElem % proof.length;
            const bad = proof.map((p, j) => (j === e ? flipBit(p, rawBit % 256) : p));
            expect(fails(() => verifyInclusion({ ...base, proof: bad }))).toBe(true);
          }
          expect(fails(() => verifyInclusion({ ...base, root: flipBit(root, rawBit % 256) }))).toBe(true);
          expect(fails(() => verifyInclusion({ ...base, leafHash: flipBit(ls[i]!, rawBit % 256) }))).toBe(true);
          for (let b = 0n; b < 64n; b++) {
            expect(fails(() => verifyInclusion({ ...base, index: index ^ (1n << b) }))).toBe(true);
            // RFC 6962 roots do not commit to the size: a flipped size verifies exactly when the proof
            // keeps its shape, which is why the size must come from the same signed checkpoint as the root.
            const size2 = size ^ (1n << b);
            const sameShape = index < size2 && JSON.stringify(inclusionShape(index, size2)) === JSON.stringify(inclusionShape(index, size));
            expect(fails(() => verifyInclusion({ ...base, size: size2 }))).toBe(!sameShape);
          }
        },
      ),
      { numRuns: 150, seed: 0x5197e7 },
    );
  });

  it("reject every bit flip of every proof hash, root and leaf for sample trees", () => {
    for (const [s, i] of [[7, 0], [7, 6], [8, 5], [555, 0], [555, 300], [555, 554]] as const) {
      const size = BigInt(s);
      const index = BigInt(i);
      const proof = tree.inclusionProof(index, size);
      const base = { index, size, leafHash: leaves[i]!, proof, root: roots[s]! };
      verifyInclusion(base);
      for (let e = 0; e < proof.length; e++) {
        for (let bit = 0; bit < 256; bit++) {
          const bad = proof.map((p, j) => (j === e ? flipBit(p, bit) : p));
          expect(fails(() => verifyInclusion({ ...base, proof: bad }))).toBe(true);
        }
      }
      for (let bit = 0; bit < 256; bit++) {
        expect(fails(() => verifyInclusion({ ...base, root: flipBit(base.root, bit) }))).toBe(true);
        expect(fails(() => verifyInclusion({ ...base, leafHash: flipBit(base.leafHash, bit) }))).toBe(true);
      }
    }
  });
});

describe("consistency proofs", () => {
  it("equal the reference SUBPROOF, verify, and reject single-bit changes for all 1 <= s1 < s2 <= 100", () => {
    let count = 0;
    const sizeMismatches: string[] = [];
    for (let s2 = 2; s2 <= MAX_CONSISTENCY; s2++) {
      for (let s1 = 1; s1 < s2; s1++) {
        const size1 = BigInt(s1);
        const size2 = BigInt(s2);
        const proof = tree.consistencyProof(size1, size2);
        expect(hexAll(proof)).toEqual(hexAll(refSubproof(s1, leaves.slice(0, s2), true)));
        const base = { size1, size2, root1: roots[s1]!, root2: roots[s2]!, proof };
        verifyConsistency(base);
        count++;
        const bit = (s1 * 31 + s2 * 7) % 256;
        for (let e = 0; e < proof.length; e++) {
          const bad = proof.map((p, j) => (j === e ? flipBit(p, (bit + e * 13) % 256) : p));
          expect(fails(() => verifyConsistency({ ...base, proof: bad }))).toBe(true);
        }
        expect(fails(() => verifyConsistency({ ...base, root1: flipBit(base.root1, bit) }))).toBe(true);
        expect(fails(() => verifyConsistency({ ...base, root2: flipBit(base.root2, bit) }))).toBe(true);
        expect(fails(() => verifyConsistency({ ...base, root1: base.root2, root2: base.root1 }))).toBe(true);
        for (const b of SIZE_BITS) {
          expect(fails(() => verifyConsistency({ ...base, size1: size1 ^ (1n << b) }))).toBe(true);
          // As for inclusion, the new root does not commit to size2: a flipped size2 verifies exactly
          // when the proof keeps its shape (the checkpoint signature binds size2 to root2).
          const flipped = size2 ^ (1n << b);
          const sameShape = flipped > size1 && JSON.stringify(inclusionShape(size1 - 1n, flipped)) === JSON.stringify(inclusionShape(size1 - 1n, size2));
          if (fails(() => verifyConsistency({ ...base, size2: flipped })) === sameShape) sizeMismatches.push(`${s1}->${s2}^${b}`);
        }
      }
    }
    expect(count).toBe((MAX_CONSISTENCY * (MAX_CONSISTENCY - 1)) / 2);
    expect(sizeMismatches).toEqual([]);
  });
});
