import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromBase64 } from "../encoding/base64.ts";
import { parseTrustedRoot } from "../trust/trusted-root.ts";
import { parseCertificate } from "./certificate.ts";
import { parseSctList, precertificateTbs, verifyEmbeddedScts } from "./sct.ts";
import { OID } from "../asn1/oid.ts";

// Fixtures: sigstore-conformance happy-path-v0.1 (chain of the production Fulcio) and the production trusted root.
const vectors = new URL("../../../../../shared/vectors/", import.meta.url);
const bundle = JSON.parse(readFileSync(new URL("sigstore-conformance/bundle-verify/happy-path-v0.1/bundle.sigstore.json", vectors), "utf8"));
const root = parseTrustedRoot(readFileSync(new URL("trusted-roots/public-good-production.trusted_root.json", vectors), "utf8"));
const leaf = parseCertificate(fromBase64(bundle.verificationMaterial.x509CertificateChain.certificates[0].rawBytes));
const intermediate = root.certificateAuthorities[1]!.certChain[0]!;

describe("embedded SCTs (RFC 6962 §3.2)", () => {
  it("verifies the production leaf's SCT against the trusted CT log", async () => {
    const scts = await verifyEmbeddedScts(leaf, intermediate, root.ctlogs);
    expect(scts).toHaveLength(1);
    expect(scts[0]!.baseUrl).toBe("https://ctfe.sigstore.dev/2022");
  });

  it("removes exactly the SCT extension from the TBS", () => {
    const tbs = precertificateTbs(leaf);
    expect(tbs.length).toBeLessThan(leaf.tbs.length);
    const sct = leaf.extensions.find((e) => e.oid === OID.ctSctList)!;
    expect(leaf.tbs.length - tbs.length).toBe(sct.raw.length + (leaf.tbs.length > 0xffff ? 0 : 0));
  });

  it("rejects an SCT checked against the wrong issuer key", async () => {
    const otherIssuer = root.certificateAuthorities[0]!.certChain[0]!;
    await expect(verifyEmbeddedScts(leaf, otherIssuer, root.ctlogs)).rejects.toThrow(expect.objectContaining({ code: "ERR_SCT_INVALID" }));
  });

  it("ignores SCTs from logs the trusted root does not know", async () => {
    await expect(verifyEmbeddedScts(leaf, intermediate, [])).resolves.toEqual([]);
  });

  it("rejects a CT log whose validity window excludes the SCT time", async () => {
    const expired = root.ctlogs.map((l) => ({ ...l, validFor: { start: 0, end: 1 } }));
    await expect(verifyEmbeddedScts(leaf, intermediate, expired)).resolves.toEqual([]);
  });

  it.each([
    ["not an OCTET STRING", "0c0100"],
    ["list length mismatch", "0404000500ff"],
    ["empty list", "04020000"],
    ["truncated SCT", "0406000400020000"],
    ["unknown SCT version", "0405000300010100"],
  ])("rejects a malformed list: %s", (_n, hex) => {
    expect(() => parseSctList(Uint8Array.from(Buffer.from(hex, "hex")))).toThrow(expect.objectContaining({ code: "ERR_SCT_MALFORMED" }));
  });
});
