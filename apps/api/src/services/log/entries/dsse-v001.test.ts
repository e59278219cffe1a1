import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { preAuthEncoding } from "@signet/crypto/dsse/pae";
import { prepareRekorV1Entry } from "./prepare.ts";
import { b64, certFor, codeOf, dsseEntry, key, newKey, pem, signDsse, statement } from "./test-support.ts";

const sha256hex = (b: Uint8Array | string) => crypto.hash("sha256", b, "hex");

describe("dsse 0.0.1: accepted entries", () => {
  it("rebuilds Rekor's canonical body: envelope hash of the submitted text, payload hash, signatures with canonical PEM verifiers", () => {
    const artifact = Buffer.from("the artifact");
    const { entry, envelope, sigs, certs, payload } = dsseEntry({ payload: statement(artifact) });
    const e = prepareRekorV1Entry(entry);
    expect(e.kind).toBe("dsse");
    expect(e.apiVersion).toBe("0.0.1");
    expect(e.body.toString()).toBe(
      `{"apiVersion":"0.0.1","kind":"dsse","spec":{"envelopeHash":{"algorithm":"sha256","value":"${sha256hex(envelope)}"},` +
        `"payloadHash":{"algorithm":"sha256","value":"${sha256hex(payload)}"},` +
        `"signatures":[{"signature":"${sigs[0]}","verifier":"${b64(pem(certs[0]!, "CERTIFICATE"))}"}]}}`,
    );
    expect(e.search).toEqual({
      artifactDigest: `sha256:${sha256hex(artifact)}`,
      identity: "dev@example.test",
      issuer: "http://localhost:8081",
      certFingerprint: sha256hex(certs[0]!),
    });
  });

  it("indexes the payload hash when the payload is not an in-toto statement", () => {
    const payload = Buffer.from("plain payload");
    const e = prepareRekorV1Entry(dsseEntry({ payloadType: "text/plain", payload }).entry);
    expect(e.search.artifactDigest).toBe(`sha256:${sha256hex(payload)}`);
    const broken = Buffer.from('{"_type":"https://in-toto.io/Statement/v1","subject":[]}');
    const f = prepareRekorV1Entry(dsseEntry({ payload: broken }).entry);
    expect(f.search.artifactDigest).toBe(`sha256:${sha256hex(broken)}`);
  });

  it.each(["Ed25519", "P-384", "P-521", "RSA-2048"] as const)("verifies a %s signature over the PAE (bare key and certificate)", (kind) => {
    for (const bare of [true, false]) {
      const e = prepareRekorV1Entry(dsseEntry({ keys: [key(kind)], bare }).entry);
      expect(e.kind).toBe("dsse");
      expect(e.search.certFingerprint).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it("sorts multiple signatures by their base64 text, whatever the envelope order", () => {
    const keys = [key("P-256"), key("Ed25519"), key("P-384")];
    const { entry, sigs } = dsseEntry({ keys, bare: true });
    const e = prepareRekorV1Entry(entry);
    const body = JSON.parse(e.body.toString());
    expect(body.spec.signatures.map((s: { signature: string }) => s.signature)).toEqual([...sigs].sort());
    // The same envelope with verifiers listed in reverse: same signatures and verifiers in the body.
    const reversed = structuredClone(entry);
    reversed.spec.proposedContent.verifiers.reverse();
    expect(prepareRekorV1Entry(reversed).body.equals(e.body)).toBe(true);
  });

  it("hashes the envelope text as submitted (Rekor's envelopeHash): re-serialising it changes the entry", () => {
    const { entry, envelope } = dsseEntry();
    const a = prepareRekorV1Entry(entry);
    const pretty = JSON.stringify(JSON.parse(envelope), null, 2);
    const b = prepareRekorV1Entry({ ...entry, spec: { proposedContent: { ...entry.spec.proposedContent, envelope: pretty } } });
    expect(JSON.parse(b.body.toString()).spec.envelopeHash.value).toBe(sha256hex(pretty));
    expect(JSON.parse(b.body.toString()).spec.payloadHash).toEqual(JSON.parse(a.body.toString()).spec.payloadHash);
    expect(b.leafHash.equals(a.leafHash)).toBe(false);
  });

  it("builds the PAE from UTF-8 byte lengths: a non-ASCII payloadType verifies only when signed that way (SECURITY.md C5)", () => {
    const k = key("P-256");
    const payloadType = "application/vnd.\u0161ignet+json";
    const payload = Buffer.from("{}");
    const good = prepareRekorV1Entry(dsseEntry({ keys: [k], payloadType, payload, bare: true }).entry);
    expect(good.kind).toBe("dsse");
    // A PAE built with string lengths (the GHSA-jfc7 bug) differs, so a signature over it must not verify.
    const wrongPae = Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${payload.length} {}`, "utf8");
    expect(wrongPae.equals(Buffer.from(preAuthEncoding(payloadType, payload)))).toBe(false);
    const sig = b64(crypto.sign("sha256", wrongPae, k.privateKey));
    const envelope = JSON.stringify({ payload: b64(payload), payloadType, signatures: [{ sig }] });
    const entry = { kind: "dsse", apiVersion: "0.0.1", spec: { proposedContent: { envelope, verifiers: [b64(pem(k.spki, "PUBLIC KEY"))] } } };
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe("ERR_ENTRY_SIGNATURE_INVALID");
    // A look-alike payloadType (U+0161 vs "s") is a different PAE: the signature does not carry over.
    const lookalike = dsseEntry({ keys: [k], payloadType: "application/vnd.signet+json", payload, bare: true });
    const swapped = JSON.parse(lookalike.envelope);
    swapped.payloadType = payloadType;
    lookalike.entry.spec.proposedContent.envelope = JSON.stringify(swapped);
    expect(codeOf(() => prepareRekorV1Entry(lookalike.entry))).toBe("ERR_ENTRY_SIGNATURE_INVALID");
  });
});

describe("dsse 0.0.1: rejections", () => {
  it("a signature that does not verify → ERR_ENTRY_SIGNATURE_INVALID", () => {
    const { entry, envelope } = dsseEntry();
    const env = JSON.parse(envelope);
    env.payload = b64("tampered");
    entry.spec.proposedContent.envelope = JSON.stringify(env);
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe("ERR_ENTRY_SIGNATURE_INVALID");
  });

  it("signature by key A with a verifier for key B → ERR_ENTRY_SIGNATURE_INVALID", () => {
    const { entry } = dsseEntry({ keys: [key("P-256")] });
    entry.spec.proposedContent.verifiers = [b64(pem(certFor(newKey("P-256")), "CERTIFICATE"))];
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe("ERR_ENTRY_SIGNATURE_INVALID");
  });

  it("a verifier that signed nothing → ERR_ENTRY_SIGNATURE_INVALID", () => {
    const { entry } = dsseEntry({ keys: [key("P-256")], bare: true });
    entry.spec.proposedContent.verifiers.push(b64(pem(key("P-384").spki, "PUBLIC KEY")));
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe("ERR_ENTRY_SIGNATURE_INVALID");
  });

  it("raw r‖s ECDSA signatures are refused (DER only)", () => {
    const k = key("P-256");
    const payload = Buffer.from("x");
    const sig = b64(crypto.sign("sha256", preAuthEncoding("text/plain", payload), { key: k.privateKey, dsaEncoding: "ieee-p1363" }));
    const envelope = JSON.stringify({ payload: b64(payload), payloadType: "text/plain", signatures: [{ sig }] });
    const entry = { kind: "dsse", apiVersion: "0.0.1", spec: { proposedContent: { envelope, verifiers: [b64(pem(k.spki, "PUBLIC KEY"))] } } };
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe("ERR_ENTRY_SIGNATURE_INVALID");
  });

  it("key policy applies to verifiers (RSA-1024 → ERR_ENTRY_KEY_UNSUPPORTED)", () => {
    expect(codeOf(() => prepareRekorV1Entry(dsseEntry({ keys: [key("RSA-1024")], bare: true }).entry))).toBe("ERR_ENTRY_KEY_UNSUPPORTED");
  });

  const envelopeMutations: [string, (env: Record<string, unknown>) => unknown][] = [
    ["unknown envelope field", (env) => ({ ...env, extra: 1 })],
    ["unknown signature field (intoto-style publicKey)", (env) => ({ ...env, signatures: [{ ...(env.signatures as object[])[0], publicKey: "x" }] })],
    ["missing payloadType", ({ payloadType: _, ...env }) => env],
    ["empty payloadType", (env) => ({ ...env, payloadType: "" })],
    ["lone surrogate in payloadType", (env) => ({ ...env, payloadType: "text/\ud800plain" })],
    ["long payloadType", (env) => ({ ...env, payloadType: "a".repeat(257) })],
    ["empty payload", (env) => ({ ...env, payload: "" })],
    ["url-safe payload", (env) => ({ ...env, payload: b64(Buffer.from([0xfb, 0xff, 0xfe])).replace(/\+/g, "-").replace(/\//g, "_") })],
    ["no signatures", (env) => ({ ...env, signatures: [] })],
    ["signatures not an array", (env) => ({ ...env, signatures: { sig: "AA==" } })],
    ["null signature", (env) => ({ ...env, signatures: [null] })],
    ["numeric sig", (env) => ({ ...env, signatures: [{ sig: 5 }] })],
    ["duplicate signature", (env) => ({ ...env, signatures: [(env.signatures as object[])[0], (env.signatures as object[])[0]] })],
    ["33 signatures", (env) => ({ ...env, signatures: Array.from({ length: 33 }, (_, i) => ({ sig: b64(Buffer.of(i)) })) })],
    ["not an object", () => ["payload"]],
    ["payload over 1 MiB", (env) => ({ ...env, payload: b64(Buffer.alloc(1024 * 1024 + 3)) })],
  ];
  it.each(envelopeMutations)("%s → ERR_ENTRY_MALFORMED", (_, mutate) => {
    const { entry, envelope } = dsseEntry();
    entry.spec.proposedContent.envelope = JSON.stringify(mutate(JSON.parse(envelope)));
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe("ERR_ENTRY_MALFORMED");
  });

  it("an envelope with duplicate member names, a lone surrogate, or that is not JSON → ERR_ENTRY_MALFORMED", () => {
    const { entry, envelope } = dsseEntry();
    // A raw lone surrogate in keyid: valid JSON, ignored field, but the envelope text is not
    // well-formed Unicode, so its UTF-8 (and envelopeHash) would be ambiguous.
    expect(envelope).toContain('"keyid":""');
    entry.spec.proposedContent.envelope = envelope.replace('"keyid":""', '"keyid":"\ud800"');
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe("ERR_ENTRY_MALFORMED");
    entry.spec.proposedContent.envelope = envelope.replace('"keyid":""', '"keyid":"\ud83d\ude00"');
    expect(prepareRekorV1Entry(entry).kind).toBe("dsse");
    entry.spec.proposedContent.envelope = envelope.replace('"payloadType":', '"payloadType":"text/plain","payloadType":');
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe("ERR_ENTRY_MALFORMED");
    entry.spec.proposedContent.envelope = envelope.slice(0, -1);
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe("ERR_ENTRY_MALFORMED");
  });

  const specMutations: [string, (e: ReturnType<typeof dsseEntry>["entry"]) => unknown][] = [
    ["server-computed fields submitted", (e) => ({ ...e, spec: { ...e.spec, envelopeHash: { algorithm: "sha256", value: "00".repeat(32) } } })],
    ["envelope as an object", (e) => ({ ...e, spec: { proposedContent: { ...e.spec.proposedContent, envelope: JSON.parse(e.spec.proposedContent.envelope) } } })],
    ["no verifiers", (e) => ({ ...e, spec: { proposedContent: { ...e.spec.proposedContent, verifiers: [] } } })],
    ["verifier not a string", (e) => ({ ...e, spec: { proposedContent: { ...e.spec.proposedContent, verifiers: [{}] } } })],
    ["verifier PEM not base64", (e) => ({ ...e, spec: { proposedContent: { ...e.spec.proposedContent, verifiers: [Buffer.from(e.spec.proposedContent.verifiers[0]!, "base64").toString()] } } })],
    ["duplicate verifier", (e) => ({ ...e, spec: { proposedContent: { ...e.spec.proposedContent, verifiers: [e.spec.proposedContent.verifiers[0], e.spec.proposedContent.verifiers[0]] } } })],
    ["33 verifiers", (e) => ({ ...e, spec: { proposedContent: { ...e.spec.proposedContent, verifiers: Array(33).fill(e.spec.proposedContent.verifiers[0]) } } })],
    ["null proposedContent", (e) => ({ ...e, spec: { proposedContent: null } })],
  ];
  it.each(specMutations)("%s → ERR_ENTRY_MALFORMED", (_, mutate) => {
    expect(codeOf(() => prepareRekorV1Entry(mutate(dsseEntry().entry)))).toBe("ERR_ENTRY_MALFORMED");
  });

  it("caps signatures × verifiers before any verification", () => {
    const keys = Array.from({ length: 9 }, () => newKey("P-256"));
    const { entry } = dsseEntry({ keys, bare: true });
    // 9 signatures × 9 verifiers = 81 attempts > 64.
    const t = performance.now();
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe("ERR_ENTRY_MALFORMED");
    expect(performance.now() - t).toBeLessThan(50);
    const ok = dsseEntry({ keys: keys.slice(0, 8), bare: true });
    expect(prepareRekorV1Entry(ok.entry).kind).toBe("dsse");
  });

  it("keeps the signature as submitted (no second DSSE signature can be swapped in, SECURITY.md C4)", () => {
    const k = key("P-256");
    const payload = Buffer.from("same payload");
    const a = signDsse("text/plain", payload, [k]);
    const b = signDsse("text/plain", payload, [k]);
    expect(a.sigs[0]).not.toBe(b.sigs[0]); // ECDSA is randomised
    const verifiers = [b64(pem(k.spki, "PUBLIC KEY"))];
    const ea = prepareRekorV1Entry({ kind: "dsse", apiVersion: "0.0.1", spec: { proposedContent: { envelope: a.envelope, verifiers } } });
    const eb = prepareRekorV1Entry({ kind: "dsse", apiVersion: "0.0.1", spec: { proposedContent: { envelope: b.envelope, verifiers } } });
    expect(JSON.parse(ea.body.toString()).spec.signatures[0].signature).toBe(a.sigs[0]);
    expect(ea.leafHash.equals(eb.leafHash)).toBe(false);
  });
});
