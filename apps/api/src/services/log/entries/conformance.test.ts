/**
 * Real Rekor entries from the sigstore-conformance corpus (../shared/vectors, see its README for
 * provenance): rebuilding the ProposedEntry / CreateEntryRequest that a client sent from the bundle's
 * own material must give the very canonicalizedBody Rekor (v1) and rekor-tiles (v2) logged, byte for
 * byte, and our leaf hash must lead through the bundle's inclusion proof to its root hash.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { verifyInclusion } from "@signet/crypto/merkle/inclusion";
import { preAuthEncoding } from "@signet/crypto/dsse/pae";
import { parseStoredBody, prepareRekorV1Entry, prepareRekorV2Entry } from "./prepare.ts";
import { codeOf } from "./test-support.ts";

const DIR = new URL("../../../../../../../shared/vectors/sigstore-conformance/bundle-verify/", import.meta.url);

interface Bundle {
  verificationMaterial: {
    certificate?: { rawBytes: string };
    x509CertificateChain?: { certificates: { rawBytes: string }[] };
    tlogEntries: {
      kindVersion: { kind: string; version: string };
      canonicalizedBody: string;
      inclusionProof: { logIndex: string; rootHash: string; treeSize: string; hashes: string[] };
    }[];
  };
  messageSignature?: { messageDigest: { algorithm: string; digest: string }; signature: string };
  dsseEnvelope?: { payload: string; payloadType: string; signatures: { sig: string; keyid?: string }[] };
}

const load = (name: string): Bundle => JSON.parse(readFileSync(new URL(`${name}/bundle.sigstore.json`, DIR), "utf8"));
const certOf = (b: Bundle) => b.verificationMaterial.certificate?.rawBytes ?? b.verificationMaterial.x509CertificateChain!.certificates[0]!.rawBytes;
const pemOf = (derB64: string) => `-----BEGIN CERTIFICATE-----\n${derB64.match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** What a client (sigstore-js / cosign) submitted for this bundle. */
function submissionOf(name: string, b: Bundle): { api: "v1" | "v2"; request: unknown } {
  const entry = b.verificationMaterial.tlogEntries[0]!;
  if (b.dsseEnvelope && entry.kindVersion.version === "0.0.2") {
    // Rekor v2 has no DSSE type: clients log a hashedrekord over SHA-256 of the PAE (INTEROP.md §3).
    const env = b.dsseEnvelope;
    const digest = createHash("sha256").update(preAuthEncoding(env.payloadType, Buffer.from(env.payload, "base64"))).digest("base64");
    const verifier = { x509Certificate: { rawBytes: certOf(b) }, keyDetails: "PKIX_ECDSA_P256_SHA_256" };
    return { api: "v2", request: { hashedRekordRequestV002: { digest, signature: { content: env.signatures[0]!.sig, verifier } } } };
  }
  if (b.dsseEnvelope) {
    const env = b.dsseEnvelope;
    // cosign's Go serialisation of the envelope (the text whose SHA-256 is the logged envelopeHash).
    const envelope = JSON.stringify({ payload: env.payload, payloadType: env.payloadType, signatures: env.signatures.map((s) => ({ sig: s.sig })) });
    return { api: "v1", request: { apiVersion: "0.0.1", kind: "dsse", spec: { proposedContent: { envelope, verifiers: [b64(pemOf(certOf(b)))] } } } };
  }
  const ms = b.messageSignature!;
  if (entry.kindVersion.version === "0.0.2") {
    const verifier = { x509Certificate: { rawBytes: certOf(b) }, keyDetails: "PKIX_ECDSA_P256_SHA_256" };
    return { api: "v2", request: { hashedRekordRequestV002: { digest: ms.messageDigest.digest, signature: { content: ms.signature, verifier } } } };
  }
  const key = b.verificationMaterial.certificate || b.verificationMaterial.x509CertificateChain ? pemOf(certOf(b)) : readFileSync(new URL(`${name}/key.pub`, DIR), "utf8");
  const value = Buffer.from(ms.messageDigest.digest, "base64").toString("hex");
  return {
    api: "v1",
    request: { apiVersion: "0.0.1", kind: "hashedrekord", spec: { data: { hash: { algorithm: "sha256", value } }, signature: { content: ms.signature, publicKey: { content: b64(key) } } } },
  };
}

