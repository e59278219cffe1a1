import { describe, expect, it } from "vitest";
import { fromBase64, toBase64, toBase64Portable } from "./base64.ts";
import { fromHex, toHex } from "./hex.ts";
import { fromUtf8, utf8 } from "./bytes.ts";

describe("base64", () => {
  it("round-trips every length up to 70", () => {
    for (let n = 0; n < 70; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      expect(fromBase64(toBase64(b))).toEqual(b);
    }
  });
  it("encodes the same without Node's Buffer (the browsers' path), also for views into larger buffers", () => {
    const big = Uint8Array.from({ length: 300 }, (_, i) => (i * 91 + 7) & 255);
    for (let n = 0; n < 70; n++) {
      const view = big.subarray(n, n + n * 3 + 1);
      expect(toBase64Portable(view)).toBe(toBase64(view));
      expect(toBase64(view)).toBe(Buffer.from(view).toString("base64"));
    }
  });
  it("matches known answers", () => {
    expect(toBase64(utf8("foobar"))).toBe("Zm9vYmFy");
    expect(toBase64(utf8("fo"))).toBe("Zm8=");
  });
  it.each(["Zm9", "Zm9v\n", "Zm8", "Z===", "Zm9=Zm9v", "Zm9-", "Zm9_", "Zn==", "Zm9vYmE=x"])("rejects %j", (s) => {
    expect(() => fromBase64(s)).toThrow(expect.objectContaining({ code: "ERR_ENCODING_BASE64" }));
  });
});

describe("hex", () => {
  it("round-trips", () => expect(toHex(fromHex("00ff10Ab"))).toBe("00ff10ab"));
  it.each(["0", "zz", "0x00", " 00"])("rejects %j", (s) => {
    expect(() => fromHex(s)).toThrow(expect.objectContaining({ code: "ERR_ENCODING_HEX" }));
  });
});

describe("utf8", () => {
  it("rejects malformed bytes", () => {
    expect(() => fromUtf8(new Uint8Array([0xc3]))).toThrow(expect.objectContaining({ code: "ERR_ENCODING_UTF8" }));
  });
});
