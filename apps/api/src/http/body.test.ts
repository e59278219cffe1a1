import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBody } from "./body.ts";

/** A server that reads each body with a 1,000-byte cap and reports what readBody did. */
let server: http.Server;
let port: number;
const outcomes: Promise<{ ok: true; bytes: Buffer } | { ok: false; code: string }>[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const outcome = readBody(req, 1000).then(
      (bytes) => ({ ok: true as const, bytes }),
      (e: { code?: string; message: string }) => ({ ok: false as const, code: e.code ?? e.message }),
    );
    outcomes.push(outcome);
    void outcome.then((o) => {
      if (!res.destroyed) res.end(o.ok ? `ok ${o.bytes.length}` : o.code);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Send raw request bytes; resolve with the outcome of the server's readBody for it. */
async function raw(text: string, { endAfter = 0 } = {}) {
  const before = outcomes.length;
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => undefined);
  socket.write(text);
  for (let i = 0; i < 200 && outcomes.length === before; i++) await new Promise((r) => setTimeout(r, 5));
  if (endAfter) setTimeout(() => socket.destroy(), endAfter);
  const outcome = await outcomes[before]!;
  socket.destroy();
  return outcome;
}

describe("readBody", () => {
  it("returns a chunked body byte for byte", async () => {
    const o = await raw("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
    expect(o).toEqual({ ok: true, bytes: Buffer.from("abcdefg") });
  });

  it("returns an empty body", async () => {
    const o = await raw("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    expect(o).toEqual({ ok: true, bytes: Buffer.alloc(0) });
  });

  it("refuses a declared length over the cap before reading", async () => {
    expect(await raw("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n")).toEqual({ ok: false, code: "ERR_PAYLOAD_TOO_LARGE" });
  });

  it("cuts a chunked body off at the cap", async () => {
    const chunk = "x".repeat(600);
    const o = await raw(`POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`);
    expect(o).toEqual({ ok: false, code: "ERR_PAYLOAD_TOO_LARGE" });
  });

  it("fails, rather than waiting for ever, when the client goes away mid-body", async () => {
    const o = await raw("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\nonly part of it", { endAfter: 20 });
    expect(o.ok).toBe(false);
  });
});
