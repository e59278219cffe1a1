import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkApiHealth } from "./health.ts";

// A real loopback HTTP server standing in for the API's /healthz in each failure mode.
let server: http.Server;
let baseUrl: string;
const pending = new Set<http.ServerResponse>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const [, mode] = (req.url ?? "").split("/");
    if (req.url !== `/${mode}/healthz`) {
      res.writeHead(404).end();
      return;
    }
    switch (mode) {
      case "ok":
        res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
        return;
      case "fail":
        res.writeHead(503).end("down");
        return;
      case "redirect":
        res.writeHead(302, { location: "http://127.0.0.1:1/healthz" }).end();
        return;
      case "hang":
        pending.add(res);
        return;
      case "huge":
        // A healthy status with an endless body must not be buffered by the checker.
        res.writeHead(200);
        res.write(Buffer.alloc(1 << 20));
        pending.add(res);
        return;
      default:
        res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of pending) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("checkApiHealth", () => {
  it("reports ok with a latency when /healthz answers 200", async () => {
    const health = await checkApiHealth(`${baseUrl}/ok`);
    expect(health.status).toBe("ok");
    if (health.status === "ok") expect(health.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("reports a non-200 answer as unreachable with its status", async () => {
    expect(await checkApiHealth(`${baseUrl}/fail`)).toEqual({ status: "unreachable", reason: "http_503" });
  });

  it("does not follow redirects", async () => {
    expect(await checkApiHealth(`${baseUrl}/redirect`)).toEqual({ status: "unreachable", reason: "http_302" });
  });

  it("gives up after the timeout", async () => {
    const started = Date.now();
    expect(await checkApiHealth(`${baseUrl}/hang`, { timeoutMs: 150 })).toEqual({ status: "unreachable", reason: "timeout" });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("returns on the status line without reading an endless body", async () => {
    expect((await checkApiHealth(`${baseUrl}/huge`, { timeoutMs: 1_000 })).status).toBe("ok");
  });

  it("reports a refused connection", async () => {
    // Bind then close a port so nothing listens on it.
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    expect(await checkApiHealth(`http://127.0.0.1:${port}`)).toEqual({ status: "unreachable", reason: "connection" });
  });

  it("never throws, even when the transport itself throws synchronously", async () => {
    const throwing = (() => {
      throw new TypeError("boom");
    }) as unknown as typeof fetch;
    expect(await checkApiHealth(baseUrl, { fetch: throwing })).toEqual({ status: "unreachable", reason: "connection" });
  });
});
