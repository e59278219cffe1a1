/**
 * Proofs served from hash tiles: list the complete subtrees a proof needs, fetch the tiles that
 * hold them (cache first, then one query), and read the nodes out of the expanded tiles.
 */
import { consistencyProofPlan, inclusionProofPlan, planNodeIds, rootPlan, type ProofPlan } from "@signet/crypto/merkle/proof";
import { foldRight } from "./hash.ts";
import type { LogStore } from "./log-store.ts";
import { TileCache, tileForNode, tileKey, type ExpandedTile } from "./tile-cache.ts";
import { TILE_HEIGHT, TILE_WIDTH } from "./tree-state.ts";

/**
 * Up to this size every leaf and node index is exact as a double, so the cached-tile fast path of
 * inclusion proofs can use Number arithmetic (2^52 leaves: far beyond any log this serves).
 */
const FAST_PATH_MAX_SIZE = 2n ** 52n;

/** The cached hash of the complete node (height, index), or undefined when its tile is not cached wide enough. */
function cachedNode(cache: TileCache, height: number, index: number): Uint8Array | undefined {
  const level = Math.floor(height / TILE_HEIGHT);
  const sub = height - level * TILE_HEIGHT;
  const span = 2 ** sub;
  const rowPos = index * span; // the node's first hash in the level's row (as tileForNode)
  const tileIndex = Math.floor(rowPos / TILE_WIDTH);
  const inTile = rowPos - tileIndex * TILE_WIDTH;
  return cache.get(level, tileIndex, inTile + span)?.rows[sub]?.[inTile / span];
}

/**
 * The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1), from cached
 * tiles only, or undefined when a tile it needs is not cached (the planned path then fetches it).
 * The same nodes as inclusionProofPlan + build, without BigInt arithmetic or per-node keys: proofs
 * for freshly appended entries, one per answer, always find the right edge's tiles cached.
 */
export function inclusionFromCache(cache: TileCache, index: bigint, size: bigint, border?: Map<number, Uint8Array>): Uint8Array[] | undefined {
  if (size > FAST_PATH_MAX_SIZE || index < 0n || index >= size) return undefined; // the planned path checks and throws
  const leaf = Number(index);
  const n = Number(size);
  const proof: Uint8Array[] = [];
  for (let level = 0, width = 1; width < n; level++, width *= 2) {
    const node = Math.floor(leaf / width);
    const sibling = node % 2 === 0 ? node + 1 : node - 1;
    const begin = sibling * width;
    if (begin >= n) continue; // no right sibling: this level is on the right border
    if (begin + width <= n) {
      const hash = cachedNode(cache, level, sibling);
      if (!hash) return undefined;
      proof.push(hash);
      continue;
    }
    // The sibling is incomplete (the tree's right border, the same node for every leaf left of it):
    // fold the complete subtrees covering [begin, n), largest first.
    const known = border?.get(level);
    if (known) {
      proof.push(known);
      continue;
    }
    const parts: Uint8Array[] = [];
    let at = begin;
    for (let h = level - 1, w = width / 2; h >= 0; h--, w /= 2) {
      if (at + w > n) continue;
      const hash = cachedNode(cache, h, at / w);
      if (!hash) return undefined;
      parts.push(hash);
      at += w;
    }
    const folded = foldRight(parts);
    border?.set(level, folded);
    proof.push(folded);
  }
  return proof;
}

export function createProofSource(store: LogStore, logId: () => number, cache: TileCache) {
  /** The right border's incomplete nodes of the tree size proofs were last asked for (the batch's checkpoint). */
  let border = { size: -1n, nodes: new Map<number, Uint8Array>() };
  function borderOf(size: bigint): Map<number, Uint8Array> {
    if (border.size !== size) border = { size, nodes: new Map() };
    return border.nodes;
  }

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
    inclusion: async (index: bigint, size: bigint) => inclusionFromCache(cache, index, size, borderOf(size)) ?? build(inclusionProofPlan(index, size)),
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
