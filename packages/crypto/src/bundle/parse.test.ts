import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseBundle } from "./parse.ts";
import { toBundleJson } from "./serialize.ts";

/** Fixture JSON is untyped: tests reach into it freely. */
type Json = ReturnType<typeof JSON.parse>;

// Fixtures: sigstore-conformance bundles (vectors/README.md).
const vectors = new URL("../../../../../shared/vectors/sigstore-conformance/bundle-verify/", import.meta.url);
const load = (name: string) => JSON.parse(readFileSync(new URL(`${name}/bundle.sigstore.json`, vectors), "utf8"));
const v03 = load("happy-path-v0.3");
const v01 = load("happy-path-v0.1");
const dsse = load("happy-path-intoto-in-dsse-v3");
const rekor2 = load("rekor2-happy-path");
const clone = <T>(v: T): T => structuredClone(v);
const malformed = expect.objectContaining({ code: "ERR_BUNDLE_MALFORMED" });

describe("parseBundle", () => {
  it("parses v0.1, v0.3, DSSE and Rekor v2 bundles", () => {
    const a = parseBundle(JSON.stringify(v01));
    expect(a.version).toBe("0.1");
    expect(a.key.kind).toBe("x509CertificateChain");
    expect(a.tlogEntries[0]!.logIndex).toBe(27246492n);
    expect(a.tlogEntries[0]!.inclusionPromise).toBeDefined();
    const b = parseBundle(v03);
    expect(b.version).toBe("0.3");
    expect(b.content.kind).toBe("messageSignature");
    expect(parseBundle(dsse).content.kind).toBe("dsseEnvelope");
    const c = parseBundle(new TextEncoder().encode(JSON.stringify(rekor2)));
    expect(c.tlogEntries[0]!.integratedTime).toBe(0n); // absent = default (protobuf JSON)
    expect(c.rfc3161Timestamps).toHaveLength(1);
  });

  it("round-trips through toBundleJson", () => {
    for (const b of [v01, v03, dsse, rekor2]) {
      const parsed = parseBundle(b);
      expect(parseBundle(toBundleJson(parsed))).toEqual(parsed);
    }
  });

  it.each([
    ["1e3"],
    ["0x10"],
    ["007"],
    [" 5"],
    ["-1"],
    ["9223372036854775808"], // 2^63
    ["18446744073709551616"],
    [""],
  ])("rejects logIndex %j (SECURITY.md D7)", (v) => {
    const b = clone(v03);
    b.verificationMaterial.tlogEntries[0].logIndex = v;
    expect(() => parseBundle(b)).toThrow(malformed);
  });

  it("rejects int64 as a JSON number", () => {
    const b = clone(v03);
    b.verificationMaterial.tlogEntries[0].logIndex = 5;
    expect(() => parseBundle(b)).toThrow(malformed);
  });

  it("accepts int64 at 2^63−1", () => {
    const b = clone(v03);
    b.verificationMaterial.tlogEntries[0].logIndex = "9223372036854775807";
    expect(parseBundle(b).tlogEntries[0]!.logIndex).toBe(2n ** 63n - 1n);
  });

  const mutations: [string, (b: Json) => void][] = [
    ["bad base64 signature", (b) => (b.messageSignature.signature = "MEUC!!==")],
    ["URL-safe base64", (b) => (b.messageSignature.signature = b.messageSignature.signature.replace(/\+/g, "-").replace(/\//g, "_"))],
    ["unpadded base64", (b) => (b.messageSignature.signature = b.messageSignature.signature.replace(/=+$/, ""))],
    ["unknown top-level field", (b) => (b.extra = 1)],
    ["unknown entry field", (b) => (b.verificationMaterial.tlogEntries[0].surprise = true)],
    ["both content kinds", (b) => (b.dsseEnvelope = dsse.dsseEnvelope)],
    ["no content", (b) => delete b.messageSignature],
    ["two key materials", (b) => (b.verificationMaterial.publicKey = { hint: "x" })],
    ["x509CertificateChain in v0.3", (b) => (b.verificationMaterial = { ...b.verificationMaterial, certificate: undefined, x509CertificateChain: { certificates: [b.verificationMaterial.certificate] } })],
    ["missing logId", (b) => delete b.verificationMaterial.tlogEntries[0].logId],
    ["missing kindVersion", (b) => delete b.verificationMaterial.tlogEntries[0].kindVersion],
    ["empty body", (b) => (b.verificationMaterial.tlogEntries[0].canonicalizedBody = "")],
    ["v0.3 entry without inclusion proof", (b) => delete b.verificationMaterial.tlogEntries[0].inclusionProof],
    ["proof without checkpoint", (b) => delete b.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint],
    ["33 tlog entries (cap 32)", (b) => (b.verificationMaterial.tlogEntries = Array(33).fill(b.verificationMaterial.tlogEntries[0]))],
    ["65 proof hashes (cap 64: a tree of 2^63 leaves needs 63)", (b) => (b.verificationMaterial.tlogEntries[0].inclusionProof.hashes = Array(65).fill("AAAA"))],
    ["33 timestamps (cap 32)", (b) => (b.verificationMaterial.timestampVerificationData = { rfc3161Timestamps: Array(33).fill({ signedTimestamp: "AAAA" }) })],
    ["unknown digest algorithm", (b) => (b.messageSignature.messageDigest.algorithm = "MD5")],
    ["digest of the wrong length", (b) => (b.messageSignature.messageDigest.digest = "AAAA")],
    ["tlogEntries not an array", (b) => (b.verificationMaterial.tlogEntries = {})],
    ["string where an object is expected", (b) => (b.verificationMaterial = "x")],
  ];
  it.each(mutations)("rejects %s", (_n, mutate) => {
    const b = clone(v03);
    mutate(b);
    expect(() => parseBundle(b)).toThrow(malformed);
  });

  it("needs a SET in v0.1 and exactly one DSSE signature", () => {
    const a = clone(v01);
    delete a.verificationMaterial.tlogEntries[0].inclusionPromise;
    expect(() => parseBundle(a)).toThrow(malformed);
    const d = clone(dsse);
    d.dsseEnvelope.signatures.push(d.dsseEnvelope.signatures[0]);
    expect(() => parseBundle(d)).toThrow(malformed);
    const e = clone(v01);
    e.verificationMaterial.x509CertificateChain.certificates = [];
    expect(() => parseBundle(e)).toThrow(malformed);
  });

  it("rejects unknown media types with their own code", () => {
    for (const mt of ["application/vnd.dev.sigstore.bundle+json;version=99.9", "application/vnd.dev.sigstore.bundle.v0.4+json", "application/json"]) {
      const b = clone(v03);
      b.mediaType = mt;
      expect(() => parseBundle(b)).toThrow(expect.objectContaining({ code: "ERR_BUNDLE_UNSUPPORTED_VERSION" }));
    }
  });

  it("rejects truncated JSON, non-UTF-8 bytes and oversized input before parsing", () => {
    expect(() => parseBundle(JSON.stringify(v03).slice(0, 100))).toThrow(malformed);
    expect(() => parseBundle(Uint8Array.of(0x7b, 0xff, 0x7d))).toThrow(malformed);
    expect(() => parseBundle("x".repeat(17 * 1024 * 1024))).toThrow(malformed);
    expect(() => parseBundle(null)).toThrow(malformed);
  });
});
