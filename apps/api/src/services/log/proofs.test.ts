import { describe, expect, it } from "vitest";
import { inclusionProofFrom } from "@signet/crypto/merkle/proof";
import { verifyInclusion } from "@signet/crypto/merkle/inclusion";
import { leafHash, nodeHash } from "./hash.ts";
import type { LogStore } from "./log-store.ts";
import { createProofSource, inclusionFromCache } from "./proofs.ts";
import { TileCache } from "./tile-cache.ts";
import { TreeState, type TileWrite } from "./tree-state.ts";

/** A tree of `n` leaves: its tiles (latest version of each) and a reference node source from the leaves. */
function buildTree(n: number, batch = 97) {
  const leaves = Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
  const tree = TreeState.empty();
  const tiles = new Map<string, TileWrite>();
  for (let i = 0; i < n; i += batch) for (const w of tree.append(leaves.slice(i, i + batch))) tiles.set(`${w.level}/${w.index}`, w);
  const memo = new Map<string, Uint8Array>();
  const node = (level: number, index: bigint): Uint8Array => {
    const key = `${level}/${index}`;
    let h = memo.get(key);
    if (!h) {
      h = level === 0 ? leaves[Number(index)]! : nodeHash(node(level - 1, 2n * index), node(level - 1, 2n * index + 1n));
      memo.set(key, h);
    }
    return h;
  };
  return { leaves, tiles, node };
}

/** A store that serves the tiles and counts the reads (the fast path must not read). */
function storeOf(tiles: Map<string, TileWrite>) {
  const reads: string[] = [];
  const store = {
    async readTiles(_logId: number, wants: readonly { level: number; index: bigint }[]) {
      return wants.flatMap((w) => {
        const t = tiles.get(`${w.level}/${w.index}`);
        reads.push(`${w.level}/${w.index}`);
        return t ? [{ level: t.level, index: t.index, width: t.hashes.length / 32, hashes: t.hashes }] : [];
      });
    },
  } as unknown as LogStore;
  return { store, reads };
}

describe("inclusion proofs from tiles", () => {
  const n = 256 * 256 + 700; // three tile levels, partial tiles on each
  const { leaves, tiles, node } = buildTree(n);

  it("equal the reference for many sizes and indices, from cached tiles without reading the store", async () => {
    const { store, reads } = storeOf(tiles);
    const cache = new TileCache(100_000);
    for (const t of tiles.values()) cache.put(t.level, t.index, t.hashes);
    const proofs = createProofSource(store, () => 1, cache);
    const sizes = [1, 2, 3, 255, 256, 257, 511, 512, 4097, 65_535, 65_536, 65_537, n - 1, n];
    for (const size of sizes) {
      // Complete nodes never change, so the final tiles serve every smaller size too.
      for (const index of new Set([0, 1, size >> 1, size - 2, size - 1].filter((i) => i >= 0 && i < size))) {
        const got = await proofs.inclusion(BigInt(index), BigInt(size));
        const want = inclusionProofFrom(BigInt(index), BigInt(size), node);
        const border = new Map<number, Uint8Array>();
        for (const memo of [undefined, border, border]) {
          // Without the border memo, filling it, then reading it.
          const fast = inclusionFromCache(cache, BigInt(index), BigInt(size), memo);
          expect(fast, `leaf ${index} of ${size}: the fast path answers`).toBeDefined();
          expect(fast!.map((h) => Buffer.from(h).toString("hex"))).toEqual(want.map((h) => Buffer.from(h).toString("hex")));
        }
        expect(got.map((h) => Buffer.from(h).toString("hex")), `leaf ${index} of ${size}`).toEqual(want.map((h) => Buffer.from(h).toString("hex")));
      }
    }
    for (let k = 0; k < 300; k++) {
      const index = Math.floor((k * 7919) % n);
      const got = await proofs.inclusion(BigInt(index), BigInt(n));
      expect(got.map((h) => Buffer.from(h).toString("hex"))).toEqual(inclusionProofFrom(BigInt(index), BigInt(n), node).map((h) => Buffer.from(h).toString("hex")));
    }
    expect(reads).toEqual([]);
  });

  it("verifies against the tree's root", async () => {
    const { store } = storeOf(tiles);
    const cache = new TileCache(100_000);
    for (const t of tiles.values()) cache.put(t.level, t.index, t.hashes);
    const proofs = createProofSource(store, () => 1, cache);
    const root = await proofs.root(BigInt(n));
    for (const index of [0, 12345, n - 1]) {
      const proof = await proofs.inclusion(BigInt(index), BigInt(n));
      expect(() => verifyInclusion({ leafHash: leaves[index]!, index: BigInt(index), size: BigInt(n), proof, root })).not.toThrow();
      expect(() => verifyInclusion({ leafHash: leaves[index]!, index: BigInt(index), size: BigInt(n), proof, root: leaves[0]! })).toThrow();
    }
  });

  it("reads the tiles it lacks from the store, with the same result", async () => {
    const { store, reads } = storeOf(tiles);
    const empty = new TileCache(100_000);
    const proofs = createProofSource(store, () => 1, empty);
    const index = 40_000;
    expect(inclusionFromCache(empty, BigInt(index), BigInt(n))).toBeUndefined();
    const got = await proofs.inclusion(BigInt(index), BigInt(n));
    expect(got.map((h) => Buffer.from(h).toString("hex"))).toEqual(inclusionProofFrom(BigInt(index), BigInt(n), node).map((h) => Buffer.from(h).toString("hex")));
    expect(reads.length).toBeGreaterThan(0);
  });

  it("refuses an index outside the tree like the planned path", async () => {
    const { store } = storeOf(tiles);
    const proofs = createProofSource(store, () => 1, new TileCache(10));
    await expect(proofs.inclusion(10n, 10n)).rejects.toThrow();
    await expect(proofs.inclusion(-1n, 10n)).rejects.toThrow();
  });
});
