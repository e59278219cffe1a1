import { describe, expect, it } from "vitest";
import { formatTileIndex, formatTilePath, parseTilePath } from "./tile-path.ts";

const code = (c: string) => expect.objectContaining({ code: c });

describe("tile paths", () => {
  it("encode indices in x-prefixed 3-digit groups (C2SP example)", () => {
    expect(formatTileIndex(1234067n)).toBe("x001/x234/067");
    expect(formatTileIndex(0n)).toBe("000");
    expect(formatTileIndex(5n)).toBe("005");
    expect(formatTileIndex(1000n)).toBe("x001/000");
    expect(formatTileIndex((1n << 64n) - 1n)).toBe("x018/x446/x744/x073/x709/x551/615");
  });
  it("format full and partial hash tiles and entry bundles", () => {
    expect(formatTilePath({ kind: "hash", level: 0, index: 1234067n, width: 256 })).toBe("tile/0/x001/x234/067");
    expect(formatTilePath({ kind: "hash", level: 2, index: 1n, width: 17 })).toBe("tile/2/001.p/17");
    expect(formatTilePath({ kind: "entries", index: 273n, width: 112 })).toBe("tile/entries/273.p/112");
    expect(() => formatTilePath({ kind: "hash", level: 64, index: 0n, width: 1 })).toThrow(code("ERR_TILE_PATH_INVALID"));
    expect(() => formatTilePath({ kind: "hash", level: 0, index: 0n, width: 0 })).toThrow(code("ERR_TILE_PATH_INVALID"));
  });
  it.each([
    ["tile/0/x001/x234/067", { kind: "hash", level: 0, index: 1234067n, width: 256 }],
    ["tile/63/000", { kind: "hash", level: 63, index: 0n, width: 256 }],
    ["tile/1/x001/067.p/255", { kind: "hash", level: 1, index: 1067n, width: 255 }],
    ["tile/entries/005.p/1", { kind: "entries", index: 5n, width: 1 }],
    ["tile/entries/x018/x446/x744/x073/x709/x551/615", { kind: "entries", index: (1n << 64n) - 1n, width: 256 }],
  ])("parses %s", (path, tile) => {
    expect(parseTilePath(path)).toEqual(tile);
    expect(formatTilePath(parseTilePath(path))).toBe(path);
  });
  it.each([
    "",
    "tile",
    "tile/0",
    "tiles/0/000",
    "/tile/0/000",
    "tile/0/000/",
    "tile/00/000",
    "tile/64/000",
    "tile/-1/000",
    "tile/0/00",
    "tile/0/0000",
    "tile/0/x000/005",
    "tile/0/001/002",
    "tile/0/x001",
    "tile/0/x01/002",
    "tile/0/005.p",
    "tile/0/005.p/",
    "tile/0/005.p/0",
    "tile/0/005.p/256",
    "tile/0/005.p/012",
    "tile/0/005.p/1/2",
    "tile/0/005.q/1",
    "tile/0/x001.p/1",
    "tile/data/000",
    "tile/0/x018/x446/x744/x073/x709/x551/616",
    "tile/0/x000/x000/x000/x000/x000/x000/x000/001",
    "tile/0/0a5",
    "tile/0/\u0665\u0660\u0660",
    `tile/0/${"x001/".repeat(20)}001`,
  ])("rejects %j", (path) => {
    expect(() => parseTilePath(path)).toThrow(code("ERR_TILE_PATH_INVALID"));
  });
});
