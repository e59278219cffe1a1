import type http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHealthService } from "../services/health.ts";
import type { Services } from "../services/index.ts";
import type { TimestampAuthority } from "../services/tsa/rfc3161.ts";
import { registerTsa } from "../rest/tsa.ts";
import { createRateLimiter } from "../rest/limits.ts";
import { parseTrustedProxies, resolveClientAddress, toCanonicalAddress, MAX_FORWARDED_FOR_CHARS } from "./client-address.ts";
import { Router } from "./router.ts";
import { createApiServer } from "./server.ts";

const loopback = parseTrustedProxies("127.0.0.1,::1");

describe("toCanonicalAddress", () => {
  it("accepts IPv4 and IPv6, canonicalising IPv6 and IPv4-mapped IPv6", () => {
    expect(toCanonicalAddress(" 203.0.113.7 ")).toBe("203.0.113.7");
    expect(toCanonicalAddress("2001:DB8:0:0:0:0:0:1")).toBe("2001:db8::1");
    expect(toCanonicalAddress("[2001:db8::1]")).toBe("2001:db8::1");
    expect(toCanonicalAddress("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(toCanonicalAddress("::FFFF:7f00:1")).toBe("127.0.0.1");
    expect(toCanonicalAddress("::1")).toBe("::1");
  });

  it.each(["", "unknown", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4:80", "[::1]:80", "fe80::1%eth0", "2001:db8::g", "_hidden", "a".repeat(100), "1.2.3.4 5.6.7.8"])(
    "rejects %j",
    (raw) => expect(toCanonicalAddress(raw)).toBeUndefined(),
  );
});

describe("parseTrustedProxies", () => {
  it("parses a comma-separated list; empty means none", () => {
    expect([...parseTrustedProxies("127.0.0.1, ::1,,::ffff:10.0.0.1")]).toEqual(["127.0.0.1", "::1", "10.0.0.1"]);
    expect(parseTrustedProxies("").size).toBe(0);
    expect(parseTrustedProxies(undefined).size).toBe(0);
  });

  it("refuses anything that is not an address (no names, no ranges)", () => {
    for (const bad of ["localhost", "10.0.0.0/8", "127.0.0.1,nope"]) {
      expect(() => parseTrustedProxies(bad), bad).toThrow(expect.objectContaining({ code: "ERR_TRUSTED_PROXIES_INVALID" }));
    }
  });
});

describe("resolveClientAddress", () => {
  it("ignores X-Forwarded-For when no proxy is trusted (the default)", () => {
    expect(resolveClientAddress("127.0.0.1", "198.51.100.1", new Set())).toBe("127.0.0.1");
  });

  it("ignores a spoofed header from an untrusted peer", () => {
    expect(resolveClientAddress("203.0.113.9", "198.51.100.1", loopback)).toBe("203.0.113.9");
    expect(resolveClientAddress("::ffff:203.0.113.9", "127.0.0.1", loopback)).toBe("203.0.113.9");
  });

  it("takes the forwarded address when the peer is a trusted proxy, IPv4-mapped or not", () => {
    expect(resolveClientAddress("127.0.0.1", "198.51.100.1", loopback)).toBe("198.51.100.1");
    expect(resolveClientAddress("::ffff:127.0.0.1", "198.51.100.1", loopback)).toBe("198.51.100.1");
    expect(resolveClientAddress("::1", "2001:DB8::7", loopback)).toBe("2001:db8::7");
    expect(resolveClientAddress("127.0.0.1", ["198.51.100.1"], loopback)).toBe("198.51.100.1");
  });

  it("walks a chain of proxies from the right and stops at the first untrusted address", () => {
    const trusted = parseTrustedProxies("127.0.0.1,10.0.0.2,10.0.0.3");
    // client → 10.0.0.3 → 10.0.0.2 → portal (127.0.0.1): each hop appended its peer.
    expect(resolveClientAddress("127.0.0.1", "198.51.100.1, 10.0.0.3, 10.0.0.2", trusted)).toBe("198.51.100.1");
    // Whatever the client put in front of its own address is ignored.
    expect(resolveClientAddress("127.0.0.1", "1.1.1.1, 2.2.2.2, 198.51.100.1, 10.0.0.3, 10.0.0.2", trusted)).toBe("198.51.100.1");
    // A trusted-looking address written by the client itself does not extend the trust.
    expect(resolveClientAddress("127.0.0.1", "10.0.0.3, 198.51.100.1", trusted)).toBe("198.51.100.1");
    // Node joins repeated headers with ", ": the same walk applies.
    expect(resolveClientAddress("127.0.0.1", "9.9.9.9, 198.51.100.1,10.0.0.3", trusted)).toBe("198.51.100.1");
    // Every hop trusted: the left-most is the best we know.
    expect(resolveClientAddress("127.0.0.1", "10.0.0.3, 10.0.0.2", trusted)).toBe("10.0.0.3");
  });

  it("stops at a malformed entry: the last trusted hop stands for the client", () => {
    expect(resolveClientAddress("127.0.0.1", "unknown", loopback)).toBe("127.0.0.1");
    expect(resolveClientAddress("127.0.0.1", "198.51.100.1, _proxy", loopback)).toBe("127.0.0.1");
    expect(resolveClientAddress("127.0.0.1", "198.51.100.1,", loopback)).toBe("127.0.0.1");
    expect(resolveClientAddress("127.0.0.1", "", loopback)).toBe("127.0.0.1");
    expect(resolveClientAddress("127.0.0.1", "198.51.100.1:4711", loopback)).toBe("127.0.0.1");
    // Garbage left of the client's own address is never looked at.
    expect(resolveClientAddress("127.0.0.1", "<script>, 198.51.100.1", loopback)).toBe("198.51.100.1");
  });

  it("reads only the right end of an oversized header", () => {
    const huge = `${"9.9.9.9, ".repeat(MAX_FORWARDED_FOR_CHARS)}198.51.100.1`;
    expect(resolveClientAddress("127.0.0.1", huge, loopback)).toBe("198.51.100.1");
    const allTrusted = `${"127.0.0.1,".repeat(1000)}127.0.0.1`;
    expect(resolveClientAddress("127.0.0.1", allTrusted, loopback)).toBe("127.0.0.1");
  });

  it("names an unknown peer 'unknown'", () => {
    expect(resolveClientAddress(undefined, "198.51.100.1", loopback)).toBe("unknown");
  });
});

describe("rate-limit buckets behind a proxy (api HTTP front)", () => {
  let server: http.Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  // The real TSA route and the real limiter, one request per bucket: a request that passes the limit
  // fails next on its (deliberately wrong) media type with 415, one over the limit gets 429.
  async function start(trustedProxies: string | undefined): Promise<(forwardedFor: string) => Promise<number>> {
    const health = createHealthService({ database: async () => undefined, hsm: async () => undefined }, 200);
    const rest = new Router();
    const tsa = {} as TimestampAuthority;
    registerTsa(rest, { tsa, limitWrite: createRateLimiter({ perSecond: 0.001, burst: 1 }) });
    server = createApiServer({
      services: { health } as unknown as Services,
      maxBodyBytes: 1024,
      allowedOrigins: [],
      rest,
      ...(trustedProxies === undefined ? {} : { trustedProxies: parseTrustedProxies(trustedProxies) }),
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return async (forwardedFor) => {
      const res = await fetch(`${base}/api/v1/timestamp`, { method: "POST", headers: { "content-type": "text/plain", "x-forwarded-for": forwardedFor }, body: "x" });
      await res.arrayBuffer();
      return res.status;
    };
  }

  it("gives two forwarded addresses separate buckets when the peer is a trusted proxy", async () => {
    const post = await start("127.0.0.1");
    expect(await post("198.51.100.1")).toBe(415);
    expect(await post("198.51.100.1")).toBe(429);
    expect(await post("198.51.100.2")).toBe(415);
    expect(await post("203.0.113.5, 198.51.100.2")).toBe(429);
  });

  it("keeps one bucket for the peer when it is not trusted, whatever X-Forwarded-For says", async () => {
    const post = await start(undefined);
    expect(await post("198.51.100.1")).toBe(415);
    expect(await post("198.51.100.2")).toBe(429);
  });

  it("gives tRPC's login limit the forwarded address too (createContext clientAddress)", async () => {
    const health = createHealthService({ database: async () => undefined, hsm: async () => undefined }, 200);
    const seen: string[] = [];
    // Only the limiter matters here: the login itself fails after it (no issuers), which is not a 429.
    const auth = { limit: (key: string) => void seen.push(key), loginIssuers: [], sessions: {} };
    server = createApiServer({ services: { health, auth } as unknown as Services, maxBodyBytes: 4096, allowedOrigins: [], trustedProxies: loopback });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const res = await fetch(`${base}/trpc/auth.createSession`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": "2001:db8::5" },
      body: JSON.stringify({ idToken: "x", nonce: "y" }),
    });
    await res.arrayBuffer();
    expect(seen).toEqual(["login:2001:db8::5"]);
  });

  it("keeps one bucket when other proxies are trusted but not this peer", async () => {
    const post = await start("10.0.0.1");
    expect(await post("198.51.100.1")).toBe(415);
    expect(await post("198.51.100.2")).toBe(429);
  });
});
