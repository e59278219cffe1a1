// The parsers and request builders of the service clients, on malformed input: the identity token
// (read unverified), Fulcio's chain, Rekor's LogEntry, the RFC 3161 request, the HTTP caps.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OID, derContent, parseDer, sha256, toBase64, toHex, toPem, utf8 } from "@signet/crypto";
import { readOid } from "@signet/crypto/asn1/der";
import { createTestPki } from "@signet/crypto/testing/pki";
import { readUnverifiedClaims } from "./identity-token.ts";
import { parseSigningCertificateResponse } from "./fulcio-client.ts";
import { createHashedRekordEntry, parseLogEntryResponse } from "./rekor-client.ts";
import { createNonce, createTimestampRequest } from "./tsa-client.ts";
import { sendJson, sendRequest, type Fetch } from "./http.ts";
import { fakeToken } from "./testing/memory-instance.ts";

const code = (c: string) => expect.objectContaining({ code: c });

describe("readUnverifiedClaims", () => {
  it("reads iss, sub and email; the challenge is email when present, else sub", () => {
    expect(readUnverifiedClaims(fakeToken({ iss: "http://i", sub: "s", email: "a@b.test" }))).toEqual({ iss: "http://i", sub: "s", email: "a@b.test", challenge: "a@b.test" });
    expect(readUnverifiedClaims(fakeToken({ iss: "http://i", sub: "repo:o/r:ref:x" })).challenge).toBe("repo:o/r:ref:x");
  });
  it.each([
    ["two segments", "a.b"],
    ["empty signature", `${fakeToken({ iss: "i", sub: "s" }).split(".").slice(0, 2).join(".")}.`],
    ["bad base64url", "a.b*c.d"],
    ["payload not JSON", `e30.${Buffer.from("nope").toString("base64url")}.c2ln`],
    ["payload an array", `e30.${Buffer.from("[]").toString("base64url")}.c2ln`],
    ["no iss", fakeToken({ sub: "s" })],
    ["no sub", fakeToken({ iss: "i" })],
    ["non-UTF-8 payload", `e30.${Buffer.from([0xff, 0xfe]).toString("base64url")}.c2ln`],
    ["too long", `e30.${"A".repeat(17_000)}.c2ln`],
  ])("refuses %s", (_, token) => {
    expect(() => readUnverifiedClaims(token)).toThrow(code("ERR_SIGN_TOKEN_MALFORMED"));
  });
});

describe("parseSigningCertificateResponse", () => {
  it("returns the chain, leaf first", async () => {
    const pki = await createTestPki(Date.now());
    const pems = [await pki.leaf(), pki.intermediate.der, pki.root.der].map((d) => toPem(d, "CERTIFICATE"));
    const chain = parseSigningCertificateResponse({ signedCertificateEmbeddedSct: { chain: { certificates: pems } } });
    expect(chain.map((c) => c.subjectName)).toEqual(["", "O=signet.test, CN=test-intermediate", "O=signet.test, CN=test-root"]);
  });
  it.each([
    ["not an object", "x"],
    ["no chain", { signedCertificateEmbeddedSct: {} }],
    ["a leaf alone", { signedCertificateEmbeddedSct: { chain: { certificates: ["-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"] } } }],
    ["eleven certificates", { signedCertificateEmbeddedSct: { chain: { certificates: Array(11).fill("x") } } }],
    ["a number instead of PEM", { signedCertificateEmbeddedSct: { chain: { certificates: [1, 2] } } }],
    ["garbage PEM", { signedCertificateEmbeddedSct: { chain: { certificates: ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "x"] } } }],
    ["a detached SCT", { signedCertificateDetachedSct: { chain: { certificates: [] } } }],
  ])("refuses %s", (_, json) => {
    expect(() => parseSigningCertificateResponse(json)).toThrow(code("ERR_SIGN_RESPONSE_MALFORMED"));
  });
});

describe("Rekor v1", () => {
  it("proposes a hashedrekord 0.0.1 with the hex digest, base64 signature and base64 PEM certificate", async () => {
    const pki = await createTestPki(Date.now());
    const leaf = await pki.leaf();
    const digest = sha256(utf8("a"));
    const e = createHashedRekordEntry({ digest, signature: Uint8Array.of(1, 2, 3), certificateDer: leaf });
    expect(e).toEqual({
      apiVersion: "0.0.1",
      kind: "hashedrekord",
      spec: {
        data: { hash: { algorithm: "sha256", value: toHex(digest) } },
        signature: { content: "AQID", publicKey: { content: toBase64(utf8(toPem(leaf, "CERTIFICATE"))) } },
      },
    });
  });

  const body = toBase64(utf8('{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}'));
  const good = () => ({
    ["00000000000000ff" + "a".repeat(64)]: {
      body,
      integratedTime: 1767225600,
      logID: "b".repeat(64),
      logIndex: 7,
      verification: {
        inclusionProof: { checkpoint: "x\n", hashes: ["c".repeat(64)], logIndex: 7, rootHash: "d".repeat(64), treeSize: 8 },
        signedEntryTimestamp: "AQID",
      },
    },
  });
  it("parses a LogEntry into a bundle tlog entry", () => {
    const { entry, entryId } = parseLogEntryResponse(good());
    expect(entryId).toBe("00000000000000ff" + "a".repeat(64));
    expect(entry).toMatchObject({ logIndex: 7n, integratedTime: 1767225600n, kindVersion: { kind: "hashedrekord", version: "0.0.1" } });
    expect(entry.inclusionProof).toMatchObject({ logIndex: 7n, treeSize: 8n, checkpoint: "x\n" });
  });
  /** good() with the field at `path` (under the one entry) set to `value`, or deleted when `value` is undefined. */
  const mutate = (path: string[], value: unknown) => {
    const g = good();
    let o = Object.values(g)[0] as Record<string, unknown>;
    for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
    if (value === undefined) delete o[path.at(-1)!];
    else o[path.at(-1)!] = value;
    return g;
  };
  const proof = (k: string) => ["verification", "inclusionProof", k];
  it.each([
    ["two entries", { ...good(), ["b".repeat(64)]: {} }],
    ["no entries", {}],
    ["a bad entry ID", { xyz: Object.values(good())[0] }],
    ["logIndex above 2^53", mutate(["logIndex"], 2 ** 53 + 2)],
    ["a negative logIndex", mutate(["logIndex"], -1)],
    ["a string logIndex", mutate(["logIndex"], "7")],
    ["a fractional integratedTime", mutate(["integratedTime"], 1.5)],
    ["upper-case hex logID", mutate(["logID"], "B".repeat(64))],
    ["a short rootHash", mutate(proof("rootHash"), "d".repeat(62))],
    ["65 proof hashes", mutate(proof("hashes"), Array(65).fill("c".repeat(64)))],
    ["base64url SET", mutate(["verification", "signedEntryTimestamp"], "AQ-_")],
    ["no checkpoint", mutate(proof("checkpoint"), undefined)],
    ["a body without kind", mutate(["body"], toBase64(utf8("{}")))],
    ["a body that is not JSON", mutate(["body"], toBase64(utf8("{")))],
  ])("refuses %s", (_, json) => {
    expect(() => parseLogEntryResponse(json)).toThrow(code("ERR_SIGN_RESPONSE_MALFORMED"));
  });
});

