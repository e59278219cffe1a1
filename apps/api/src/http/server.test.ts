import type { AddressInfo } from "node:net";
import type http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiServer } from "./server.ts";
import { createHealthService } from "../services/health.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (res: Response): Promise<any> => res.json();

describe("api HTTP front", () => {
  let server: http.Server;
  let base: string;
  let hsmUp = true;
  beforeAll(async () => {
    const health = createHealthService({ database: async () => undefined, hsm: async () => { if (!hsmUp) throw new Error("down"); } }, 200);
    server = createApiServer({ services: { health }, maxBodyBytes: 1024, allowedOrigins: ["http://localhost:3000"] });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("answers /healthz 200 when every dependency is up and 503 when one is down", async () => {
    hsmUp = true;
    const ok = await fetch(`${base}/healthz`);
    expect(ok.status).toBe(200);
    expect(await json(ok)).toMatchObject({ component: "api", status: "ok" });
    hsmUp = false;
    const down = await fetch(`${base}/healthz`);
    expect(down.status).toBe(503);
    expect(await json(down)).toMatchObject({ status: "degraded", checks: { hsm: { status: "unreachable" } } });
    hsmUp = true;
  });

  it("serves tRPC queries", async () => {
    const res = await fetch(`${base}/trpc/health.status`);
    expect(res.status).toBe(200);
    expect((await json(res)).result.data.status).toBe("ok");
  });

  it("answers unknown paths with 404 and a stable code", async () => {
    const res = await fetch(`${base}/nope`);
    expect(res.status).toBe(404);
    expect(await json(res)).toEqual({ code: "ERR_NOT_FOUND", message: "no such endpoint" });
  });

  it("refuses an over-size body before parsing it", async () => {
    const res = await fetch(`${base}/trpc/health.status`, { method: "POST", headers: { "content-type": "application/json" }, body: "x".repeat(4096) });
    expect(res.status).toBe(413);
    expect((await json(res)).code).toBe("ERR_PAYLOAD_TOO_LARGE");
  });

  it.each(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain; application/json"])(
    "refuses a tRPC POST with Content-Type %s (SECURITY.md G1)",
    async (type) => {
      const res = await fetch(`${base}/trpc/health.status`, { method: "POST", headers: { "content-type": type }, body: "{}" });
      expect(res.status).toBe(415);
      expect((await json(res)).code).toBe("ERR_UNSUPPORTED_MEDIA_TYPE");
    },
  );

  it("refuses a cross-site tRPC POST", async () => {
    const res = await fetch(`${base}/trpc/health.status`, { method: "POST", headers: { "content-type": "application/json", origin: "https://evil.example" }, body: "{}" });
    expect(res.status).toBe(403);
    expect((await json(res)).code).toBe("ERR_CROSS_SITE");
  });

  it("does not let a query run as a POST mutation", async () => {
    const res = await fetch(`${base}/trpc/health.status`, { method: "POST", headers: { "content-type": "application/json", origin: "http://localhost:3000" }, body: "{}" });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const body = await json(res);
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
  });
});
