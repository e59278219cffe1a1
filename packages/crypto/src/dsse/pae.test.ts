import { describe, expect, it } from "vitest";
import { fromUtf8, utf8 } from "../encoding/bytes.ts";
import { preAuthEncoding } from "./pae.ts";

describe("DSSE PAE", () => {
  it("matches the spec example", () => {
    // secure-systems-lab/dsse protocol.md test vector.
    expect(fromUtf8(preAuthEncoding("http://example.com/HelloWorld", utf8("hello world")))).toBe("DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  });
  it("counts UTF-8 bytes, not UTF-16 units (SECURITY.md C5)", () => {
    expect(fromUtf8(preAuthEncoding("t\u0131pe", utf8("é")))).toBe("DSSEv1 5 t\u0131pe 2 é");
    // A look-alike payload type changes the bytes.
    expect(preAuthEncoding("type", utf8("x"))).not.toEqual(preAuthEncoding("typ\u0435", utf8("x")));
  });
  it("handles empty type and payload", () => {
    expect(fromUtf8(preAuthEncoding("", new Uint8Array()))).toBe("DSSEv1 0  0 ");
  });
});
