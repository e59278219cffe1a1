import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { GET, dynamic } from "./route.ts";

const saved = process.env.SIGNET_API_URL;
afterEach(() => {
  if (saved === undefined) delete process.env.SIGNET_API_URL;
  else process.env.SIGNET_API_URL = saved;
});

async function withApi<T>(status: number, run: (url: string) => Promise<T>): Promise<T> {
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === "/healthz" ? status : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    return await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe("GET /healthz", () => {
  it("is never cached or prerendered", () => {
    expect(dynamic).toBe("force-dynamic");
  });

  it("answers 200 ok when the API's /healthz answers 200", async () => {
    await withApi(200, async (url) => {
      process.env.SIGNET_API_URL = url;
      const response = await GET();
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      const body = (await response.json()) as { status: string; api: { status: string } };
      expect(body.status).toBe("ok");
      expect(body.api.status).toBe("ok");
    });
  });

  it("answers 503 degraded when the API answers something else", async () => {
    await withApi(500, async (url) => {
      process.env.SIGNET_API_URL = url;
      const response = await GET();
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: "degraded", api: { status: "unreachable", reason: "http_500" } });
    });
  });

  it("answers 503 degraded when nothing listens", async () => {
    const url = await withApi(200, async (u) => u); // closed again by the time we call
    process.env.SIGNET_API_URL = url;
    const response = await GET();
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "degraded", api: { status: "unreachable", reason: "connection" } });
  });
});
