import { describe, expect, it } from "vitest";
import { parseStrictJson } from "./strict-json.ts";
import { codeOf } from "./test-support.ts";

describe("parseStrictJson", () => {
  it("parses ordinary JSON from text or bytes", () => {
    expect(parseStrictJson('{"a":[1,{"b":"c"}],"d":null}')).toEqual({ a: [1, { b: "c" }], d: null });
    expect(parseStrictJson(Buffer.from('{"é":"\\u00e9"}'))).toEqual({ é: "é" });
  });

  it.each([
    ['{"a":1,"a":2}', "top level"],
    ['{"x":{"a":1,"b":2,"a":3}}', "nested"],
    ['[{"a":1},{"a":1,"a":1}]', "inside an array"],
    ['{"a":1,"\\u0061":2}', "escaped spelling"],
    ['{"\\"":1,"\\u0022":2}', "escaped quote"],
    ['{"a":1 , "a" :2}', "whitespace around"],
  ])("rejects duplicate member names: %s (%s)", (text) => {
    expect(codeOf(() => parseStrictJson(text))).toBe("ERR_ENTRY_MALFORMED");
  });

  it.each([
    ['{"a":{"a":{"a":1}}}', "the same name at different levels"],
    ['[{"a":1},{"a":2}]', "the same name in sibling objects"],
    ['{"a":"{\\"a\\":1,\\"a\\":2}"}', "duplicates only inside a string value"],
    ['{"a\\\\":1,"a":2}', "a name ending in an escaped backslash"],
    ['{"k":"]}}}","k2":"[[[{"}', "brackets inside strings"],
    ['{"a":[1,2],"b":{"a":[]}}', "arrays between members"],
  ])("accepts %s (%s)", (text) => {
    expect(parseStrictJson(text)).toEqual(JSON.parse(text));
  });

  it("caps nesting depth before parsing, arrays and objects alike", () => {
    expect(codeOf(() => parseStrictJson("[".repeat(17) + "]".repeat(17)))).toBe("ERR_ENTRY_MALFORMED");
    expect(codeOf(() => parseStrictJson('{"a":'.repeat(17) + "1" + "}".repeat(17)))).toBe("ERR_ENTRY_MALFORMED");
    expect(parseStrictJson("[".repeat(16) + "]".repeat(16))).toBeDefined();
    const t = performance.now();
    expect(codeOf(() => parseStrictJson("[".repeat(1_000_000)))).toBe("ERR_ENTRY_MALFORMED");
    expect(performance.now() - t).toBeLessThan(500);
  });

  it("caps size before decoding, and rejects invalid UTF-8 and invalid JSON", () => {
    expect(codeOf(() => parseStrictJson("x".repeat(11), "t", 10))).toBe("ERR_ENTRY_MALFORMED");
    expect(codeOf(() => parseStrictJson(Buffer.alloc(11, 0x20), "t", 10))).toBe("ERR_ENTRY_MALFORMED");
    expect(codeOf(() => parseStrictJson(Buffer.from([0x22, 0xc3, 0x28, 0x22])))).toBe("ERR_ENTRY_MALFORMED");
    for (const bad of ["", "{", '{"a":}', '{"a":1,}', "[1,]", '"unterminated', "{'a':1}", "NaN", '{"a":1}x', '"\\x"']) {
      expect(codeOf(() => parseStrictJson(bad))).toBe("ERR_ENTRY_MALFORMED");
    }
  });

  it("scans a 4 MB string value in linear time (backslash runs included)", () => {
    const big = `{"a":"${"\\\\".repeat(1_000_000)}","b":"${"x".repeat(2_000_000)}"}`;
    const t = performance.now();
    expect((parseStrictJson(big) as { b: string }).b.length).toBe(2_000_000);
    expect(performance.now() - t).toBeLessThan(1_000);
  });
});
