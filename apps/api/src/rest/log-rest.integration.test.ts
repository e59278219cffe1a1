/**
 * The log's HTTP surfaces against bad input (SECURITY.md D and E): every client mistake is a 4xx
 * with a stable code, nothing is persisted, and the log stays consistent.
 */
import crypto from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../testing/api.ts";

const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
const pem = Buffer.from(publicKey.export({ type: "spki", format: "pem" }) as string).toString("base64");
function entry(artifact = crypto.randomBytes(32)) {
  return {
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: {
      data: { hash: { algorithm: "sha256", value: crypto.hash("sha256", artifact, "hex") } },
      signature: { content: crypto.sign("sha256", artifact, privateKey).toString("base64"), publicKey: { content: pem } },
    },
  };
}

describe("log REST against bad input", () => {
  let api: TestApi;
  const post = (path: string, body: string, type = "application/json") => fetch(`${api.base}${path}`, { method: "POST", headers: { "content-type": type }, body });
  const code = async (res: Response) => ((await res.json()) as { code: string }).code;

  beforeAll(async () => {
    api = await startTestApi({ SIGNET_MAX_ENTRY_BYTES: "65536" });
  });
  afterAll(async () => {
    await api?.stop();
  });

  it("refuses bodies over the cap before parsing, declared or chunked (D1)", async () => {
    const big = JSON.stringify({ ...entry(), pad: "x".repeat(70_000) });
    const declared = await post("/api/v1/log/entries", big);
    expect(declared.status).toBe(413);
    expect(await code(declared)).toBe("ERR_PAYLOAD_TOO_LARGE");
    const chunked = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${api.base}/api/v1/log/entries`);
      const req = http.request({ host: "127.0.0.1", port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", (e) => (String(e).includes("EPIPE") || String(e).includes("ECONNRESET") ? resolve(413) : reject(e)));
      for (let i = 0; i < 20; i++) req.write("x".repeat(8192));
      req.end();
    });
    expect(chunked).toBe(413);
    expect(api.app.log.size).toBe(0n);
  });

  it.each([
    ["malformed JSON", "{", "ERR_ENTRY_MALFORMED|ERR_JSON_MALFORMED"],
    ["an array", "[]", "ERR_ENTRY_MALFORMED"],
    ["null spec", JSON.stringify({ apiVersion: "0.0.1", kind: "hashedrekord", spec: null }), "ERR_ENTRY_MALFORMED"],
    ["an unknown kind", JSON.stringify({ apiVersion: "0.0.1", kind: "rpm", spec: {} }), "ERR_ENTRY_UNSUPPORTED_KIND"],
    ["a swapped version shape", JSON.stringify({ ...entry(), apiVersion: "0.0.2" }), "ERR_ENTRY_KIND_MISMATCH|ERR_ENTRY_UNSUPPORTED_KIND|ERR_ENTRY_MALFORMED"],
    ["a DSSE-shaped hashedrekord", JSON.stringify({ apiVersion: "0.0.1", kind: "hashedrekord", spec: { proposedContent: { envelope: "{}", verifiers: [] } } }), "ERR_ENTRY_KIND_MISMATCH|ERR_ENTRY_MALFORMED"],
    ["duplicate keys", `{"apiVersion":"0.0.1","kind":"hashedrekord","kind":"dsse","spec":{}}`, "ERR_ENTRY_MALFORMED"],
    ["deep nesting", "[".repeat(10_000) + "]".repeat(10_000), "ERR_ENTRY_MALFORMED|ERR_JSON_MALFORMED"],
  ])("rejects %s with 400 and a stable code (D3, D5)", async (_name, body, codes) => {
    const before = api.app.log.size;
    const res = await post("/api/v1/log/entries", body);
    expect(res.status).toBe(400);
    expect(await code(res)).toMatch(new RegExp(`^(${codes})$`));
    expect(api.app.log.size).toBe(before);
  });

  it("rejects a signature made by another key (C3) and a wrong content type (G1)", async () => {
    const e = entry();
    const other = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    e.spec.signature.content = crypto.sign("sha256", Buffer.from("something else"), other.privateKey).toString("base64");
    const res = await post("/api/v1/log/entries", JSON.stringify(e));
    expect(res.status).toBe(400);
    expect(await code(res)).toBe("ERR_ENTRY_SIGNATURE_INVALID");
    const form = await post("/api/v1/log/entries", JSON.stringify(entry()), "text/plain");
    expect(form.status).toBe(415);
  });

  it("answers a canonically identical resubmission with 409 and the same entry (D4, D6)", async () => {
    const e = entry();
    const first = await post("/api/v1/log/entries", JSON.stringify(e));
    expect(first.status).toBe(201);
    const firstBody = (await first.json()) as Record<string, { logIndex: number }>;
    // Same content, different key order and whitespace.
    const reordered = `{ "spec": ${JSON.stringify(e.spec, null, 2)}, "kind": "hashedrekord", "apiVersion": "0.0.1" }`;
    const again = await post("/api/v1/log/entries", reordered);
    expect(again.status).toBe(409);
    expect(again.headers.get("location")).toBe(`/api/v1/log/entries/${Object.keys(firstBody)[0]}`);
    const againBody = (await again.json()) as Record<string, { logIndex: number }>;
    expect(Object.values(againBody)[0]!.logIndex).toBe(Object.values(firstBody)[0]!.logIndex);
  });

  it("answers a well-formed index beyond the log with 404, not a rounding (D7)", async () => {
    const res = await fetch(`${api.base}/api/v1/log/entries?logIndex=9007199254740993`);
    expect(res.status).toBe(404);
    expect(await code(res)).toBe("ERR_LOG_ENTRY_NOT_FOUND");
  });

  it.each(["9223372036854775808", "-1", "1e3", "0x10", "007", " 5", "", "1.0"])("rejects logIndex=%j with 400 (D7)", async (v) => {
    const res = await fetch(`${api.base}/api/v1/log/entries?logIndex=${encodeURIComponent(v)}`);
    expect(res.status).toBe(400);
    expect(await code(res)).toBe("ERR_BAD_NUMBER");
  });

  it("answers proof requests outside the tree with 400 and no proof (E8)", async () => {
    const size = api.app.log.size;
    for (const [first, last] of [["0", "0"], ["1", String(size + 1n)], [String(size + 5n), String(size + 5n)], ["2", "1"]]) {
      const res = await fetch(`${api.base}/api/v1/log/proof?firstSize=${first}&lastSize=${last}`);
      expect(res.status, `${first}..${last}`).toBe(400);
    }
    expect((await fetch(`${api.base}/api/v1/log/proof?firstSize=-1&lastSize=0`)).status).toBe(400);
    const missing = await fetch(`${api.base}/api/v1/log/entries?logIndex=${size}`);
    expect(missing.status).toBe(404);
    const input = encodeURIComponent(JSON.stringify({ index: String(size), size: String(size) }));
    const trpc = await fetch(`${api.base}/trpc/log.inclusionProof?input=${input}`);
    expect(trpc.status).toBe(400);
  });

  it("searches with AND meaning every criterion (D9)", async () => {
    const a = crypto.randomBytes(32);
    const res = await post("/api/v1/log/entries", JSON.stringify(entry(a)));
    expect(res.status).toBe(201);
    const hash = `sha256:${crypto.hash("sha256", a, "hex")}`;
    const other = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }) as string;
    const mine = Buffer.from(pem, "base64").toString();
    const search = async (q: unknown) => (await (await post("/api/v1/index/retrieve", JSON.stringify(q))).json()) as string[];
    expect(await search({ hash })).toHaveLength(1);
    expect(await search({ hash, publicKey: { format: "x509", content: mine }, operator: "and" })).toHaveLength(1);
    expect(await search({ hash, publicKey: { format: "x509", content: other }, operator: "and" })).toHaveLength(0);
    expect((await search({ hash, publicKey: { format: "x509", content: other }, operator: "or" })).length).toBeGreaterThanOrEqual(1);
    const bad = await post("/api/v1/index/retrieve", JSON.stringify({ publicKey: { format: "x509", url: "http://169.254.169.254/" } }));
    expect(bad.status).toBe(400);
  });

  it("bounds unknown paths and methods (D10)", async () => {
    expect((await fetch(`${api.base}/api/x/${"a".repeat(64)}`)).status).toBe(404);
    expect((await fetch(`${api.base}/api/v1/log`, { method: "DELETE" })).status).toBe(405);
    expect((await fetch(`${api.base}/api/v2/tile/0/x001/zzz`)).status).toBe(404);
  });
});
