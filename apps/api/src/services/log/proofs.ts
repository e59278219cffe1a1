/**
 * Proofs served from hash tiles: list the complete subtrees a proof needs, fetch the tiles that
 * hold them (cache first, then one query), and read the nodes out of the expanded tiles.
 */
import { consistencyProofPlan, inclusionProofPlan, planNodeIds, rootPlan, type ProofPlan } from "@signet/crypto/merkle/proof";
import { foldRight } from "./hash.ts";
import type { LogStore } from "./log-store.ts";
import { TileCache, tileForNode, tileKey, type ExpandedTile } from "./tile-cache.ts";

export function createProofSource(store: LogStore, logId: () => number, cache: TileCache) {
  async function nodeSource(nodes: readonly { level: number; index: bigint }[]) {
    const found = new Map<string, ExpandedTile>();
    const missing = new Map<string, { level: number; index: bigint; minWidth: number }>();
    for (const n of nodes) {
      const t = tileForNode(n.level, n.index);
      const key = tileKey(t.level, t.index);
      const have = found.get(key) ?? cache.get(t.level, t.index, t.minWidth);
      if (have && have.width >= t.minWidth) found.set(key, have);
      else {
        const m = missing.get(key);
        missing.set(key, { level: t.level, index: t.index, minWidth: Math.max(m?.minWidth ?? 0, t.minWidth) });
      }
    }
    if (missing.size > 0) {
      for (const t of await store.readTiles(logId(), [...missing.values()])) found.set(tileKey(t.level, t.index), cache.put(t.level, t.index, t.hashes));
    }
    return (level: number, index: bigint): Uint8Array => {
      const t = tileForNode(level, index);
      const tile = found.get(tileKey(t.level, t.index));
      const hash = tile && tile.width >= t.minWidth ? tile.rows[t.sub]?.[t.offset] : undefined;
      if (!hash) throw new Error(`tile ${t.level}/${t.index} is missing node ${level}/${index}`);
      return hash;
    };
  }

  async function build(plan: ProofPlan): Promise<Uint8Array[]> {
    const get = await nodeSource(planNodeIds(plan));
    return plan.map((nodes) => foldRight(nodes.map((n) => get(n.level, n.index))));
  }

  return {
    /** Inclusion proof of leaf `index` in the tree of `size` leaves (the caller checks index < size ≤ current size). */
    inclusion: (index: bigint, size: bigint) => build(inclusionProofPlan(index, size)),
    /** Consistency proof between two sizes (0 < size1 ≤ size2 ≤ current size). */
    consistency: (size1: bigint, size2: bigint) => build(consistencyProofPlan(size1, size2)),
    /** The root at an earlier size, recomputed from tiles. */
    async root(size: bigint): Promise<Uint8Array> {
      const ids = rootPlan(size);
      const get = await nodeSource(ids);
      return foldRight(ids.map((n) => get(n.level, n.index)));
    },
  };
}

export type ProofSource = ReturnType<typeof createProofSource>;
