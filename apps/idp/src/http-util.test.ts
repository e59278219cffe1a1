import { describe, expect, it } from "vitest";

import { isLoopbackAddress, isLoopbackHostHeader } from "./http-util.ts";
import { escapeHtml } from "./views.ts";

describe("isLoopbackAddress", () => {
  it("accepts 127/8, ::1 and IPv4-mapped loopback only", () => {
    for (const a of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"]) expect(isLoopbackAddress(a)).toBe(true);
    for (const a of [undefined, "", "10.0.0.1", "::ffff:10.0.0.1", "::", "0.0.0.0", "128.0.0.1", "::2"]) expect(isLoopbackAddress(a)).toBe(false);
  });
});

describe("isLoopbackHostHeader", () => {
  it("accepts loopback names with or without a port, and configured extra names", () => {
    for (const h of ["localhost", "LOCALHOST:8081", "127.0.0.1:8081", "[::1]:8081", "[::1]"]) expect(isLoopbackHostHeader(h)).toBe(true);
    expect(isLoopbackHostHeader("idp.internal:8081", ["idp.internal"])).toBe(true);
  });

  it("refuses other names and look-alikes", () => {
    for (const h of [undefined, "", "localhost.evil.example", "evil.example", "127.0.0.1.evil.example", "localhost@evil.example", "localhost:80:80", "user@localhost", "[::2]:8081"]) {
      expect(isLoopbackHostHeader(h)).toBe(false);
    }
  });
});

describe("escapeHtml", () => {
  it("escapes every character that can end text or an attribute", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe("&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#60;/a&#62;");
  });
});
