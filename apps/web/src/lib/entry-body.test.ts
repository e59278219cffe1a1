import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromBase64, toBase64 } from "@signet/crypto/encoding/base64";
import { ext, generateTestKey, buildTestCertificate, testName } from "@signet/crypto/testing/pki";
import { bodyAsText, describeEntryBody, MAX_DISPLAY_BODY_BYTES, signerLabel } from "./entry-body.ts";

const CORPUS = new URL("../../../../../shared/vectors/sigstore-conformance/bundle-verify/", import.meta.url);
const IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const pem = (label: string, der: Uint8Array) => `-----BEGIN ${label}-----\n${toBase64(der)}\n-----END ${label}-----\n`;

function hashedrekord(verifierPem: string, hex = "ab".repeat(32)) {
  return enc({
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: {
      data: { hash: { algorithm: "sha256", value: hex } },
      signature: { content: toBase64(new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01])), publicKey: { content: toBase64(new TextEncoder().encode(verifierPem)) } },
    },
  });
}

describe("describeEntryBody", () => {
  it("decodes a Rekor hashedrekord with a Fulcio certificate: SAN, issuer and extensions by name", () => {
    const bundle = JSON.parse(readFileSync(new URL("happy-path-v0.3/bundle.sigstore.json", CORPUS), "utf8"));
    const entry = bundle.verificationMaterial.tlogEntries[0];
    const d = describeEntryBody(fromBase64(entry.canonicalizedBody), { kind: entry.kindVersion.kind, version: entry.kindVersion.version });
    expect(d.problem).toBeUndefined();
    expect(d.digest?.value).toMatch(/^sha256:[0-9a-f]{64}$/);
    const signer = d.signatures[0]?.signer;
    if (signer?.kind !== "certificate") throw new Error("expected a certificate signer");
    expect(signer.subjectAltNames).toEqual([{ type: "URI", value: IDENTITY }]);
    expect(signer.oidcIssuer).toBe("https://token.actions.githubusercontent.com");
    expect(signer.fulcioExtensions.map((x) => x.name)).toEqual(expect.arrayContaining(["issuer", "sourceRepositoryUri", "buildSignerUri"]));
    expect(signer.fulcioExtensions.every((x) => x.value !== undefined)).toBe(true);
    expect(signerLabel(d)).toBe(IDENTITY);
  });

  it("decodes a public-key entry", async () => {
    const key = await generateTestKey();
    const d = describeEntryBody(hashedrekord(pem("PUBLIC KEY", key.spki)), { kind: "hashedrekord", version: "0.0.1" });
    expect(d.problem).toBeUndefined();
    expect(d.digest).toEqual({ label: "Artifact digest", value: `sha256:${"ab".repeat(32)}` });
    expect(d.signatures[0]?.signer).toMatchObject({ kind: "publicKey", keyType: "ECDSA P-256" });
    expect(signerLabel(d)).toMatch(/^ECDSA P-256 key sha256:[0-9a-f]{16}…$/);
  });

  it("returns hostile certificate strings verbatim for text-only rendering (SECURITY.md G6)", async () => {
    const key = await generateTestKey();
    const hostile = "<img src=x onerror=alert(1)>@evil.test";
    const cert = await buildTestCertificate({
      issuer: testName("evil", "<script>alert(1)</script>"),
      subject: testName("", ""),
      notBefore: Date.now() - 60_000,
      notAfter: Date.now() + 60_000,
      spki: key.spki,
      extensions: [ext.sanEmail(hostile), ext.fulcioIssuer("https://idp.evil.test/\u202Egnp.exe")],
      signer: key,
    });
    const d = describeEntryBody(hashedrekord(pem("CERTIFICATE", cert)), { kind: "hashedrekord", version: "0.0.1" });
    const signer = d.signatures[0]?.signer;
    if (signer?.kind !== "certificate") throw new Error(`expected a certificate signer, got ${JSON.stringify(d)}`);
    expect(signer.subjectAltNames).toEqual([{ type: "email", value: hostile }]);
    expect(signer.oidcIssuer).toBe("https://idp.evil.test/\u202Egnp.exe");
    expect(signer.issuerName).toContain("<script>alert(1)</script>");
  });

  it.each([
    ["an empty object", enc({}), "hashedrekord", "ERR_TLOG_BODY_MALFORMED"],
    ["a kind that differs from the entry's", hashedrekord("x"), "dsse", "ERR_TLOG_KIND_MISMATCH"],
    ["an unknown kind", enc({ apiVersion: "0.0.1", kind: "rekord", spec: {} }), "rekord", "ERR_TLOG_KIND_UNSUPPORTED"],
    ["non-JSON", new TextEncoder().encode("<html>"), "hashedrekord", "ERR_TLOG_BODY_MALFORMED"],
    ["a huge body", new Uint8Array(MAX_DISPLAY_BODY_BYTES + 1), "hashedrekord", "ERR_WEB_BODY_TOO_LARGE"],
  ])("reports %s as a problem instead of throwing", (_label, body, kind, code) => {
    const d = describeEntryBody(body, { kind, version: "0.0.1" });
    expect(d.problem?.code).toBe(code);
    expect(d.signatures).toEqual([]);
    expect(signerLabel(d)).toBe("(body not readable)");
  });

  it("marks an unparsable certificate as unreadable", () => {
    const junkCert = pem("CERTIFICATE", new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]));
    const d = describeEntryBody(hashedrekord(junkCert), { kind: "hashedrekord", version: "0.0.1" });
    expect(d.problem).toBeUndefined();
    expect(d.signatures[0]?.signer).toEqual({ kind: "unreadable", what: "certificate", code: "ERR_CERT_MALFORMED" });
    expect(signerLabel(d)).toBe("(unreadable certificate)");
  });
});

describe("bodyAsText", () => {
  it("pretty-prints JSON and passes anything else through as text", () => {
    expect(bodyAsText(enc({ a: 1 }))).toBe('{\n  "a": 1\n}');
    expect(bodyAsText(new TextEncoder().encode("<b>not json</b>"))).toBe("<b>not json</b>");
    expect(bodyAsText(new Uint8Array([0xff, 0x41]))).toBe("\ufffdA");
  });
});
