import { describe, expect, it } from "vitest";
import { isSignetWebError } from "../errors.ts";
import { toBytesFromBase64, toHash, toHashList, toUint63 } from "./api-values.ts";

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isSignetWebError(e) ? e.code : "untyped";
  }
  return "no error";
}

describe("API value decoding (the log server is not trusted)", () => {
  it("accepts canonical int64 decimal strings", () => {
    expect(toUint63("0", "x")).toBe(0n);
    expect(toUint63("9223372036854775807", "x")).toBe((1n << 63n) - 1n);
  });

  it.each([["-1"], ["01"], ["1e3"], [" 1"], ["9223372036854775808"], [12], [null], ["0x10"], ["1".repeat(20)]])("refuses %j as a size", (v) => {
    expect(code(() => toUint63(v, "size"))).toBe("ERR_WEB_API_RESPONSE_MALFORMED");
  });

  it("decodes hashes and proofs, with caps", () => {
    const h = Buffer.alloc(32, 9).toString("base64");
    expect(toHash(h, "root")).toHaveLength(32);
    expect(toHashList([h, h], "proof")).toHaveLength(2);
    expect(code(() => toHash(Buffer.alloc(31).toString("base64"), "root"))).toBe("ERR_WEB_API_RESPONSE_MALFORMED");
    expect(code(() => toHash("@@@@", "root"))).toBe("ERR_WEB_API_RESPONSE_MALFORMED");
    expect(code(() => toHashList(Array(65).fill(h), "proof"))).toBe("ERR_WEB_API_RESPONSE_MALFORMED");
    expect(code(() => toHashList("nope", "proof"))).toBe("ERR_WEB_API_RESPONSE_MALFORMED");
    expect(code(() => toBytesFromBase64("A".repeat(10_000), "body", 100))).toBe("ERR_WEB_API_RESPONSE_MALFORMED");
    expect(code(() => toBytesFromBase64(42, "body", 100))).toBe("ERR_WEB_API_RESPONSE_MALFORMED");
  });
});
