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

/** The cache key of tile (level, index); a number index gives the same key as the equal bigint. */
export const tileKey = (level: number, index: bigint | number): string => `${level}/${index}`;

/**
 * A bounded cache with approximate LRU eviction: the Map's insertion order is the recency order, and
 * a hit moves its tile to the end only when more than a quarter of the capacity was inserted since it
 * last moved. Moving on every hit (a Map delete and set) cost ~0.8 µs per node read, half of an
 * inclusion proof's time at 1M leaves; a tile in use still moves long before it could be evicted.
 */
export class TileCache {
  private readonly map = new Map<string, { tile: ExpandedTile; stamp: number }>();
  /** Insertions so far (new tiles and moves). */
  private clock = 0;
  constructor(private readonly capacity: number) {}

  /** A cached tile with at least `minWidth` hashes. */
  get(level: number, index: bigint | number, minWidth = 1): ExpandedTile | undefined {
    const key = tileKey(level, index);
    const slot = this.map.get(key);
    if (!slot || slot.tile.width < minWidth) return undefined;
    if (this.clock - slot.stamp > this.capacity >> 2) {
      this.map.delete(key);
      slot.stamp = ++this.clock;
      this.map.set(key, slot);
    }
    return slot.tile;
  }

  /**
   * Cache a tile, expanding it unless `rows` (the same tile already expanded, as TreeState keeps its
   * right edge) is given; the rows must not change afterwards.
   */
  put(level: number, index: bigint, hashes: Uint8Array, rows?: ExpandedTile["rows"]): ExpandedTile {
    const key = tileKey(level, index);
    const existing = this.map.get(key);
    if (existing && existing.tile.width >= hashes.length / HASH_SIZE) return existing.tile;
    const tile = rows && rows[0]?.length === hashes.length / HASH_SIZE ? { width: rows[0].length, rows } : expandTile(hashes);
    this.map.delete(key);
    this.map.set(key, { tile, stamp: ++this.clock });
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
