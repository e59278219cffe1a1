import { describe, expect, it } from "vitest";
import { canonicalize } from "./canonical.ts";

describe("canonicalize (RFC 8785)", () => {
  it("sorts keys by UTF-16 code units and drops whitespace", () => {
    // RFC 8785 §3.2.3 sorting example (subset).
    const input = { "\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis" };
    // Object.keys would reorder "1"; read the key order from the text itself.
    const order = [...canonicalize(input).matchAll(/"([^"]*)":/g)].map((m) => JSON.parse(`"${m[1]}"`));
    expect(order).toEqual(["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"]);
    expect(canonicalize({ b: [1, { d: true, c: null }], a: "x" })).toBe('{"a":"x","b":[1,{"c":null,"d":true}]}');
  });
  it("serialises numbers and strings like ECMAScript (RFC 8785 §3.2.2)", () => {
    expect(canonicalize([1.0, 1e21, 1e-7, -0, 0.000001, Number("333333333.33333329")])).toBe("[1,1e+21,1e-7,0,0.000001,333333333.3333333]");
    expect(canonicalize("\u2028\u0007\"\\é")).toBe('"\u2028\\u0007\\"\\\\é"');
  });
  it("matches the SET payload shape Rekor signs", () => {
    expect(canonicalize({ logIndex: 5, body: "Yg==", logID: "ab", integratedTime: 7 })).toBe('{"body":"Yg==","integratedTime":7,"logID":"ab","logIndex":5}');
  });
  it.each([[NaN], [Infinity], [{ a: undefined }], [10n], [() => 1]])("rejects %s", (v) => {
    expect(() => canonicalize(v)).toThrow(expect.objectContaining({ code: "ERR_JSON_CANONICAL" }));
  });
  it("rejects 10k-deep nesting without a stack overflow", () => {
    let v: unknown = 1;
    for (let i = 0; i < 10_000; i++) v = [v];
    expect(() => canonicalize(v)).toThrow(expect.objectContaining({ code: "ERR_JSON_CANONICAL" }));
  });
});
