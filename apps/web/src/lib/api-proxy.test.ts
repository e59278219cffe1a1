import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_PROXY_QUERY_CHARS, proxyToApi, refuse, toApiReadUpstream, toApiWriteUpstream, toTrpcUpstream, toWellKnownUpstream } from "./api-proxy.ts";

// A real loopback HTTP server standing in for the API: it echoes what reached it.
let server: http.Server;
let apiUrl: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url?.startsWith("/redirect")) {
        res.writeHead(302, { location: "http://evil.example/" }).end();
        return;
      }
      if (req.url?.startsWith("/slow")) return; // never answers
      res.writeHead(req.url?.startsWith("/teapot") ? 418 : 200, {
        "content-type": "application/json",
        "set-cookie": "session=abc; HttpOnly",
        "cache-control": "public, max-age=60",
        "retry-after": "3",
        "access-control-allow-origin": "*",
        "x-internal": "secret",
      });
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

type Echo = { method: string; url: string; headers: Record<string, string>; body: string };

describe("upstream path allow-lists", () => {
  const url = (p: string) => new URL(p, "http://portal.test");
  it("passes tRPC procedure paths with their query", () => {
    expect(toTrpcUpstream(url("/trpc/log.entries,log.latestCheckpoint?batch=1&input=%7B%7D"))).toEqual({
      kind: "ok",
      path: "/trpc/log.entries,log.latestCheckpoint?batch=1&input=%7B%7D",
    });
    expect(toTrpcUpstream(url("/trpc/")).kind).toBe("refused");
    expect(toTrpcUpstream(url("/trpc/a/b")).kind).toBe("refused");
    expect(toTrpcUpstream(url(`/trpc/x?input=${"a".repeat(MAX_PROXY_QUERY_CHARS)}`))).toEqual({ kind: "refused", status: 414 });
  });

  it("passes only the log's read paths", () => {
    for (const ok of [
      "/api/v2/checkpoint",
      "/api/v2/tile/0/000",
      "/api/v2/tile/1/x001/234.p/17",
      "/api/v2/tile/entries/x001/000",
      "/api/v1/log",
      "/api/v1/log/proof?firstSize=1&lastSize=2",
      "/api/v1/log/publicKey",
      "/api/v1/log/entries?logIndex=3",
      `/api/v1/log/entries/${"a".repeat(64)}`,
      `/api/v1/log/entries/${"a".repeat(80)}`,
    ]) {
      expect(toApiReadUpstream(url(ok)).kind, ok).toBe("ok");
    }
    for (const bad of [
      "/api/v1/log/entries/retrieve",
      "/api/v1/index/retrieve",
      "/api/v2/log/entries",
      "/api/v2/tile/0/../../admin",
      "/api/v2/tile/%2e%2e/x",
      "/api/v1/log/entries/ABC",
      "/api/v2/checkpoint/",
      "/healthz",
    ]) {
      expect(toApiReadUpstream(url(bad)).kind, bad).toBe("refused");
    }
  });

  it("lets exactly two writes through for /sign, each with its body cap", async () => {
    const u = (p: string) => new URL(p, "http://portal.test");
    expect(toApiWriteUpstream(u("/api/v1/log/entries"))).toEqual({ kind: "ok", path: "/api/v1/log/entries", maxBodyBytes: 256 * 1024 });
    expect(toApiWriteUpstream(u("/api/v1/timestamp"))).toEqual({ kind: "ok", path: "/api/v1/timestamp", maxBodyBytes: 8 * 1024 });
    for (const bad of ["/api/v1/log/entries?x=1", "/api/v1/log/entries/", "/api/v1/log/entries/retrieve", "/api/v2/signingCert", "/api/v1/timestamp/certchain", "/api/v2/log/entries", "/trpc/ca.issueForSession"]) {
      expect(toApiWriteUpstream(u(bad)).kind, bad).toBe("refused");
    }
    const target = toApiWriteUpstream(u("/api/v1/timestamp"));
    if (target.kind !== "ok") throw new Error("unreachable");
    const big = new Request("http://portal.test/api/v1/timestamp", { method: "POST", body: new Uint8Array(8 * 1024 + 1), headers: { "content-type": "application/timestamp-query" } });
    expect((await proxyToApi(big, { apiUrl, path: target.path, ...(target.maxBodyBytes === undefined ? {} : { maxBodyBytes: target.maxBodyBytes }) })).status).toBe(413);
  });

  it("serves only the two trust files", () => {
    expect(toWellKnownUpstream("trusted_root.json")).toEqual({ kind: "ok", path: "/.well-known/signet/trusted_root.json" });
    expect(toWellKnownUpstream("signing_config.json").kind).toBe("ok");
    for (const bad of ["../healthz", "keys.json", "trusted_root.json?x", ""]) expect(toWellKnownUpstream(bad).kind, bad).toBe("refused");
  });

  it("refuses with a JSON 404 or 414", async () => {
    const r404 = refuse({ kind: "refused", status: 404 });
    expect(r404.status).toBe(404);
    expect(await r404.json()).toMatchObject({ code: "ERR_NOT_FOUND" });
    expect(refuse({ kind: "refused", status: 414 }).status).toBe(414);
  });
});