describe("RFC 3161 request", () => {
  it("is a DER TimeStampReq: v1, SHA-256 imprint of the data, the nonce, certReq", () => {
    const nonce = createNonce();
    const req = createTimestampRequest(utf8("signature bytes"), nonce);
    const [version, imprint, n, certReq] = parseDer(req).children;
    expect(Array.from(derContent(version!))).toEqual([1]);
    expect(readOid(imprint!.children[0]!.children[0])).toBe(OID.sha256);
    expect(Array.from(derContent(imprint!.children[1]!))).toEqual(Array.from(sha256(utf8("signature bytes"))));
    expect(BigInt(`0x${toHex(derContent(n!))}`)).toBe(BigInt(`0x${toHex(nonce)}`));
    expect(Array.from(derContent(certReq!))).toEqual([0xff]);
  });

  it("nonces are positive, non-zero and differ", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const n = createNonce();
      expect(n[0]! & 0x80).toBe(0);
      expect(n[0]).not.toBe(0);
      seen.add(toHex(n));
    }
    expect(seen.size).toBe(100);
  });

  it("is what openssl ts reads as a request", () => {
    const dir = mkdtempSync(join(tmpdir(), "signet-tsq-"));
    try {
      const file = join(dir, "req.tsq");
      writeFileSync(file, createTimestampRequest(utf8("abc"), Uint8Array.of(1, 2, 3)));
      const text = execFileSync("openssl", ["ts", "-query", "-in", file, "-text"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
      expect(text).toMatch(/Hash Algorithm: sha256/);
      expect(text).toMatch(/Nonce: 0x010203/);
      expect(text).toMatch(/Certificate required: yes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("sendRequest", () => {
  const respond = (body: BodyInit | null, init: ResponseInit): Fetch => async () => new Response(body, init);
  it("refuses redirects instead of following them", async () => {
    await expect(sendRequest(respond(null, { status: 302, headers: { location: "http://elsewhere" } }), { url: "http://x", method: "GET", what: "t", maxBytes: 10 })).rejects.toThrow(code("ERR_SIGN_HTTP_FAILED"));
  });
  it("caps the body, declared or streamed", async () => {
    await expect(sendRequest(respond("x".repeat(11), { status: 200, headers: { "content-length": "11" } }), { url: "http://x", method: "GET", what: "t", maxBytes: 10 })).rejects.toThrow(code("ERR_SIGN_RESPONSE_TOO_LARGE"));
    const stream = new ReadableStream({ start(c) { c.enqueue(new Uint8Array(6)); c.enqueue(new Uint8Array(6)); c.close(); } });
    await expect(sendRequest(respond(stream, { status: 200 }), { url: "http://x", method: "GET", what: "t", maxBytes: 10 })).rejects.toThrow(code("ERR_SIGN_RESPONSE_TOO_LARGE"));
  });
  it("keeps the service's error code and status", async () => {
    const err = await sendRequest(respond(JSON.stringify({ code: "ERR_OIDC_TOKEN_EXPIRED", message: "expired" }), { status: 401 }), { url: "http://x", method: "GET", what: "CA", maxBytes: 1000 }).catch((e) => e);
    expect(err).toMatchObject({ code: "ERR_SIGN_SERVICE_REFUSED", status: 401, serviceCode: "ERR_OIDC_TOKEN_EXPIRED" });
    expect(err.message).toMatch(/ERR_OIDC_TOKEN_EXPIRED: expired/);
  });
  it("turns network failures and non-JSON answers into coded errors", async () => {
    await expect(sendRequest(async () => Promise.reject(new TypeError("fetch failed")), { url: "http://x", method: "GET", what: "t", maxBytes: 10 })).rejects.toThrow(code("ERR_SIGN_HTTP_FAILED"));
    await expect(sendJson(respond("<html>", { status: 200 }), { url: "http://x", method: "GET", what: "t", maxBytes: 100 })).rejects.toThrow(code("ERR_SIGN_RESPONSE_MALFORMED"));
  });
});
