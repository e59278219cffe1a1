import { describe, expect, it } from "vitest";
import { hashChildren, hashLeaf, rootFromLeafHashes } from "@signet/crypto/merkle/rfc6962";
import { leafHash, nodeHash } from "./hash.ts";
import { expandTile } from "./tile-cache.ts";
import { TreeState, partialTilesFor, TILE_WIDTH, type TileWrite } from "./tree-state.ts";

const leaf = (i: number) => leafHash(Buffer.from(`leaf ${i}`));

describe("server hashing", () => {
  it("matches @signet/crypto byte for byte", () => {
    const data = Buffer.from("hello");
    expect(Buffer.from(leafHash(data))).toEqual(Buffer.from(hashLeaf(data)));
    const a = leaf(1), b = leaf(2);
    expect(Buffer.from(nodeHash(a, b))).toEqual(Buffer.from(hashChildren(a, b)));
  });
});

describe("TreeState", () => {
  it("computes the same root as the reference for every size up to 1100, appended in uneven batches", () => {
    const leaves = Array.from({ length: 1100 }, (_, i) => leaf(i));
    const tree = TreeState.empty();
    let n = 0;
    let batch = 1;
    while (n < leaves.length) {
      const take = Math.min(batch, leaves.length - n);
      tree.append(leaves.slice(n, n + take));
      n += take;
      expect(Buffer.from(tree.root())).toEqual(Buffer.from(rootFromLeafHashes(leaves.slice(0, n))));
      batch = (batch * 7 + 3) % 97;
    }
  });

  it("emits full tiles once and partial tiles as prefixes, and can be rebuilt from them", () => {
    const tiles = new Map<string, TileWrite>();
    const tree = TreeState.empty();
    const leaves = Array.from({ length: TILE_WIDTH * TILE_WIDTH + 300 }, (_, i) => leaf(i));
    for (let i = 0; i < leaves.length; i += 1000) {
      for (const w of tree.append(leaves.slice(i, i + 1000))) {
        const key = `${w.level}/${w.index}`;
        const prev = tiles.get(key);
        if (prev) {
          expect(prev.hashes.length).toBeLessThan(w.hashes.length + 1);
          expect(w.hashes.subarray(0, prev.hashes.length)).toEqual(prev.hashes);
        }
        tiles.set(key, w);
      }
    }
    expect(tiles.get("0/0")!.hashes).toEqual(Buffer.concat(leaves.slice(0, 256)));
    expect(tiles.get("1/0")!.hashes.length).toBe(256 * 32);
    expect(tiles.get("2/0")!.hashes.length).toBe(32);
    const size = BigInt(leaves.length);
    const partials = new Map(partialTilesFor(size).map((p) => [p.level, tiles.get(`${p.level}/${p.index}`)!.hashes]));
    const rebuilt = TreeState.fromPartialTiles(size, partials);
    expect(Buffer.from(rebuilt.root())).toEqual(Buffer.from(tree.root()));
    rebuilt.append([leaf(-1)]);
    tree.append([leaf(-1)]);
    expect(Buffer.from(rebuilt.root())).toEqual(Buffer.from(tree.root()));
  });

  it("hands out expanded rows equal to expanding the written tile, unchanged by later appends and by clones", () => {
    const tree = TreeState.empty();
    const leaves = Array.from({ length: TILE_WIDTH * 3 + 77 }, (_, i) => leaf(i));
    const seen: { w: TileWrite; rows: Buffer[][] }[] = [];
    for (let i = 0; i < leaves.length; i += 61) {
      for (const w of tree.append(leaves.slice(i, i + 61))) {
        expect(w.rows).toBeDefined();
        const expected = expandTile(w.hashes).rows.map((r) => r.map((h) => Buffer.from(h)));
        expect(w.rows!.map((r) => r.map((h) => Buffer.from(h)))).toEqual(expected);
        seen.push({ w, rows: expected });
      }
      // A speculative copy that grows must not touch the original's edge nor earlier snapshots.
      const before = Buffer.from(tree.root());
      tree.clone().append([leaf(-i - 1), leaf(-i - 2)]);
      expect(Buffer.from(tree.root())).toEqual(before);
    }
    for (const { w, rows } of seen) expect(w.rows!.map((r) => r.map((h) => Buffer.from(h)))).toEqual(rows);
  });

  it("refuses to rebuild from tiles that are too short", () => {
    expect(() => TreeState.fromPartialTiles(300n, new Map([[0, Buffer.alloc(32 * 10)], [1, Buffer.alloc(32)]]))).toThrow(/level 0/);
  });
});
