/**
 * C2SP tlog-tiles resource paths: `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`, with N
 * written as zero-padded 3-digit groups, all but the last prefixed with `x` (1234067 → x001/x234/067).
 * @see https://c2sp.org/tlog-tiles
 */
import { SignetCryptoError } from "../errors.ts";

/** Merkle levels covered by one tile (C2SP tlog-tiles). */
export const TILE_HEIGHT = 8;
/** Hashes (or entries) in a full tile: 2^TILE_HEIGHT. */
export const TILE_WIDTH = 256;
/** Highest tile level allowed in a path (C2SP tlog-tiles: "between 0 and 63"). */
export const MAX_TILE_LEVEL = 63;

/** A hash tile: level L holds Merkle level 8·L; `width` 256 is a full tile, 1..255 a partial one. */
export interface HashTile {
  readonly kind: "hash";
  readonly level: number;
  readonly index: bigint;
  readonly width: number;
}

/** An entry bundle of up to 256 log entries starting at entry `index`·256. */
export interface EntryBundleTile {
  readonly kind: "entries";
  readonly index: bigint;
  readonly width: number;
}

/** Either kind of tile resource. */
export type Tile = HashTile | EntryBundleTile;

// Tile indices stay below 2^64 / 256; seven 3-digit groups cover every uint64.
const MAX_INDEX_GROUPS = 7;
const MAX_TILE_INDEX = (1n << 64n) - 1n;

function invalid(message: string): never {
  throw new SignetCryptoError("ERR_TILE_PATH_INVALID", message);
}

/** Encode a tile index as `x001/x234/067` (C2SP tlog-tiles). */
export function formatTileIndex(index: bigint): string {
  if (typeof index !== "bigint" || index < 0n || index > MAX_TILE_INDEX) invalid("tile index must be a uint64 bigint");
  let digits = index.toString();
  digits = digits.padStart(Math.ceil(digits.length / 3) * 3, "0");
  const groups: string[] = [];
  for (let i = 0; i < digits.length; i += 3) groups.push(digits.slice(i, i + 3));
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join("/");
}

/** Format a tile path relative to the log prefix, e.g. `tile/0/x001/067.p/12` or `tile/entries/005`. */
export function formatTilePath(tile: Tile): string {
  checkWidth(tile.width, invalid);
  const suffix = tile.width === TILE_WIDTH ? "" : `.p/${tile.width}`;
  if (tile.kind === "entries") return `tile/entries/${formatTileIndex(tile.index)}${suffix}`;
  if (!Number.isInteger(tile.level) || tile.level < 0 || tile.level > MAX_TILE_LEVEL) invalid("tile level must be 0..63");
  return `tile/${tile.level}/${formatTileIndex(tile.index)}${suffix}`;
}

function checkWidth(width: unknown, fail: (m: string) => never): asserts width is number {
  if (typeof width !== "number" || !Number.isInteger(width) || width < 1 || width > TILE_WIDTH) fail("tile width must be 1..256");
}

/**
 * Strict parse of a tile path relative to the log prefix (for server routes): canonical decimal
 * level 0..63 without leading zeros, canonical index groups (no redundant leading `x000/`),
 * partial width 1..255 without leading zeros. Throws ERR_TILE_PATH_INVALID.
 */
export function parseTilePath(path: string): Tile {
  // attacker-controlled: request path; length capped before splitting
  if (typeof path !== "string" || path.length > 64) invalid("tile path too long");
  const parts = path.split("/");
  if (parts[0] !== "tile" || parts.length < 3) invalid("not a tile path");
  const kindPart = parts[1]!;
  let rest = parts.slice(2);
  let width = TILE_WIDTH;
  const last = rest[rest.length - 1]!;
  const dot = last.indexOf(".p");
  if (rest.length >= 2 && rest[rest.length - 2]!.endsWith(".p")) {
    const w = last;
    if (!/^[1-9][0-9]{0,2}$/.test(w) || Number(w) > 255) invalid("partial tile width must be 1..255");
    width = Number(w);
    const group = rest[rest.length - 2]!.slice(0, -2);
    rest = [...rest.slice(0, -2), group];
  } else if (dot >= 0) {
    invalid("malformed partial tile suffix");
  }
  const index = parseTileIndexGroups(rest);
  if (kindPart === "entries") return { kind: "entries", index, width };
  if (!/^(0|[1-9][0-9]?)$/.test(kindPart) || Number(kindPart) > MAX_TILE_LEVEL) invalid("tile level must be 0..63");
  return { kind: "hash", level: Number(kindPart), index, width };
}

function parseTileIndexGroups(groups: readonly string[]): bigint {
  if (groups.length === 0 || groups.length > MAX_INDEX_GROUPS) invalid("bad tile index");
  let digits = "";
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    const isLast = i === groups.length - 1;
    if (!(isLast ? /^[0-9]{3}$/ : /^x[0-9]{3}$/).test(g)) invalid("tile index groups must be x### … ###");
    digits += isLast ? g : g.slice(1);
  }
  // Canonical form only: `x000/005` names the same tile as `005`, so it is rejected.
  if (groups.length > 1 && groups[0] === "x000") invalid("non-canonical tile index");
  const index = BigInt(digits);
  if (index > MAX_TILE_INDEX) invalid("tile index out of range");
  return index;
}
