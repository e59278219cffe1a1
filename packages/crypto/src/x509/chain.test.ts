import { describe, expect, it } from "vitest";
import { OID } from "../asn1/oid.ts";
import { buildTestCertificate, createTestPki, ext, generateTestKey, testName } from "../testing/pki.ts";
import { parseCertificate, type Certificate } from "./certificate.ts";
import { verifyCertificateChain, type ChainAuthority } from "./chain.ts";

const t0 = Date.UTC(2025, 0, 15, 12, 0, 0);
const pki = await createTestPki(t0);
const authority = (chain: Uint8Array[], start = t0 - 1e9, end?: number): ChainAuthority => ({
  certChain: chain.map((d) => parseCertificate(d)),
  validFor: { start, end },
});
const trusted = authority([pki.intermediate.der, pki.root.der]);
const verify = (leaf: Certificate, times = [t0], authorities = [trusted]) =>
  verifyCertificateChain({ leaf, authorities, times, requiredEku: OID.ekuCodeSigning });
const code = (c: string) => expect.objectContaining({ code: c });

describe("verifyCertificateChain (RFC 5280 §6.1)", () => {
  it("validates leaf → intermediate → root at a verified time", async () => {
    const leaf = parseCertificate(await pki.leaf());
    const result = await verify(leaf);
    expect(result.path.map((c) => c.subjectName)).toEqual(["", "O=signet.test, CN=test-intermediate", "O=signet.test, CN=test-root"]);
  });

  it("checks validity at every verified time, not now (SECURITY.md F2)", async () => {
    const leaf = parseCertificate(await pki.leaf());
    await expect(verify(leaf, [t0, t0 + 6 * 60_000])).rejects.toThrow(code("ERR_CERT_EXPIRED"));
    await expect(verify(leaf, [t0 - 6 * 60_000])).rejects.toThrow(code("ERR_CERT_EXPIRED"));
    await expect(verify(leaf, [])).rejects.toThrow(code("ERR_CERT_NO_TIME"));
  });

  it("accepts the exact validity bounds (inclusive)", async () => {
    const leaf = parseCertificate(await pki.leaf());
    await expect(verify(leaf, [leaf.notBefore, leaf.notAfter])).resolves.toBeDefined();
  });

  it("rejects a leaf valid at signing time under an expired intermediate (SECURITY.md F3)", async () => {
    const p = await createTestPki(t0, { intermediateNotAfter: t0 - 60_000 });
    const leaf = parseCertificate(await p.leaf({ notAfter: t0 - 30_000, notBefore: t0 - 10 * 60_000 }));
    // Either rule catches it: the leaf outlives its issuer, and the issuer is expired at the time.
    const err = await verify(leaf, [t0 - 20_000], [authority([p.intermediate.der, p.root.der])]).catch((e: { code: string }) => e);
    expect(["ERR_CERT_CHAIN_INVALID", "ERR_CERT_EXPIRED"]).toContain((err as { code: string }).code);
  });

  it("rejects a leaf that outlives its issuer (SECURITY.md B4)", async () => {
    const p = await createTestPki(t0, { intermediateNotAfter: t0 + 60_000 });
    const leaf = parseCertificate(await p.leaf());
    await expect(verify(leaf, [t0], [authority([p.intermediate.der, p.root.der])])).rejects.toThrow(code("ERR_CERT_CHAIN_INVALID"));
  });

  it("rejects an intermediate that is not a CA", async () => {
    const p = await createTestPki(t0, { intermediateExtensions: [ext.basicConstraints(false), ext.eku([OID.ekuCodeSigning])] });
    const leaf = parseCertificate(await p.leaf());
    await expect(verify(leaf, [t0], [authority([p.intermediate.der, p.root.der])])).rejects.toThrow(code("ERR_CERT_CHAIN_INVALID"));
  });

  it("enforces pathLenConstraint", async () => {
    // A second intermediate below one with pathLen 0.
    const k2 = await generateTestKey();
    const name2 = testName("signet.test", "second-intermediate");
    const inter2 = await buildTestCertificate({
      serial: 9,
      issuer: pki.intermediate.name,
      subject: name2,
      notBefore: t0 - 3600_000,
      notAfter: t0 + 3600_000,
      spki: k2.spki,
      extensions: [ext.basicConstraints(true), ext.keyUsage("ca")],
      signer: pki.intermediate.key,
    });
    const leaf = parseCertificate(await pki.leaf({ issuer: name2, signer: k2, extensions: [ext.keyUsage("leaf"), ext.eku([OID.ekuCodeSigning]), ext.sanUri("x:y")] }));
    await expect(verify(leaf, [t0], [authority([inter2, pki.intermediate.der, pki.root.der])])).rejects.toThrow(code("ERR_CERT_CHAIN_INVALID"));
  });

  it("rejects a leaf signed by an untrusted key with the right issuer name", async () => {
    const rogue = await generateTestKey();
    const leaf = parseCertificate(await pki.leaf({ signer: rogue, extensions: [ext.keyUsage("leaf"), ext.eku([OID.ekuCodeSigning])] }));
    await expect(verify(leaf)).rejects.toThrow(code("ERR_CERT_CHAIN_UNTRUSTED"));
  });

  it("uses only authorities whose validFor covers the time (closed interval)", async () => {
    const leaf = parseCertificate(await pki.leaf());
    await expect(verify(leaf, [t0], [authority([pki.intermediate.der, pki.root.der], t0 + 1)])).rejects.toThrow(code("ERR_CERT_CHAIN_UNTRUSTED"));
    await expect(verify(leaf, [t0], [authority([pki.intermediate.der, pki.root.der], t0 - 1, t0)])).resolves.toBeDefined();
  });

  it("rejects unknown critical extensions, a CA leaf, and a missing code-signing EKU", async () => {
    const crit = parseCertificate(await pki.leaf({ extensions: [ext.eku([OID.ekuCodeSigning]), ext.raw("1.2.3.4", Uint8Array.of(5, 0), true)] }));
    await expect(verify(crit)).rejects.toThrow(code("ERR_CERT_CRITICAL_EXTENSION"));
    const ca = parseCertificate(await pki.leaf({ extensions: [ext.basicConstraints(true), ext.eku([OID.ekuCodeSigning])] }));
    await expect(verify(ca)).rejects.toThrow(code("ERR_CERT_CHAIN_INVALID"));
    const noEku = parseCertificate(await pki.leaf({ extensions: [ext.keyUsage("leaf")] }));
    await expect(verify(noEku)).rejects.toThrow(code("ERR_CERT_EKU"));
  });

  it("refuses a leaf that is itself the trust anchor", async () => {
    const root = parseCertificate(pki.root.der);
    await expect(verifyCertificateChain({ leaf: root, authorities: [trusted], times: [t0] })).rejects.toThrow();
  });
});