describe("proxyToApi", () => {
  it("forwards a GET with its query, keeps answer headers it needs and drops cookies both ways", async () => {
    const request = new Request("http://portal.test/trpc/log.entries?input=%7B%22limit%22%3A5%7D", {
      headers: { cookie: "session=victim", authorization: "Bearer t", accept: "application/json", "x-forwarded-for": "1.2.3.4" },
    });
    const response = await proxyToApi(request, { apiUrl, path: "/trpc/log.entries?input=%7B%22limit%22%3A5%7D" });
    expect(response.status).toBe(200);
    const echo = (await response.json()) as Echo;
    expect(echo).toMatchObject({ method: "GET", url: "/trpc/log.entries?input=%7B%22limit%22%3A5%7D" });
    expect(echo.headers.cookie).toBeUndefined();
    expect(echo.headers.authorization).toBeUndefined();
    expect(echo.headers.accept).toBe("application/json");
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(response.headers.get("x-internal")).toBeNull();
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("cache-control")).toBe("public, max-age=60");
    expect(response.headers.get("retry-after")).toBe("3");
  });

  it("forwards a POST body with its media type, Origin and Sec-Fetch-Site (so the API's CSRF check still applies)", async () => {
    const request = new Request("http://portal.test/trpc/x", {
      method: "POST",
      body: '{"a":1}',
      headers: { "content-type": "text/plain", origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    });
    const echo = (await (await proxyToApi(request, { apiUrl, path: "/trpc/x" })).json()) as Echo;
    expect(echo).toMatchObject({ method: "POST", body: '{"a":1}' });
    expect(echo.headers["content-type"]).toBe("text/plain");
    expect(echo.headers.origin).toBe("https://evil.example");
    expect(echo.headers["sec-fetch-site"]).toBe("cross-site");
  });

  it("passes the API's status through", async () => {
    expect((await proxyToApi(new Request("http://portal.test/x"), { apiUrl, path: "/teapot" })).status).toBe(418);
  });

  it("refuses bodies over the cap, declared or streamed, before the API sees them", async () => {
    const declared = new Request("http://portal.test/trpc/x", { method: "POST", body: "x".repeat(2048), headers: { "content-length": "2048" } });
    const r1 = await proxyToApi(declared, { apiUrl, path: "/trpc/x", maxBodyBytes: 1024 });
    expect(r1.status).toBe(413);
    expect(await r1.json()).toMatchObject({ code: "ERR_PAYLOAD_TOO_LARGE" });
    let pulls = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        pulls++;
        c.enqueue(new Uint8Array(512));
      },
    });
    const streamed = new Request("http://portal.test/trpc/x", { method: "POST", body: endless, duplex: "half" } as RequestInit & { duplex: "half" });
    expect((await proxyToApi(streamed, { apiUrl, path: "/trpc/x", maxBodyBytes: 1024 })).status).toBe(413);
    expect(pulls).toBeLessThan(10);
    const lying = new Request("http://portal.test/trpc/x", { method: "POST", body: "x", headers: { "content-length": "1e9" } });
    expect((await proxyToApi(lying, { apiUrl, path: "/trpc/x" })).status).toBe(413);
  });

  it("refuses other methods, and never follows a redirect", async () => {
    expect((await proxyToApi(new Request("http://portal.test/x", { method: "DELETE" }), { apiUrl, path: "/x" })).status).toBe(405);
    const r = await proxyToApi(new Request("http://portal.test/x"), { apiUrl, path: "/redirect" });
    expect(r.status).toBe(502);
    expect(await r.json()).toMatchObject({ code: "ERR_WEB_API_REDIRECT" });
  });

  it("answers 502 when the API is down and 504 when it is too slow", async () => {
    const down = await proxyToApi(new Request("http://portal.test/x"), { apiUrl: "http://127.0.0.1:1", path: "/x" });
    expect(down.status).toBe(502);
    expect(await down.json()).toMatchObject({ code: "ERR_WEB_API_UNREACHABLE" });
    const slow = await proxyToApi(new Request("http://portal.test/x"), { apiUrl, path: "/slow", timeoutMs: 200 });
    expect(slow.status).toBe(504);
  });
});
