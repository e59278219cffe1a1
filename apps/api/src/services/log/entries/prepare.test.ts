import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalize } from "@signet/crypto/json/canonical";
import { parseStoredBody, prepareRekorV1Entry, prepareRekorV2Entry } from "./prepare.ts";
import { dsseEntry, codeOf, key, v1Entry, v2Request } from "./test-support.ts";

describe("parseStoredBody", () => {
  it("decodes a hashedrekord 0.0.1 body back to the submitted digest, signature and certificate", () => {
    const { entry, digest, signature, cert } = v1Entry();
    const body = parseStoredBody(prepareRekorV1Entry(entry).body);
    expect(body.kind).toBe("hashedrekord");
    if (body.kind !== "hashedrekord" || body.apiVersion !== "0.0.1") throw new Error("wrong kind");
    expect(body.digest.algorithm).toBe("sha256");
    expect(body.digest.value.equals(digest)).toBe(true);
    expect(body.signature.equals(signature)).toBe(true);
    expect(body.verifier.kind === "certificate" && body.verifier.der.equals(cert!)).toBe(true);
  });

  it("decodes a bare-key hashedrekord 0.0.1 body to the SPKI", () => {
    const { entry, key: k } = v1Entry({ cert: null });
    const body = parseStoredBody(prepareRekorV1Entry(entry).body);
    expect(body.kind === "hashedrekord" && body.verifier.kind === "publicKey" && body.verifier.spki.equals(k.spki)).toBe(true);
  });

  it("decodes a hashedrekord 0.0.2 body, keyDetails included", () => {
    const { request, digest, signature, cert } = v2Request({ key: key("P-384") });
    const body = parseStoredBody(prepareRekorV2Entry(request).body);
    if (body.kind !== "hashedrekord" || body.apiVersion !== "0.0.2") throw new Error("wrong kind");
    expect(body.keyDetails).toBe("PKIX_ECDSA_P384_SHA_384");
    expect(body.digest).toEqual({ algorithm: "SHA2_384", value: digest });
    expect(body.signature.equals(signature)).toBe(true);
    expect(body.verifier.kind === "certificate" && body.verifier.der.equals(cert!)).toBe(true);
  });

  it("decodes a dsse 0.0.1 body with its hashes and sorted signatures", () => {
    const keys = [key("P-256"), key("Ed25519")];
    const { entry, envelope, payload, sigs } = dsseEntry({ keys, bare: true });
    const body = parseStoredBody(prepareRekorV1Entry(entry).body);
    if (body.kind !== "dsse") throw new Error("wrong kind");
    expect(body.envelopeHash.value.equals(crypto.hash("sha256", envelope, "buffer"))).toBe(true);
    expect(body.payloadHash.value.equals(crypto.hash("sha256", payload, "buffer"))).toBe(true);
    expect(body.signatures.map((s) => s.signature.toString("base64"))).toEqual([...sigs].sort());
    // The same body with its signatures out of canonical order is refused.
    const swapped = JSON.parse(prepareRekorV1Entry(entry).body.toString());
    swapped.spec.signatures.reverse();
    expect(codeOf(() => parseStoredBody(Buffer.from(canonicalize(swapped))))).toBe("ERR_ENTRY_MALFORMED");
    const spkis = body.signatures.map((s) => (s.verifier.kind === "publicKey" ? s.verifier.spki.toString("hex") : ""));
    expect(spkis.sort()).toEqual(keys.map((k) => k.spki.toString("hex")).sort());
  });

  it("refuses a body that is not exactly canonical (whitespace, key order, escapes)", () => {
    const body = prepareRekorV1Entry(v1Entry().entry).body.toString();
    const obj = JSON.parse(body);
    for (const text of [JSON.stringify(obj, null, 1), JSON.stringify({ spec: obj.spec, kind: obj.kind, apiVersion: obj.apiVersion }), body.replace('"kind"', '"\\u006bind"'), body + "\n"]) {
      expect(codeOf(() => parseStoredBody(Buffer.from(text)))).toBe("ERR_ENTRY_MALFORMED");
    }
  });

  it("dispatches on the kind inside the body and refuses unknown ones", () => {
    expect(codeOf(() => parseStoredBody(Buffer.from('{"apiVersion":"0.0.1","kind":"rekord","spec":{}}')))).toBe("ERR_ENTRY_UNSUPPORTED_KIND");
    expect(codeOf(() => parseStoredBody(Buffer.from('{"apiVersion":"0.0.2","kind":"dsse","spec":{}}')))).toBe("ERR_ENTRY_UNSUPPORTED_KIND");
    // A hashedrekord 0.0.2 spec under apiVersion 0.0.1 is read as 0.0.1 and fails: no lenient fallback.
    const v2 = JSON.parse(prepareRekorV2Entry(v2Request().request).body.toString());
    v2.apiVersion = "0.0.1";
    expect(codeOf(() => parseStoredBody(Buffer.from(JSON.stringify(v2))))).toBe("ERR_ENTRY_MALFORMED");
    for (const bad of ["", "[]", "null", '{"kind":"hashedrekord"}', '{"apiVersion":"0.0.1","kind":"hashedrekord","spec":null}', '{"apiVersion":"0.0.1","kind":"hashedrekord","kind":"dsse","spec":{}}']) {
      expect(codeOf(() => parseStoredBody(Buffer.from(bad)))).toBe("ERR_ENTRY_MALFORMED");
    }
  });
});
