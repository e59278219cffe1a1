/**
 * The integrator's in-memory view of the right edge of the tree: for each tile level, the hashes of
 * the current partial tile (C2SP tlog-tiles, height 8). Appending leaves yields the tiles to store
 * (completed full tiles and the new partial ones); the root comes from the partial tiles alone.
 *
 * @see https://c2sp.org/tlog-tiles
 */
import { HASH_SIZE, foldRight, nodeHash } from "./hash.ts";

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;

export interface TileWrite {
  level: number;
  index: bigint;
  /** width × 32 bytes. */
  hashes: Buffer;
  /** The tile expanded (rows[k] = its complete nodes of height k), when the writer has it at hand. */
  rows?: readonly (readonly Uint8Array[])[];
}

/** Width of the partial tile at `level` for a tree of `size` leaves (0 when there is none). */
export function partialWidth(size: bigint, level: number): number {
  return Number((size >> BigInt(TILE_HEIGHT * level)) & 0xffn);
}

/** Index of the tile at `level` that holds the right edge for a tree of `size` leaves. */
export function edgeTileIndex(size: bigint, level: number): bigint {
  return size >> BigInt(TILE_HEIGHT * (level + 1));
}

/** The (level, index, width) of every partial tile that a tree of `size` leaves has. */
export function partialTilesFor(size: bigint): { level: number; index: bigint; width: number }[] {
  const out: { level: number; index: bigint; width: number }[] = [];
  for (let level = 0; size >> BigInt(TILE_HEIGHT * level) > 0n; level++) {
    const width = partialWidth(size, level);
    if (width > 0) out.push({ level, index: edgeTileIndex(size, level), width });
  }
  return out;
}

function split(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < buf.length; o += HASH_SIZE) out.push(buf.subarray(o, o + HASH_SIZE));
  return out;
}

/**
 * One level's partial tile, kept expanded: rows[k] holds the complete nodes of height k inside it
 * (rows[0] = the tile's hashes). Appending a hash costs about one more node hash on average, and the
 * root reads the perfect subtrees out of the rows instead of rehashing the tile on every batch.
 */
type Rows = Uint8Array[][];

const emptyRows = (): Rows => Array.from({ length: TILE_HEIGHT + 1 }, () => []);

function pushRow(rows: Rows, hash: Uint8Array): void {
  rows[0]!.push(hash);
  for (let k = 1; k <= TILE_HEIGHT; k++) {
    const below = rows[k - 1]!;
    if (below.length % 2 !== 0) break;
    rows[k]!.push(nodeHash(below[below.length - 2]!, below[below.length - 1]!));
  }
}

const snapshot = (rows: Rows): Rows => rows.map((r) => r.slice());

/** A tile's hashes (width × 32 bytes) expanded into rows of complete nodes (see Rows). */
export function expandRows(hashes: Uint8Array): Uint8Array[][] {
  const rows = emptyRows();
  for (const h of split(hashes)) pushRow(rows, h);
  return rows;
}

export class TreeState {
  private constructor(
    private _size: bigint,
    /** edges[level] = the partial tile at that level, expanded (see Rows). */
    private readonly edges: Rows[],
  ) {}

  static empty(): TreeState {
    return new TreeState(0n, []);
  }

  /**
   * Rebuild from the stored partial tiles of a tree of `size` leaves. `tiles` maps level → the
   * stored tile's hashes (a stored tile may be longer than the partial width: tiles are prefixes).
   */
  static fromPartialTiles(size: bigint, tiles: ReadonlyMap<number, Uint8Array>): TreeState {
    const edges: Rows[] = [];
    for (const { level, width } of partialTilesFor(size)) {
      const stored = tiles.get(level);
      if (!stored || stored.length < width * HASH_SIZE) {
        throw new Error(`tile level ${level} is missing or shorter than the ${width} hashes a tree of size ${size} needs`);
      }
      edges[level] = expandRows(stored.subarray(0, width * HASH_SIZE));
    }
    return new TreeState(size, edges);
  }

  get size(): bigint {
    return this._size;
  }

  clone(): TreeState {
    return new TreeState(this._size, this.edges.map((e) => (e ? snapshot(e) : emptyRows())));
  }

  /**
   * Append leaf hashes; returns every tile that must be written (full ones that completed, then the
   * partial ones), each with its expanded rows for the tile cache.
   */
  append(leafHashes: readonly Uint8Array[]): TileWrite[] {
    if (leafHashes.length === 0) return [];
    const writes: TileWrite[] = [];
    let topTouched = 0;
    const push = (level: number, hash: Uint8Array, indexInLevel: bigint): void => {
      const rows = (this.edges[level] ??= emptyRows());
      pushRow(rows, hash);
      topTouched = Math.max(topTouched, level);
      if (rows[0]!.length === TILE_WIDTH) {
        const tileIndex = indexInLevel >> BigInt(TILE_HEIGHT);
        writes.push({ level, index: tileIndex, hashes: Buffer.concat(rows[0]!), rows });
        const parent = rows[TILE_HEIGHT]![0]!;
        this.edges[level] = emptyRows();
        push(level + 1, parent, tileIndex);
      }
    };
    for (const h of leafHashes) {
      if (h.length !== HASH_SIZE) throw new Error("leaf hash must be 32 bytes");
      push(0, h, this._size);
      this._size += 1n;
    }
    for (let level = 0; level <= topTouched; level++) {
      const rows = this.edges[level];
      if (rows && rows[0]!.length > 0) writes.push({ level, index: edgeTileIndex(this._size, level), hashes: Buffer.concat(rows[0]!), rows: snapshot(rows) });
    }
    return writes;
  }

  /** The RFC 6962 root of the current tree. */
  root(): Uint8Array {
    const subtrees: Uint8Array[] = [];
    for (let level = this.edges.length - 1; level >= 0; level--) {
      const rows = this.edges[level];
      const width = rows?.[0]!.length ?? 0;
      if (!rows || width === 0) continue;
      let offset = 0;
      for (let bit = TILE_HEIGHT - 1; bit >= 0; bit--) {
        const count = 1 << bit;
        if (width & count) {
          subtrees.push(rows[bit]![offset >> bit]!);
          offset += count;
        }
      }
    }
    return foldRight(subtrees);
  }
}
