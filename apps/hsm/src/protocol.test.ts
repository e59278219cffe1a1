import { describe, expect, it } from "vitest";
import { HsmError } from "./errors.ts";
import {
  MAX_BATCH_DIGESTS,
  MAX_REQUEST_LINE_BYTES,
  createLineReader,
  createSecretChecker,
  decodeBase64Strict,
  handleRequest,
  parseRequestLine,
} from "./protocol.ts";
import type { HsmBackend, ParsedLine } from "./protocol.ts";

const SECRET = "s".repeat(64);
const check = createSecretChecker(SECRET);
const enc = new TextEncoder();
const parse = (v: unknown): ParsedLine => parseRequestLine(enc.encode(typeof v === "string" ? v : JSON.stringify(v)), check);
const req = (fields: Record<string, unknown>) => ({ id: 7, secret: SECRET, ...fields });
const digest32 = Buffer.alloc(32, 1).toString("base64");
/** `count` digests of `size` bytes, concatenated and base64-encoded, as signBatch carries them. */
const batch = (count: number, size: number) => Buffer.alloc(count * size, 5).toString("base64");

function failure(p: ParsedLine): { id: unknown; code: string } {
  if (p.ok) throw new Error(`expected a failure, got ${JSON.stringify(p.request)}`);
  return { id: p.id, code: p.code };
}

describe("parseRequestLine: malformed lines", () => {
  it.each([
    ["empty object", "{}"],
    ["not JSON", "sign please"],
    ["truncated JSON", '{"id":1,"secret":"'],
    ["trailing garbage", '{"id":1}x'],
    ["array", "[1,2]"],
    ["null", "null"],
    ["number", "42"],
    ["string", '"hello"'],
  ])("%s → ERR_HSM_BAD_REQUEST with id null", (_name, line) => {
    expect(failure(parse(line))).toEqual({ id: null, code: "ERR_HSM_BAD_REQUEST" });
  });

  it("rejects bytes that are not UTF-8", () => {
    const bytes = Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    expect(failure(parseRequestLine(bytes, check)).code).toBe("ERR_HSM_BAD_REQUEST");
  });

  it.each([
    ["missing", undefined],
    ["negative", -1],
    ["fractional", 1.5],
    ["unsafe", 2 ** 53],
    ["object", { a: 1 }],
    ["empty string", ""],
    ["long string", "x".repeat(65)],
    ["control characters", "a\nb"],
  ])("rejects an id that is %s", (_name, id) => {
    expect(failure(parse({ id, secret: SECRET, op: "health" }))).toEqual({ id: null, code: "ERR_HSM_BAD_REQUEST" });
  });

  it("survives deep nesting within the size cap", () => {
    const deep = "[".repeat(30_000) + "]".repeat(30_000);
    expect(failure(parse(deep)).code).toBe("ERR_HSM_BAD_REQUEST");
  });

  it("refuses a line over the cap without parsing it", () => {
    const line = new Uint8Array(MAX_REQUEST_LINE_BYTES + 1).fill(0x20);
    expect(failure(parseRequestLine(line, check)).code).toBe("ERR_HSM_BAD_REQUEST");
  });
});

describe("parseRequestLine: authentication", () => {
  it.each([
    ["wrong", "t".repeat(64)],
    ["a prefix", SECRET.slice(0, 32)],
    ["longer", `${SECRET}x`],
    ["missing", undefined],
    ["a number", 5],
    ["an array", [SECRET]],
  ])("answers ERR_HSM_UNAUTHORIZED, echoing the id, for a secret that is %s", (_name, secret) => {
    expect(failure(parse({ id: 9, secret, op: "health" }))).toEqual({ id: 9, code: "ERR_HSM_UNAUTHORIZED" });
  });

  it("checks the secret before the op, so unknown ops do not reveal anything", () => {
    expect(failure(parse({ id: 1, secret: "nope", op: "format-token" })).code).toBe("ERR_HSM_UNAUTHORIZED");
  });

  it("refuses a short configured secret", () => {
    expect(() => createSecretChecker("short")).toThrow(HsmError);
  });
});