const prepare = (s: { api: "v1" | "v2"; request: unknown }) => (s.api === "v1" ? prepareRekorV1Entry(s.request) : prepareRekorV2Entry(s.request));

describe("sigstore-conformance: entries Rekor logged are rebuilt byte for byte", () => {
  it.each([
    ["happy-path-v0.1", "hashedrekord/0.0.1 with a certificate"],
    ["happy-path-v0.3", "hashedrekord/0.0.1 with a certificate"],
    ["managed-key-happy-path", "hashedrekord/0.0.1 with a bare key"],
    ["happy-path-intoto-in-dsse-v3", "dsse/0.0.1"],
    ["rekor2-happy-path", "hashedrekord/0.0.2"],
    ["rekor2-dsse-happy-path", "hashedrekord/0.0.2 over a DSSE PAE"],
    ["bundle-with-sct-with-extensions", "hashedrekord/0.0.2"],
  ])("%s (%s)", (name) => {
    const b = load(name);
    const logged = b.verificationMaterial.tlogEntries[0]!;
    const e = prepare(submissionOf(name, b));
    expect(`${e.kind}/${e.apiVersion}`).toBe(`${logged.kindVersion.kind}/${logged.kindVersion.version}`);
    expect(e.body.toString("base64")).toBe(logged.canonicalizedBody);
    const p = logged.inclusionProof;
    expect(() =>
      verifyInclusion({
        index: BigInt(p.logIndex),
        size: BigInt(p.treeSize),
        leafHash: e.leafHash,
        proof: p.hashes.map((h) => Buffer.from(h, "base64")),
        root: Buffer.from(p.rootHash, "base64"),
      }),
    ).not.toThrow();
    expect(e.search.identity).toBe(name === "managed-key-happy-path" ? undefined : "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main");
    expect(parseStoredBody(e.body).kind).toBe(logged.kindVersion.kind);
  });

  it("indexes the in-toto subject of a DSSE entry as the artifact digest", () => {
    const name = "happy-path-intoto-in-dsse-v3";
    expect(prepare(submissionOf(name, load(name))).search.artifactDigest).toBe("sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf");
  });
});

describe("sigstore-conformance: broken material is refused at the log", () => {
  it.each([
    ["signature-mismatch_fail", "ERR_ENTRY_SIGNATURE_INVALID"],
    ["message-digest-mismatch_fail", "ERR_ENTRY_SIGNATURE_INVALID"],
    ["dsse-invalid-sig_fail", "ERR_ENTRY_SIGNATURE_INVALID"],
    ["rekor2-dsse-invalid-sig_fail", "ERR_ENTRY_SIGNATURE_INVALID"],
    ["bundle-invalid-base64-signature_fail", "ERR_ENTRY_MALFORMED"],
    ["managed-key-wrong-key_fail", "ERR_ENTRY_MALFORMED"],
  ])("%s → %s", (name, code) => {
    expect(codeOf(() => prepare(submissionOf(name, load(name))))).toBe(code);
  });
});

describe("sigstore-conformance: parseStoredBody on logged bodies", () => {
  it.each(["happy-path-v0.2", "managed-key-and-trusted-root", "happy-path-intoto-in-dsse-v3", "rekor2-happy-path", "rekor2-timestamp-with-embedded-cert"])("%s decodes", (name) => {
    const logged = load(name).verificationMaterial.tlogEntries[0]!;
    const body = parseStoredBody(Buffer.from(logged.canonicalizedBody, "base64"));
    expect(`${body.kind}/${body.apiVersion}`).toBe(`${logged.kindVersion.kind}/${logged.kindVersion.version}`);
    if (body.kind === "hashedrekord") expect(body.signature.length).toBeGreaterThan(60);
    else expect(body.signatures).toHaveLength(1);
  });

  it("intoto 0.0.2 (not a kind this log stores) → ERR_ENTRY_UNSUPPORTED_KIND", () => {
    const logged = load("intoto-with-custom-trust-root").verificationMaterial.tlogEntries[0]!;
    expect(codeOf(() => parseStoredBody(Buffer.from(logged.canonicalizedBody, "base64")))).toBe("ERR_ENTRY_UNSUPPORTED_KIND");
  });
});
