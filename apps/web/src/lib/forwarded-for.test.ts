import { describe, expect, it } from "vitest";
import { FORWARDED_CHAIN_HEADER, MAX_FORWARDED_CHAIN_CHARS, toForwardedChain, toUpstreamForwardedFor } from "./forwarded-for.ts";

describe("toForwardedChain (src/proxy.ts sets the incoming header aside)", () => {
  it("keeps address lists, trimmed", () => {
    expect(toForwardedChain(" 198.51.100.1, 10.0.0.2 ")).toBe("198.51.100.1, 10.0.0.2");
    expect(toForwardedChain("2001:db8::1,[2001:db8::2]")).toBe("2001:db8::1,[2001:db8::2]");
  });
  it("drops absent, empty and non-address values", () => {
    expect(toForwardedChain(null)).toBeUndefined();
    expect(toForwardedChain("  ")).toBeUndefined();
    expect(toForwardedChain("unknown")).toBeUndefined();
    expect(toForwardedChain("1.2.3.4\r\nx-evil: 1")).toBeUndefined();
  });
  it("keeps only the right end of an oversized chain", () => {
    const chain = toForwardedChain(`${"9.9.9.9, ".repeat(1000)}198.51.100.1`)!;
    expect(chain.length).toBeLessThanOrEqual(MAX_FORWARDED_CHAIN_CHARS);
    expect(chain.endsWith("198.51.100.1")).toBe(true);
  });
});

describe("toUpstreamForwardedFor (what the api gets)", () => {
  it("is the TCP peer Next reported when the request carried no chain", () => {
    expect(toUpstreamForwardedFor(new Headers({ "x-forwarded-for": "127.0.0.1" }))).toBe("127.0.0.1");
    expect(toUpstreamForwardedFor(new Headers({ "x-forwarded-for": "::ffff:127.0.0.1" }))).toBe("::ffff:127.0.0.1");
  });
  it("appends the peer to the chain the request arrived with", () => {
    expect(toUpstreamForwardedFor(new Headers({ "x-forwarded-for": "10.0.0.9", [FORWARDED_CHAIN_HEADER]: "198.51.100.1" }))).toBe("198.51.100.1, 10.0.0.9");
  });
  it("does not repeat the peer when Next already put it into the set-aside header", () => {
    expect(toUpstreamForwardedFor(new Headers({ "x-forwarded-for": "127.0.0.1", [FORWARDED_CHAIN_HEADER]: "127.0.0.1" }))).toBe("127.0.0.1");
    expect(toUpstreamForwardedFor(new Headers({ "x-forwarded-for": "127.0.0.1", [FORWARDED_CHAIN_HEADER]: "198.51.100.1, 127.0.0.1" }))).toBe("198.51.100.1, 127.0.0.1");
  });
  it("passes nothing without a well-formed peer (the api then sees this server)", () => {
    expect(toUpstreamForwardedFor(new Headers())).toBeUndefined();
    expect(toUpstreamForwardedFor(new Headers({ "x-forwarded-for": "1.1.1.1, 2.2.2.2" }))).toBeUndefined();
    expect(toUpstreamForwardedFor(new Headers({ [FORWARDED_CHAIN_HEADER]: "198.51.100.1" }))).toBeUndefined();
  });
});