describe("parseRequestLine: ops", () => {
  it("accepts each op", () => {
    expect(parse(req({ op: "health" }))).toEqual({ ok: true, request: { id: 7, op: "health" } });
    expect(parse(req({ op: "listKeys" }))).toEqual({ ok: true, request: { id: 7, op: "listKeys" } });
    expect(parse(req({ op: "publicKey", label: "ca" }))).toEqual({ ok: true, request: { id: 7, op: "publicKey", label: "ca" } });
    expect(parse(req({ op: "ensureKey", label: "log-2025", algorithm: "P-384" }))).toEqual({
      ok: true,
      request: { id: 7, op: "ensureKey", label: "log-2025", algorithm: "P-384" },
    });
    const s = parse({ id: "req-1", secret: SECRET, op: "sign", label: "ca", digest: digest32 });
    expect(s.ok && s.request.op === "sign" && Buffer.from(s.request.digest).equals(Buffer.alloc(32, 1))).toBe(true);
    const s48 = parse(req({ op: "sign", label: "ca", digest: Buffer.alloc(48, 2).toString("base64") }));
    expect(s48.ok).toBe(true);
    // signBatch: the digests concatenated, split again by digestLength, in order.
    const three = Buffer.concat([Buffer.alloc(32, 1), Buffer.alloc(32, 2), Buffer.alloc(32, 3)]);
    const b = parse(req({ op: "signBatch", label: "log", digestLength: 32, digests: three.toString("base64") }));
    expect(b.ok && b.request.op === "signBatch" && b.request.digests.map((d) => Buffer.from(d).toString("hex"))).toEqual(
      [1, 2, 3].map((v) => Buffer.alloc(32, v).toString("hex")),
    );
    // 96 bytes are three P-256 digests or two P-384 ones: digestLength decides.
    const b48 = parse(req({ op: "signBatch", label: "log", digestLength: 48, digests: three.toString("base64") }));
    expect(b48.ok && b48.request.op === "signBatch" && b48.request.digests.map((d) => d.length)).toEqual([48, 48]);
    for (const size of [32, 48]) {
      const most = batch(MAX_BATCH_DIGESTS, size);
      expect(parse(req({ op: "signBatch", label: "log", digestLength: size, digests: most })).ok).toBe(true);
    }
  });

  it.each([
    ["unknown op", { op: "deleteKey", label: "ca" }],
    ["op of the wrong type", { op: 1 }],
    ["inherited name as op", { op: "toString" }],
    ["extra field", { op: "health", label: "ca" }],
    ["missing label", { op: "publicKey" }],
    ["label with a slash", { op: "publicKey", label: "../ca" }],
    ["label with a space", { op: "publicKey", label: "c a" }],
    ["empty label", { op: "publicKey", label: "" }],
    ["label too long", { op: "publicKey", label: "a".repeat(65) }],
    ["label not a string", { op: "publicKey", label: ["ca"] }],
    ["unknown algorithm", { op: "ensureKey", label: "ca", algorithm: "P-521" }],
    ["Ed25519 over the wire", { op: "ensureKey", label: "ca", algorithm: "Ed25519" }],
    ["missing algorithm", { op: "ensureKey", label: "ca" }],
    ["digest not base64", { op: "sign", label: "ca", digest: "!!!!" }],
    ["digest base64url", { op: "sign", label: "ca", digest: Buffer.alloc(32, 0xfb).toString("base64url") }],
    ["digest unpadded", { op: "sign", label: "ca", digest: digest32.replace(/=+$/, "") }],
    ["digest with whitespace", { op: "sign", label: "ca", digest: ` ${digest32}` }],
    ["digest of 31 bytes", { op: "sign", label: "ca", digest: Buffer.alloc(31).toString("base64") }],
    ["digest of 33 bytes", { op: "sign", label: "ca", digest: Buffer.alloc(33).toString("base64") }],
    ["digest of 64 bytes", { op: "sign", label: "ca", digest: Buffer.alloc(64).toString("base64") }],
    ["digest as bytes array", { op: "sign", label: "ca", digest: [1, 2, 3] }],
    ["missing digest", { op: "sign", label: "ca" }],
    ["empty batch", { op: "signBatch", label: "ca", digestLength: 32, digests: "" }],
    ["batch over the cap (32)", { op: "signBatch", label: "ca", digestLength: 32, digests: batch(MAX_BATCH_DIGESTS + 1, 32) }],
    ["batch over the cap (48)", { op: "signBatch", label: "ca", digestLength: 48, digests: batch(MAX_BATCH_DIGESTS + 1, 48) }],
    ["batch longer than the largest legal one", { op: "signBatch", label: "ca", digestLength: 32, digests: batch(2 * MAX_BATCH_DIGESTS, 32) }],
    ["batch as an array (the old form)", { op: "signBatch", label: "ca", digestLength: 32, digests: [digest32] }],
    ["batch not a whole number of digests", { op: "signBatch", label: "ca", digestLength: 32, digests: Buffer.alloc(33).toString("base64") }],
    ["batch of 48-byte digests read as 32", { op: "signBatch", label: "ca", digestLength: 32, digests: Buffer.alloc(48).toString("base64") }],
    ["batch not base64", { op: "signBatch", label: "ca", digestLength: 32, digests: "!".repeat(44) }],
    ["batch in base64url", { op: "signBatch", label: "ca", digestLength: 32, digests: Buffer.alloc(32, 0xfb).toString("base64url") }],
    ["batch unpadded", { op: "signBatch", label: "ca", digestLength: 32, digests: digest32.replace(/=+$/, "") }],
    ["batch with whitespace", { op: "signBatch", label: "ca", digestLength: 32, digests: `${digest32}\n` }],
    ["batch without digestLength", { op: "signBatch", label: "ca", digests: digest32 }],
    ["batch with digestLength 64", { op: "signBatch", label: "ca", digestLength: 64, digests: Buffer.alloc(64).toString("base64") }],
    ["batch with digestLength as a string", { op: "signBatch", label: "ca", digestLength: "32", digests: digest32 }],
    ["batch with a single digest field", { op: "signBatch", label: "ca", digestLength: 32, digest: digest32 }],
  ])("%s → ERR_HSM_BAD_REQUEST with the id", (_name, fields) => {
    expect(failure(parse(req(fields)))).toEqual({ id: 7, code: "ERR_HSM_BAD_REQUEST" });
  });
});

