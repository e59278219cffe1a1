import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromBase64 } from "../encoding/base64.ts";
import { toHex } from "../encoding/hex.ts";
import { OID } from "../asn1/oid.ts";
import { buildTestCertificate, ext, generateTestKey, testName } from "../testing/pki.ts";
import { parseCertificate, parseCertificatesPem, isSelfIssued } from "./certificate.ts";
import { toPem } from "../pem.ts";

// Fixture: the Fulcio leaf of sigstore-conformance happy-path-v0.3 (vectors/README.md).
const vectors = new URL("../../../../../shared/vectors/", import.meta.url);
const bundle = JSON.parse(readFileSync(new URL("sigstore-conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json", vectors), "utf8"));
const leafDer = fromBase64(bundle.verificationMaterial.certificate.rawBytes);
const malformed = expect.objectContaining({ code: "ERR_CERT_MALFORMED" });

describe("parseCertificate", () => {
  it("reads a Fulcio leaf", () => {
    const c = parseCertificate(leafDer);
    expect(c.version).toBe(3);
    expect(toHex(c.serialNumber)).toBe("68bfedb264131e4db59add54ba4fb0edabc3073e");
    expect(c.issuerName).toBe("O=sigstore.dev, CN=sigstore-intermediate");
    expect(c.subjectName).toBe("");
    expect(c.notBefore).toBe(Date.UTC(2024, 2, 19, 17, 26, 26));
    expect(c.notAfter - c.notBefore).toBe(10 * 60_000);
    expect(c.signatureAlgorithm).toEqual({ kind: "ecdsa", hash: "SHA-384" });
    expect(c.publicKey.kind).toBe("ecdsa");
    expect(c.basicConstraints).toBeUndefined();
    expect(c.keyUsage?.digitalSignature).toBe(true);
    expect(c.extKeyUsage).toEqual([OID.ekuCodeSigning]);
    expect(c.subjectAltNames).toEqual([
      { kind: "uri", value: "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main" },
    ]);
    expect(c.extensions.find((e) => e.oid === OID.subjectAltName)?.critical).toBe(true);
    expect(c.extensions.some((e) => e.oid === OID.ctSctList)).toBe(true);
    expect(c.authorityKeyId).toBeDefined();
    expect(isSelfIssued(c)).toBe(false);
  });

  it("reads PEM bundles", () => {
    expect(parseCertificatesPem(toPem(leafDer, "CERTIFICATE") + toPem(leafDer, "CERTIFICATE"))).toHaveLength(2);
    expect(() => parseCertificatesPem(toPem(leafDer, "PUBLIC KEY"))).toThrow(malformed);
  });

  it("rejects trailing data, truncation and bit flips in the structure", () => {
    expect(() => parseCertificate(Uint8Array.from([...leafDer, 0]))).toThrow(malformed);
    expect(() => parseCertificate(leafDer.subarray(0, leafDer.length - 1))).toThrow(malformed);
    expect(() => parseCertificate(new Uint8Array())).toThrow(malformed);
    const flipped = Uint8Array.from(leafDer);
    flipped[1]! ^= 0x01; // outer length
    expect(() => parseCertificate(flipped)).toThrow(malformed);
  });

  it("rejects oversized input before parsing", () => {
    expect(() => parseCertificate(new Uint8Array(70_000))).toThrow(malformed);
  });

  it("rejects duplicate extensions and an explicit critical=FALSE", async () => {
    const key = await generateTestKey();
    const base = { issuer: testName("o", "ca"), subject: testName("o", "leaf"), notBefore: 0, notAfter: 1e12, spki: key.spki, signer: key };
    await expect(
      buildTestCertificate({ ...base, extensions: [ext.keyUsage("leaf"), ext.keyUsage("leaf")] }).then(parseCertificate),
    ).rejects.toThrow(malformed);
    const ok = parseCertificate(await buildTestCertificate({ ...base, extensions: [ext.eku([OID.ekuCodeSigning])] }));
    expect(ok.extKeyUsage).toEqual([OID.ekuCodeSigning]);
  });

  it("rejects a signature algorithm that differs from the TBS one", () => {
    // Replace the outer AlgorithmIdentifier (ecdsa-with-SHA384) with ecdsa-with-SHA256.
    const hex = toHex(leafDer);
    const inner = "300a06082a8648ce3d040303";
    const last = hex.lastIndexOf(inner);
    const swapped = hex.slice(0, last) + "300a06082a8648ce3d040302" + hex.slice(last + inner.length);
    expect(() => parseCertificate(Uint8Array.from(Buffer.from(swapped, "hex")))).toThrow(malformed);
  });
});
