/**
 * Hash tiles expanded into every complete interior node they contain, in a bounded LRU. A proof at
 * 1M entries touches about three tiles; expanding a tile once (≤ 255 hashes) and caching it makes a
 * proof a handful of array reads instead of ~500 hash computations.
 */
import { HASH_SIZE } from "./hash.ts";
import { TILE_HEIGHT, TILE_WIDTH, expandRows } from "./tree-state.ts";

/** rows[k] holds the complete nodes of height k inside the tile (row 0 = the tile's own hashes). */
export interface ExpandedTile {
  readonly width: number;
  readonly rows: readonly (readonly Uint8Array[])[];
}

export function expandTile(hashes: Uint8Array): ExpandedTile {
  if (hashes.length % HASH_SIZE !== 0 || hashes.length === 0 || hashes.length > TILE_WIDTH * HASH_SIZE) {
    throw new Error(`bad tile length ${hashes.length}`);
  }
  const width = hashes.length / HASH_SIZE;
  const rows = expandRows(hashes);
  return { width, rows };
}

export const tileKey = (level: number, index: bigint): string => `${level}/${index}`;

export class TileCache {
  private readonly map = new Map<string, ExpandedTile>();
  constructor(private readonly capacity: number) {}

  /** A cached tile with at least `minWidth` hashes. */
  get(level: number, index: bigint, minWidth = 1): ExpandedTile | undefined {
    const key = tileKey(level, index);
    const tile = this.map.get(key);
    if (!tile || tile.width < minWidth) return undefined;
    // Refresh recency.
    this.map.delete(key);
    this.map.set(key, tile);
    return tile;
  }

  /**
   * Cache a tile, expanding it unless `rows` (the same tile already expanded, as TreeState keeps its
   * right edge) is given; the rows must not change afterwards.
   */
  put(level: number, index: bigint, hashes: Uint8Array, rows?: ExpandedTile["rows"]): ExpandedTile {
    const key = tileKey(level, index);
    const existing = this.map.get(key);
    if (existing && existing.width >= hashes.length / HASH_SIZE) return existing;
    const tile = rows && rows[0]?.length === hashes.length / HASH_SIZE ? { width: rows[0].length, rows } : expandTile(hashes);
    this.map.delete(key);
    this.map.set(key, tile);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
    return tile;
  }

  get size(): number {
    return this.map.size;
  }
}

/** The tile (level, index) and the width it must have to hold the complete node (height, nodeIndex). */
export function tileForNode(height: number, nodeIndex: bigint): { level: number; index: bigint; minWidth: number; sub: number; offset: number } {
  const level = Math.floor(height / TILE_HEIGHT);
  const sub = height - level * TILE_HEIGHT;
  const rowPos = nodeIndex << BigInt(sub); // position of the node's first hash in the level's row
  const index = rowPos >> BigInt(TILE_HEIGHT);
  const inTile = Number(rowPos & BigInt(TILE_WIDTH - 1));
  return { level, index, minWidth: inTile + (1 << sub), sub, offset: inTile >> sub };
}