describe("decodeBase64Strict", () => {
  it("round-trips canonical base64 only", () => {
    expect(decodeBase64Strict("AAE=", 8)).toEqual(Uint8Array.of(0, 1));
    expect(decodeBase64Strict("AAF=", 8)).toBeUndefined(); // non-zero padding bits
    expect(decodeBase64Strict("AA==AA==", 8)).toBeUndefined();
    expect(decodeBase64Strict("AAAA", 3)).toBeUndefined();
    expect(decodeBase64Strict(null, 8)).toBeUndefined();
  });
});

describe("createLineReader", () => {
  function collect(chunks: Buffer[], max = 16) {
    const lines: string[] = [];
    let oversize = 0;
    const push = createLineReader(max, (l) => lines.push(l.toString()), () => oversize++);
    for (const c of chunks) push(c);
    return { lines, oversize };
  }

  it("reassembles lines across chunks and splits several lines in one chunk", () => {
    const r = collect([Buffer.from("ab"), Buffer.from("c\nde\r\n\nf"), Buffer.from("g\n")]);
    expect(r).toEqual({ lines: ["abc", "de", "fg"], oversize: 0 });
  });

  it("accepts a line of exactly the cap and refuses one byte more, then stops reading", () => {
    expect(collect([Buffer.from(`${"a".repeat(16)}\n`)]).lines).toEqual(["a".repeat(16)]);
    const r = collect([Buffer.from("a".repeat(10)), Buffer.from("a".repeat(7)), Buffer.from("\nok\n")]);
    expect(r).toEqual({ lines: [], oversize: 1 });
  });

  it("refuses an endless line without a newline before buffering past the cap", () => {
    const r = collect(Array.from({ length: 100 }, () => Buffer.from("x".repeat(8))));
    expect(r.oversize).toBe(1);
  });
});

describe("handleRequest", () => {
  const backend: HsmBackend = {
    ensureKey: async (label, algorithm) => ({ algorithm, spki: Uint8Array.of(1, 2, 3), created: label === "new" }),
    publicKey: async (label) => {
      if (label !== "ca") throw new HsmError("ERR_HSM_KEY_NOT_FOUND", "no such key");
      return { algorithm: "P-256", spki: Uint8Array.of(9) };
    },
    signDigest: async () => {
      throw new Error("/secret/path: segfault details");
    },
    signDigests: async (_label, digests) => digests.map((d) => Uint8Array.from(d).reverse()),
    listKeys: async () => [{ label: "ca", algorithm: "P-256" }],
    health: async () => ({ token: "signet", keys: ["ca"] }),
  };

  it("answers each op with the request id", async () => {
    expect(await handleRequest({ id: 1, op: "ensureKey", label: "new", algorithm: "P-256" }, backend)).toEqual({
      id: 1,
      ok: true,
      label: "new",
      algorithm: "P-256",
      publicKey: "AQID",
      created: true,
    });
    // The signatures concatenated in request order: 02 01 ‖ 04 03.
    expect(await handleRequest({ id: 4, op: "signBatch", label: "ca", digests: [Uint8Array.of(1, 2), Uint8Array.of(3, 4)] }, backend)).toEqual({
      id: 4,
      ok: true,
      signatures: "AgEEAw==",
    });
    expect(await handleRequest({ id: 2, op: "health" }, backend)).toEqual({ id: 2, ok: true, status: "ok", token: "signet", keys: ["ca"] });
    expect(await handleRequest({ id: 3, op: "publicKey", label: "x" }, backend)).toMatchObject({
      id: 3,
      ok: false,
      code: "ERR_HSM_KEY_NOT_FOUND",
    });
  });

  it("maps unexpected errors to ERR_HSM_UNAVAILABLE without leaking their text", async () => {
    const r = await handleRequest({ id: 4, op: "sign", label: "ca", digest: new Uint8Array(32) }, backend);
    expect(r).toEqual({ id: 4, ok: false, code: "ERR_HSM_UNAVAILABLE", message: "internal error" });
  });
});
