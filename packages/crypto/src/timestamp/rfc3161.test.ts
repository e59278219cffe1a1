import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OID } from "../asn1/oid.ts";
import { parseBundle } from "../bundle/parse.ts";
import { signatureBytes } from "../bundle/bundle.ts";
import { parseTrustedRoot, type CertificateAuthority } from "../trust/trusted-root.ts";
import { parseCertificate } from "../x509/certificate.ts";
import { buildTestCertificate, buildTestTimestampResponse, ext, generateTestKey, testName, type TestExtension } from "../testing/pki.ts";
import { parseTimestampResponse, verifyTimestamp } from "./rfc3161.ts";

// Fixtures: sigstore-conformance rekor2-happy-path (staging TSA token) and its trusted root.
const vectors = new URL("../../../../../shared/vectors/sigstore-conformance/bundle-verify/", import.meta.url);
const bundle = parseBundle(readFileSync(new URL("rekor2-happy-path/bundle.sigstore.json", vectors)));
const root = parseTrustedRoot(readFileSync(new URL("rekor2-happy-path/trusted_root.json", vectors)));
const tokenDer = bundle.rfc3161Timestamps[0]!;
const sig = signatureBytes(bundle);
const code = (c: string) => expect.objectContaining({ code: c });

describe("RFC 3161 tokens from the Sigstore TSA", () => {
  it("parses the TimeStampResp", () => {
    const t = parseTimestampResponse(tokenDer);
    expect(t.status).toBe(0);
    expect(t.genTime).toBe(Date.UTC(2025, 5, 12, 12, 2, 20));
    expect(t.policy).toBe("1.3.6.1.4.1.57264.2");
    expect(t.messageImprint.algorithm).toBe("SHA-256");
    expect(t.signerId.kind).toBe("issuerSerial");
    expect(t.signingCertificateV2Hash).toBeDefined();
  });
  it("verifies over the bundle signature against the trusted TSA", async () => {
    const v = await verifyTimestamp(parseTimestampResponse(tokenDer), sig, root.timestampAuthorities);
    expect(v.authority.uri).toBe("https://timestamp.sigstage.dev/api/v1/timestamp");
  });
  it("rejects a token over other data (message imprint, SECURITY.md F8)", async () => {
    await expect(verifyTimestamp(parseTimestampResponse(tokenDer), Uint8Array.of(1, 2, 3), root.timestampAuthorities)).rejects.toThrow(code("ERR_TIMESTAMP_INVALID"));
  });
  it("trusts nothing but the trusted root (no TSAs → untrusted)", async () => {
    await expect(verifyTimestamp(parseTimestampResponse(tokenDer), sig, [])).rejects.toThrow(code("ERR_TIMESTAMP_UNTRUSTED"));
  });
  it("rejects malformed responses", () => {
    const bad = (b: Uint8Array) => expect(() => parseTimestampResponse(b)).toThrow(code("ERR_TIMESTAMP_MALFORMED"));
    bad(tokenDer.subarray(0, tokenDer.length - 1));
    bad(Uint8Array.from([...tokenDer, 0]));
    bad(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x02)); // rejection status, no token
    bad(new Uint8Array(70_000));
  });
});

describe("RFC 3161 verification rules (synthetic TSA)", async () => {
  const t0 = Date.UTC(2025, 0, 1);
  const rootKey = await generateTestKey();
  const tsaKey = await generateTestKey();
  const rootName = testName("signet.test", "tsa-root");
  const tsaName = testName("signet.test", "tsa");
  const rootDer = await buildTestCertificate({ issuer: rootName, subject: rootName, notBefore: t0 - 1e10, notAfter: t0 + 1e10, spki: rootKey.spki, extensions: [ext.basicConstraints(true), ext.keyUsage("ca")], signer: rootKey });
  const tsaCert = (extensions: TestExtension[], notAfter = t0 + 1e9) =>
    buildTestCertificate({ serial: 7, issuer: rootName, subject: tsaName, notBefore: t0 - 1e9, notAfter, spki: tsaKey.spki, extensions, signer: rootKey });
  const authority = async (leafDer: Uint8Array, validFor = { start: t0 - 1e9, end: undefined as number | undefined }): Promise<CertificateAuthority> => ({
    subject: { organization: "signet.test", commonName: "tsa" },
    uri: "https://tsa.signet.test",
    certChain: [parseCertificate(leafDer), parseCertificate(rootDer)],
    validFor,
    operator: "",
  });
  const good = await authority(await tsaCert([ext.eku([OID.ekuTimeStamping], true)]));
  const data = new TextEncoder().encode("signature bytes");
  const token = (o: Partial<Parameters<typeof buildTestTimestampResponse>[0]> = {}) =>
    buildTestTimestampResponse({ data, genTime: t0, issuer: rootName, serial: 7, signer: tsaKey, ...o }).then(parseTimestampResponse);

  it("accepts a well-formed token", async () => {
    expect((await verifyTimestamp(await token(), data, [good])).genTime).toBe(t0);
  });
  it("rejects a TSA certificate without the timeStamping EKU, or with it non-critical", async () => {
    await expect(verifyTimestamp(await token(), data, [await authority(await tsaCert([ext.eku([OID.ekuCodeSigning], true)]))])).rejects.toThrow(code("ERR_CERT_EKU"));
    await expect(verifyTimestamp(await token(), data, [await authority(await tsaCert([ext.eku([OID.ekuTimeStamping], false)]))])).rejects.toThrow(code("ERR_CERT_EKU"));
  });
  it("rejects a genTime outside the TSA certificate's validity", async () => {
    await expect(verifyTimestamp(await token(), data, [await authority(await tsaCert([ext.eku([OID.ekuTimeStamping], true)], t0 - 1))])).rejects.toThrow(code("ERR_CERT_EXPIRED"));
  });
  it("rejects a genTime outside the trusted root's validFor, inclusive at the end", async () => {
    const leaf = await tsaCert([ext.eku([OID.ekuTimeStamping], true)]);
    await expect(verifyTimestamp(await token(), data, [await authority(leaf, { start: t0 - 10, end: t0 - 1 })])).rejects.toThrow(code("ERR_TIMESTAMP_UNTRUSTED"));
    await expect(verifyTimestamp(await token(), data, [await authority(leaf, { start: t0 - 10, end: t0 })])).resolves.toBeDefined();
  });
  it("rejects a token signed by another key that names the trusted certificate", async () => {
    await expect(verifyTimestamp(await token({ signer: await generateTestKey() }), data, [good])).rejects.toThrow(code("ERR_TIMESTAMP_INVALID"));
  });
  it("rejects a token naming a signer the trusted root does not have", async () => {
    await expect(verifyTimestamp(await token({ serial: 8 }), data, [good])).rejects.toThrow(code("ERR_TIMESTAMP_UNTRUSTED"));
  });
  it("rejects a messageDigest attribute that does not cover TSTInfo, and a non-granted status", async () => {
    await expect(verifyTimestamp(await token({ messageDigest: new Uint8Array(32) }), data, [good])).rejects.toThrow(code("ERR_TIMESTAMP_INVALID"));
    await expect(verifyTimestamp(await token({ status: 2 }), data, [good])).rejects.toThrow(code("ERR_TIMESTAMP_INVALID"));
  });
});
