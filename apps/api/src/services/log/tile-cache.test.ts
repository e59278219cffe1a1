import { describe, expect, it } from "vitest";
import { MemoryTree } from "@signet/crypto/merkle/proof";
import { leafHash } from "./hash.ts";
import { TreeState, type TileWrite } from "./tree-state.ts";
import { TileCache, tileForNode, tileKey } from "./tile-cache.ts";

describe("tiles → complete nodes", () => {
  it("finds every complete node of a 70,000-leaf tree exactly as the reference tree has it", () => {
    const tree = TreeState.empty();
    const mem = new MemoryTree();
    const stored = new Map<string, TileWrite>();
    const leaves = Array.from({ length: 70_000 }, (_, i) => leafHash(Buffer.from(`e${i}`)));
    for (let i = 0; i < leaves.length; i += 5000) for (const w of tree.append(leaves.slice(i, i + 5000))) stored.set(tileKey(w.level, w.index), w);
    for (const l of leaves) mem.append(l);
    const cache = new TileCache(1000);
    let checked = 0;
    for (let h = 0; h <= 16; h++) {
      const count = 70_000 >> h;
      for (let i = 0; i < count; i += Math.max(1, Math.floor(count / 50))) {
        const t = tileForNode(h, BigInt(i));
        const w = stored.get(tileKey(t.level, t.index))!;
        const tile = cache.put(t.level, t.index, w.hashes);
        expect(tile.width).toBeGreaterThanOrEqual(t.minWidth);
        expect(Buffer.from(tile.rows[t.sub]![t.offset]!)).toEqual(Buffer.from(mem.getNode(h, BigInt(i))));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it("evicts least recently used tiles beyond capacity and refuses too-short tiles", () => {
    const cache = new TileCache(2);
    cache.put(0, 0n, Buffer.alloc(64));
    cache.put(0, 1n, Buffer.alloc(64));
    cache.get(0, 0n);
    cache.put(0, 2n, Buffer.alloc(64));
    expect(cache.get(0, 1n)).toBeUndefined();
    expect(cache.get(0, 0n)).toBeDefined();
    expect(cache.get(0, 0n, 3)).toBeUndefined();
  });
});
