import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromBase64, toBase64 } from "../encoding/base64.ts";
import { utf8 } from "../encoding/bytes.ts";
import { sha256 } from "../digest.ts";
import { preAuthEncoding } from "../dsse/pae.ts";
import { parseLogEntryBody, verifyLogEntryBinding, type EntryExpectation } from "./entry-body.ts";

/** Fixture JSON is untyped: tests reach into it freely. */
type Json = ReturnType<typeof JSON.parse>;

// Fixtures: log entries of sigstore-conformance happy paths.
const vectors = new URL("../../../../../shared/vectors/sigstore-conformance/bundle-verify/", import.meta.url);
const load = (name: string) => JSON.parse(readFileSync(new URL(`${name}/bundle.sigstore.json`, vectors), "utf8"));
const entryOf = (b: Json) => b.verificationMaterial.tlogEntries[0];
const bodyOf = (b: Json) => JSON.parse(Buffer.from(entryOf(b).canonicalizedBody, "base64").toString("utf8"));
const encode = (v: unknown) => utf8(JSON.stringify(v));
const mismatch = expect.objectContaining({ code: "ERR_TLOG_BODY_MISMATCH" });

function messageExpectation(b: Json): EntryExpectation {
  return {
    signedDigest: { algorithm: "SHA-256", value: fromBase64(b.messageSignature.messageDigest.digest) },
    dsse: undefined,
    signature: fromBase64(b.messageSignature.signature),
    verifier: { kind: "certificate", der: fromBase64(b.verificationMaterial.certificate.rawBytes) },
  };
}

function dsseExpectation(b: Json): EntryExpectation {
  const payload = fromBase64(b.dsseEnvelope.payload);
  return {
    signedDigest: { algorithm: "SHA-256", value: sha256(preAuthEncoding(b.dsseEnvelope.payloadType, payload)) },
    dsse: { payloadDigest: { algorithm: "SHA-256", value: sha256(payload) }, payload, payloadType: b.dsseEnvelope.payloadType },
    signature: fromBase64(b.dsseEnvelope.signatures[0].sig),
    verifier: { kind: "certificate", der: fromBase64(b.verificationMaterial.certificate.rawBytes) },
  };
}

describe("log entry bodies", () => {
  it("binds hashedrekord 0.0.1 and 0.0.2, and dsse 0.0.1, to their bundles", () => {
    for (const name of ["happy-path-v0.3", "rekor2-happy-path"]) {
      const b = load(name);
      verifyLogEntryBinding(parseLogEntryBody(fromBase64(entryOf(b).canonicalizedBody), entryOf(b).kindVersion), messageExpectation(b));
    }
    for (const name of ["happy-path-intoto-in-dsse-v3", "rekor2-dsse-happy-path"]) {
      const b = load(name);
      verifyLogEntryBinding(parseLogEntryBody(fromBase64(entryOf(b).canonicalizedBody), entryOf(b).kindVersion), dsseExpectation(b));
    }
  });

  it("requires digest, signature and signer each to match (SECURITY.md F4)", async () => {
    const b = load("happy-path-v0.3");
    const body = parseLogEntryBody(fromBase64(entryOf(b).canonicalizedBody), entryOf(b).kindVersion);
    const e = messageExpectation(b);
    const other = new Uint8Array(32).fill(7);
    expect(() => verifyLogEntryBinding(body, { ...e, signedDigest: { algorithm: "SHA-256", value: other } })).toThrow(mismatch);
    expect(() => verifyLogEntryBinding(body, { ...e, signedDigest: { ...e.signedDigest, algorithm: "SHA-384" } })).toThrow(mismatch);
    expect(() => verifyLogEntryBinding(body, { ...e, signature: other })).toThrow(mismatch);
    expect(() => verifyLogEntryBinding(body, { ...e, verifier: { kind: "certificate", der: other } })).toThrow(mismatch);
    expect(() => verifyLogEntryBinding(body, { ...e, verifier: { kind: "publicKey", spki: other } })).toThrow(mismatch);
  });

  it("refuses a DSSE entry for a message signature and the reverse", () => {
    const d = load("happy-path-intoto-in-dsse-v3");
    const dsseBody = parseLogEntryBody(fromBase64(entryOf(d).canonicalizedBody), entryOf(d).kindVersion);
    expect(() => verifyLogEntryBinding(dsseBody, { ...dsseExpectation(d), dsse: undefined })).toThrow(mismatch);
  });

  it("dispatches on the body's own kind and apiVersion (SECURITY.md D5)", () => {
    const b = load("happy-path-v0.3");
    const raw = fromBase64(entryOf(b).canonicalizedBody);
    expect(() => parseLogEntryBody(raw, { kind: "hashedrekord", version: "0.0.2" })).toThrow(expect.objectContaining({ code: "ERR_TLOG_KIND_MISMATCH" }));
    expect(() => parseLogEntryBody(raw, { kind: "dsse", version: "0.0.1" })).toThrow(expect.objectContaining({ code: "ERR_TLOG_KIND_MISMATCH" }));
    const swapped = { ...bodyOf(b), apiVersion: "0.0.2" };
    expect(() => parseLogEntryBody(encode(swapped), { kind: "hashedrekord", version: "0.0.2" })).toThrow(expect.objectContaining({ code: "ERR_TLOG_BODY_MALFORMED" }));
    const unknown = { ...bodyOf(b), kind: "rekord" };
    expect(() => parseLogEntryBody(encode(unknown), { kind: "rekord", version: "0.0.1" })).toThrow(expect.objectContaining({ code: "ERR_TLOG_KIND_UNSUPPORTED" }));
  });

  it.each([
    ["not JSON", (raw: string) => raw.slice(0, 20)],
    ["an array", () => "[]"],
    ["null spec", (raw: string) => JSON.stringify({ ...JSON.parse(raw), spec: null })],
    ["wrong type for hash", (raw: string) => { const v = JSON.parse(raw); v.spec.data.hash = "abc"; return JSON.stringify(v); }],
    ["upper-case hex digest", (raw: string) => { const v = JSON.parse(raw); v.spec.data.hash.value = v.spec.data.hash.value.toUpperCase(); return JSON.stringify(v); }],
    ["bad base64 signature", (raw: string) => { const v = JSON.parse(raw); v.spec.signature.content = "**"; return JSON.stringify(v); }],
    ["public key that is not PEM", (raw: string) => { const v = JSON.parse(raw); v.spec.signature.publicKey.content = toBase64(utf8("hello")); return JSON.stringify(v); }],
    ["extra field", (raw: string) => { const v = JSON.parse(raw); v.spec.extra = 1; return JSON.stringify(v); }],
  ])("rejects a malformed hashedrekord body: %s", (_n, f) => {
    const b = load("happy-path-v0.3");
    const raw = Buffer.from(entryOf(b).canonicalizedBody, "base64").toString("utf8");
    expect(() => parseLogEntryBody(utf8(f(raw)), entryOf(b).kindVersion)).toThrow(expect.objectContaining({ code: "ERR_TLOG_BODY_MALFORMED" }));
  });
});
