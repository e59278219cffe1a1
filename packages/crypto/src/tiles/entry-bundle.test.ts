import { describe, expect, it } from "vitest";
import { decodeEntryBundle, encodeEntryBundle } from "./entry-bundle.ts";

const code = (c: string) => expect.objectContaining({ code: c });
const entries = [Uint8Array.of(1, 2, 3), new Uint8Array(0), new Uint8Array(300).fill(7)];

describe("entry bundles", () => {
  it("encode with big-endian uint16 length prefixes and decode back", () => {
    const bundle = encodeEntryBundle(entries);
    expect(Array.from(bundle.subarray(0, 5))).toEqual([0, 3, 1, 2, 3]);
    expect(Array.from(bundle.subarray(5, 9))).toEqual([0, 0, 1, 44]);
    expect(decodeEntryBundle(bundle)).toEqual(entries);
    expect(decodeEntryBundle(bundle, 3)).toHaveLength(3);
  });
  it("round-trip a full bundle of 256 maximum-size entries", () => {
    const big = Array.from({ length: 256 }, (_, i) => new Uint8Array(i === 0 ? 65535 : 1).fill(i & 255));
    expect(decodeEntryBundle(encodeEntryBundle(big), 256)).toEqual(big);
  });
  it("refuses to encode what cannot be decoded", () => {
    expect(() => encodeEntryBundle([])).toThrow(code("ERR_ENTRY_BUNDLE_INVALID"));
    expect(() => encodeEntryBundle(Array.from({ length: 257 }, () => new Uint8Array(1)))).toThrow(code("ERR_ENTRY_BUNDLE_INVALID"));
    expect(() => encodeEntryBundle([new Uint8Array(65536)])).toThrow(code("ERR_ENTRY_BUNDLE_INVALID"));
  });
  it.each([
    ["empty", new Uint8Array(0)],
    ["truncated length prefix", Uint8Array.of(0, 1, 9, 0)],
    ["truncated entry", Uint8Array.of(0, 5, 1, 2)],
    ["trailing byte", Uint8Array.of(0, 1, 9, 7)],
    ["257 entries", new Uint8Array(257 * 2)],
    ["oversized input", new Uint8Array(256 * 65537 + 1)],
  ])("rejects %s", (_, bytes) => {
    expect(() => decodeEntryBundle(bytes)).toThrow(code("ERR_ENTRY_BUNDLE_MALFORMED"));
  });
  it("rejects a bundle with another entry count than the tile width", () => {
    expect(() => decodeEntryBundle(encodeEntryBundle(entries), 4)).toThrow(code("ERR_ENTRY_BUNDLE_MALFORMED"));
  });
});
