import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../../errors.ts";
import { encodeTlv, TAG } from "@signet/crypto/asn1/der";
import { encodeOidContent } from "@signet/crypto/asn1/oid";
import { concatBytes } from "@signet/crypto/encoding/bytes";
import { prepareRekorV1Entry } from "./prepare.ts";
import { b64, certFor, codeOf, key, makeCertificate, newKey, pem, signArtifact, v1Entry } from "./test-support.ts";

/** The URL-safe alphabet form of a base64 text, with at least one '-' or '_' in it. */
const toUrlSafe = (b64text: string): string => {
  const u = b64text.replace(/\+/g, "-").replace(/\//g, "_");
  return /[-_]/.test(u) ? u : `_${u.slice(1)}`;
};

type Entry = ReturnType<typeof v1Entry>["entry"];
const clone = (e: Entry): Entry => structuredClone(e);

describe("hashedrekord 0.0.1: accepted entries", () => {
  it("rebuilds the exact canonical body @sigstore/verify expects, with its leaf hash (bare P-256 key)", () => {
    const { entry, digest, signature, pemText, key: k } = v1Entry({ cert: null });
    const e = prepareRekorV1Entry(entry);
    const expected =
      `{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":"${digest.toString("hex")}"}},` +
      `"signature":{"content":"${b64(signature)}","publicKey":{"content":"${b64(pemText)}"}}}}`;
    expect(e.body.toString("utf8")).toBe(expected);
    expect(e.kind).toBe("hashedrekord");
    expect(e.apiVersion).toBe("0.0.1");
    expect(e.leafHash.equals(crypto.createHash("sha256").update(Buffer.of(0)).update(e.body).digest())).toBe(true);
    expect(e.search).toEqual({ artifactDigest: `sha256:${digest.toString("hex")}`, certFingerprint: crypto.hash("sha256", k.spki, "hex") });
  });

  it("indexes a certificate's SAN (URI or email), Fulcio issuer and DER fingerprint", () => {
    const k = key("P-256");
    const uriCert = certFor(k, "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", "https://token.actions.githubusercontent.com");
    const a = prepareRekorV1Entry(v1Entry({ cert: uriCert }).entry);
    expect(a.search).toEqual({
      artifactDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      identity: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main",
      issuer: "https://token.actions.githubusercontent.com",
      certFingerprint: crypto.hash("sha256", uriCert, "hex"),
    });
    const b = prepareRekorV1Entry(v1Entry({ cert: certFor(k, "dev@example.test", "http://localhost:8081") }).entry);
    expect(b.search.identity).toBe("dev@example.test");
    expect(b.search.issuer).toBe("http://localhost:8081");
    const v1Issuer = makeCertificate({ spki: k.spki, san: { kind: "email", value: "old@example.test" }, issuerV1: "https://accounts.example" });
    expect(prepareRekorV1Entry(v1Entry({ cert: v1Issuer }).entry).search.issuer).toBe("https://accounts.example");
    const plain = makeCertificate({ spki: k.spki });
    const c = prepareRekorV1Entry(v1Entry({ cert: plain }).entry);
    expect(c.search.identity).toBeUndefined();
    expect(c.search.issuer).toBeUndefined();
  });

  it.each([
    ["P-256", "sha256"],
    ["P-384", "sha384"],
    ["P-521", "sha512"],
    ["P-256", "sha512"],
    ["RSA-2048", "sha256"],
    ["RSA-2048", "sha384"],
  ] as const)("verifies %s over a %s digest", (kind, alg) => {
    const e = prepareRekorV1Entry(v1Entry({ key: key(kind), alg }).entry);
    expect(e.search.artifactDigest).toMatch(new RegExp(`^${alg}:[0-9a-f]+$`));
  });

  it("verifies RSA-4096 (the largest modulus allowed)", () => {
    expect(prepareRekorV1Entry(v1Entry({ key: key("RSA-4096"), cert: null }).entry).kind).toBe("hashedrekord");
  }, 60_000);

  it("gives semantically equal submissions the same body: key order, whitespace, escapes, PEM layout", () => {
    const { entry, cert, pemText } = v1Entry();
    const base = prepareRekorV1Entry(entry);
    const s = entry.spec;
    // Reordered members, indentation, \u escapes of plain letters, and a PEM with CRLF and 76-column lines.
    const b64der = cert!.toString("base64");
    const oddPem = `-----BEGIN CERTIFICATE-----\r\n${b64der.match(/.{1,76}/g)!.join("\r\n")}\r\n-----END CERTIFICATE-----\r\n`;
    expect(oddPem).not.toBe(pemText);
    const text =
      `{\n  "spec": {"signature": {"publicKey": {"content": "${b64(oddPem)}"}, "content": "${s.signature.content}"},\n` +
      `   "data": {"hash": {"value": "${s.data.hash.value}", "algorithm": "sh\\u0061256"}}},\n` +
      `  "kind": "hashed\\u0072ekord", "apiVersion":"0.0.1"\t}\n`;
    for (const input of [text, Buffer.from(text)]) {
      const e = prepareRekorV1Entry(input);
      expect(e.body.equals(base.body)).toBe(true);
      expect(e.leafHash.equals(base.leafHash)).toBe(true);
    }
  });
});

describe("hashedrekord 0.0.1: structure (SECURITY.md D3)", () => {
  const mutations: [string, (e: Entry) => unknown][] = [
    ["empty signature", (e) => ((e.spec.signature.content = ""), e)],
    ["empty key", (e) => ((e.spec.signature.publicKey.content = ""), e)],
    ["empty digest", (e) => ((e.spec.data.hash.value = ""), e)],
    ["null data", (e) => (((e.spec as Record<string, unknown>).data = null), e)],
    ["null hash", (e) => (((e.spec.data as Record<string, unknown>).hash = null), e)],
    ["null signature", (e) => (((e.spec as Record<string, unknown>).signature = null), e)],
    ["null publicKey", (e) => (((e.spec.signature as Record<string, unknown>).publicKey = null), e)],
    ["null spec", (e) => (((e as Record<string, unknown>).spec = null), e)],
    ["missing spec", (e) => (delete (e as Partial<Entry>).spec, e)],
    ["missing signature", (e) => (delete (e.spec as Partial<Entry["spec"]>).signature, e)],
    ["missing publicKey", (e) => (delete (e.spec.signature as Partial<Entry["spec"]["signature"]>).publicKey, e)],
    ["number for string", (e) => (((e.spec.signature as Record<string, unknown>).content = 12), e)],
    ["object for string", (e) => (((e.spec.data.hash as Record<string, unknown>).value = {}), e)],
    ["array for object", (e) => (((e.spec as Record<string, unknown>).data = [e.spec.data]), e)],
    ["array for spec", (e) => (((e as Record<string, unknown>).spec = [e.spec]), e)],
    ["boolean for kind", (e) => (((e as Record<string, unknown>).kind = true), e)],
    ["number for apiVersion", (e) => (((e as Record<string, unknown>).apiVersion = 0.01), e)],
    ["unknown field in spec", (e) => (((e.spec as Record<string, unknown>).extra = "x"), e)],
    ["unknown top-level field", (e) => (((e as Record<string, unknown>).verification = {}), e)],
    ["data.content (not in the schema)", (e) => (((e.spec.data as Record<string, unknown>).content = "aGVsbG8="), e)],
    ["signature.format", (e) => (((e.spec.signature as Record<string, unknown>).format = "x509"), e)],
    ["publicKey.url", (e) => (((e.spec.signature.publicKey as Record<string, unknown>).url = "http://169.254.169.254/"), e)],
    ["1 MB signature", (e) => ((e.spec.signature.content = "A".repeat(1 << 20)), e)],
    ["1 MB key", (e) => ((e.spec.signature.publicKey.content = "A".repeat(1 << 20)), e)],
    // The signature is random: when its base64 happens to hold no '+' or '/', force a URL-safe character in.
    ["url-safe base64 signature", (e) => ((e.spec.signature.content = toUrlSafe(e.spec.signature.content)), e)],
    ["unpadded base64 key", (e) => ((e.spec.signature.publicKey.content = e.spec.signature.publicKey.content.replace(/=+$/, "")), e)],
    ["base64 with a newline", (e) => ((e.spec.signature.content = e.spec.signature.content.slice(0, 8) + "\n" + e.spec.signature.content.slice(8)), e)],
    ["key is not PEM", (e) => ((e.spec.signature.publicKey.content = b64("not a pem")), e)],
    ["two PEM blocks", (e) => ((e.spec.signature.publicKey.content = b64(Buffer.from(e.spec.signature.publicKey.content, "base64").toString().repeat(2))), e)],
    ["PEM with trailing junk", (e) => ((e.spec.signature.publicKey.content = b64(Buffer.from(e.spec.signature.publicKey.content, "base64").toString() + "junk")), e)],
    ["PEM with a header", (e) => ((e.spec.signature.publicKey.content = b64(Buffer.from(e.spec.signature.publicKey.content, "base64").toString().replace("-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n"))), e)],
    ["certificate with trailing byte", (e) => ((e.spec.signature.publicKey.content = b64(pem(Buffer.concat([Buffer.from(Buffer.from(e.spec.signature.publicKey.content, "base64").toString().split("\n").slice(1, -2).join(""), "base64"), Buffer.of(0)]), "CERTIFICATE"))), e)],
  ];
  it.each(mutations)("%s → ERR_ENTRY_MALFORMED", (_, mutate) => {
    expect(codeOf(() => prepareRekorV1Entry(mutate(clone(v1Entry().entry))))).toBe("ERR_ENTRY_MALFORMED");
  });

  it("throws BAD_REQUEST DomainErrors", () => {
    try {
      prepareRekorV1Entry({});
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).status).toBe(400);
      expect((e as DomainError).kind).toBe("BAD_REQUEST");
    }
  });

  it.each([["null", null], ["array", []], ["string", "\"x\""], ["number", 5]])("non-object request (%s) → ERR_ENTRY_MALFORMED", (_, v) => {
    expect(codeOf(() => prepareRekorV1Entry(v))).toBe("ERR_ENTRY_MALFORMED");
    expect(codeOf(() => prepareRekorV1Entry(JSON.stringify(v)))).toBe("ERR_ENTRY_MALFORMED");
  });

  it("rejects duplicate member names in the raw request, even when spelled with escapes (SECURITY.md D4)", () => {
    const { entry } = v1Entry();
    const text = JSON.stringify(entry);
    const dupKind = text.replace('"kind":"hashedrekord"', '"kind":"dsse","kind":"hashedrekord"');
    expect(JSON.parse(dupKind).kind).toBe("hashedrekord"); // what a lenient parser would silently read
    expect(codeOf(() => prepareRekorV1Entry(dupKind))).toBe("ERR_ENTRY_MALFORMED");
    const dupEscaped = text.replace('"kind":"hashedrekord"', '"\\u006bind":"dsse","kind":"hashedrekord"');
    expect(codeOf(() => prepareRekorV1Entry(dupEscaped))).toBe("ERR_ENTRY_MALFORMED");
    const dupNested = text.replace('"algorithm":"sha256"', '"algorithm":"sha512","algorithm":"sha256"');
    expect(codeOf(() => prepareRekorV1Entry(Buffer.from(dupNested)))).toBe("ERR_ENTRY_MALFORMED");
    expect(prepareRekorV1Entry(text).kind).toBe("hashedrekord");
  });

  it("rejects 10k-deep nesting, invalid JSON and invalid UTF-8 quickly", () => {
    const deep = `{"kind":"hashedrekord","apiVersion":"0.0.1","spec":${"[".repeat(10_000)}${"]".repeat(10_000)}}`;
    const t = performance.now();
    expect(codeOf(() => prepareRekorV1Entry(deep))).toBe("ERR_ENTRY_MALFORMED");
    expect(performance.now() - t).toBeLessThan(200);
    expect(codeOf(() => prepareRekorV1Entry('{"kind":'))).toBe("ERR_ENTRY_MALFORMED");
    expect(codeOf(() => prepareRekorV1Entry(Buffer.from([0x7b, 0xff, 0x7d])))).toBe("ERR_ENTRY_MALFORMED");
    expect(codeOf(() => prepareRekorV1Entry(Buffer.alloc(4 * 1024 * 1024 + 1, 0x20)))).toBe("ERR_ENTRY_MALFORMED");
  });
});

describe("hashedrekord 0.0.1: digests", () => {
  it.each([
    ["upper-case hex", (v: string) => v.toUpperCase(), "ERR_ENTRY_DIGEST_INVALID"],
    ["too short", (v: string) => v.slice(2), "ERR_ENTRY_DIGEST_INVALID"],
    ["too long", (v: string) => v + "00", "ERR_ENTRY_DIGEST_INVALID"],
    ["not hex", (v: string) => "zz" + v.slice(2), "ERR_ENTRY_DIGEST_INVALID"],
    // Capped by length before any pattern matching.
    ["1 MB value", () => "a".repeat(1 << 20), "ERR_ENTRY_MALFORMED"],
  ])("%s → %s", (_, f, code) => {
    const { entry } = v1Entry();
    entry.spec.data.hash.value = f(entry.spec.data.hash.value);
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe(code);
  });

  it.each(["sha1", "md5", "SHA256", "sha-256", "sha3-256"])("algorithm %s → ERR_ENTRY_DIGEST_INVALID", (alg) => {
    const { entry } = v1Entry();
    entry.spec.data.hash.algorithm = alg;
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe("ERR_ENTRY_DIGEST_INVALID");
  });

  it("a sha256 value under algorithm sha512 → ERR_ENTRY_DIGEST_INVALID", () => {
    const { entry } = v1Entry();
    entry.spec.data.hash.algorithm = "sha512";
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe("ERR_ENTRY_DIGEST_INVALID");
  });
});

describe("hashedrekord 0.0.1: signatures (SECURITY.md C1, C3)", () => {
  it("a signature over another artifact → ERR_ENTRY_SIGNATURE_INVALID", () => {
    const k = key("P-256");
    const { entry } = v1Entry({ key: k, signature: signArtifact(k, Buffer.from("something else")) });
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe("ERR_ENTRY_SIGNATURE_INVALID");
  });

  it("signature by key A with a certificate (or key) for key B → ERR_ENTRY_SIGNATURE_INVALID", () => {
    const a = key("P-256");
    const b = newKey("P-256");
    const artifact = Buffer.from("swap");
    expect(codeOf(() => prepareRekorV1Entry(v1Entry({ key: b, artifact, signature: signArtifact(a, artifact) }).entry))).toBe("ERR_ENTRY_SIGNATURE_INVALID");
    expect(codeOf(() => prepareRekorV1Entry(v1Entry({ key: b, cert: null, artifact, signature: signArtifact(a, artifact) }).entry))).toBe("ERR_ENTRY_SIGNATURE_INVALID");
  });

  it("raw r‖s (WebCrypto's IEEE P1363 form) is refused where DER is required", () => {
    const k = key("P-256");
    const artifact = Buffer.from("webcrypto");
    const raw = crypto.sign("sha256", artifact, { key: k.privateKey, dsaEncoding: "ieee-p1363" });
    expect(raw.length).toBe(64);
    expect(codeOf(() => prepareRekorV1Entry(v1Entry({ key: k, artifact, signature: raw }).entry))).toBe("ERR_ENTRY_SIGNATURE_INVALID");
    const der = crypto.sign("sha256", artifact, k.privateKey);
    expect(prepareRekorV1Entry(v1Entry({ key: k, artifact, signature: der }).entry).kind).toBe("hashedrekord");
  });

  it("BER variants of a valid DER signature are refused (long-form length, padded integer, trailing byte)", () => {
    const k = key("P-256");
    const artifact = Buffer.from("ber");
    const der = crypto.sign("sha256", artifact, k.privateKey);
    const longForm = Buffer.concat([Buffer.of(0x30, 0x81, der[1]!), der.subarray(2)]);
    const trailing = Buffer.concat([der, Buffer.of(0)]);
    const r = der.subarray(4, 4 + der[3]!);
    const s = der.subarray(4 + der[3]! + 2);
    const padR = Buffer.concat([Buffer.of(0x02, r.length + 1, 0x00), r]);
    const sPart = Buffer.concat([Buffer.of(0x02, s.length), s]);
    const padded = Buffer.concat([Buffer.of(0x30, padR.length + sPart.length), padR, sPart]);
    for (const sig of [longForm, trailing, padded]) {
      expect(codeOf(() => prepareRekorV1Entry(v1Entry({ key: k, artifact, signature: sig }).entry))).toBe("ERR_ENTRY_SIGNATURE_INVALID");
    }
  });

  it("an RSA signature of the wrong length → ERR_ENTRY_SIGNATURE_INVALID", () => {
    const k = key("RSA-2048");
    const artifact = Buffer.from("rsa");
    const sig = signArtifact(k, artifact);
    expect(codeOf(() => prepareRekorV1Entry(v1Entry({ key: k, artifact, signature: sig.subarray(1) }).entry))).toBe("ERR_ENTRY_SIGNATURE_INVALID");
  });

  it("a signature over 1 KiB → ERR_ENTRY_MALFORMED", () => {
    const { entry } = v1Entry();
    entry.spec.signature.content = b64(Buffer.alloc(1025, 1));
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe("ERR_ENTRY_MALFORMED");
  });
});

function rsaSpki(modulus: Buffer): Buffer {
  const int = (b: Uint8Array) => encodeTlv(TAG.INTEGER, b[0]! & 0x80 ? concatBytes(Uint8Array.of(0), b) : b);
  const rsaKey = encodeTlv(TAG.SEQUENCE, concatBytes(int(modulus), int(Uint8Array.of(1, 0, 1))));
  const algId = encodeTlv(TAG.SEQUENCE, concatBytes(encodeTlv(TAG.OID, encodeOidContent("1.2.840.113549.1.1.1")), encodeTlv(TAG.NULL, new Uint8Array())));
  return Buffer.from(encodeTlv(TAG.SEQUENCE, concatBytes(algId, encodeTlv(TAG.BIT_STRING, concatBytes(Uint8Array.of(0), rsaKey)))));
}

function ecSpki(curveOid: string, point: Uint8Array): Buffer {
  const algId = encodeTlv(TAG.SEQUENCE, concatBytes(encodeTlv(TAG.OID, encodeOidContent("1.2.840.10045.2.1")), encodeTlv(TAG.OID, encodeOidContent(curveOid))));
  return Buffer.from(encodeTlv(TAG.SEQUENCE, concatBytes(algId, encodeTlv(TAG.BIT_STRING, concatBytes(Uint8Array.of(0), point)))));
}

describe("hashedrekord 0.0.1: key policy (SECURITY.md B2)", () => {
  const withKey = (spki: Buffer, asCert: boolean) => {
    const { entry } = v1Entry({ cert: null });
    entry.spec.signature.publicKey.content = b64(asCert ? pem(makeCertificate({ spki }), "CERTIFICATE") : pem(spki, "PUBLIC KEY"));
    return entry;
  };

  it.each([false, true])("Ed25519 cannot be verified over a digest (as a certificate: %s) → ERR_ENTRY_KEY_UNSUPPORTED", (asCert) => {
    const k = key("Ed25519");
    const { entry } = v1Entry({ key: k, cert: asCert ? certFor(k) : null, signature: crypto.sign(null, Buffer.from("x"), k.privateKey) });
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe("ERR_ENTRY_KEY_UNSUPPORTED");
  });

  it.each([false, true])("RSA-1024 (as a certificate: %s) → ERR_ENTRY_KEY_UNSUPPORTED", (asCert) => {
    const k = key("RSA-1024");
    expect(codeOf(() => prepareRekorV1Entry(v1Entry({ key: k, cert: asCert ? certFor(k) : null }).entry))).toBe("ERR_ENTRY_KEY_UNSUPPORTED");
  });

  it.each([false, true])("RSA over 4096 bits (as a certificate: %s) → ERR_ENTRY_KEY_UNSUPPORTED", (asCert) => {
    const modulus = Buffer.concat([Buffer.of(0x01), crypto.randomBytes(512)]);
    modulus[modulus.length - 1]! |= 1;
    expect(codeOf(() => prepareRekorV1Entry(withKey(rsaSpki(modulus), asCert)))).toBe("ERR_ENTRY_KEY_UNSUPPORTED");
  });

  it.each([false, true])("P-192 (as a certificate: %s) → ERR_ENTRY_KEY_UNSUPPORTED", (asCert) => {
    const point = Buffer.concat([Buffer.of(4), crypto.randomBytes(48)]);
    expect(codeOf(() => prepareRekorV1Entry(withKey(ecSpki("1.2.840.10045.3.1.1", point), asCert)))).toBe("ERR_ENTRY_KEY_UNSUPPORTED");
  });

  it.each([false, true])("a P-256 point that is not on the curve (as a certificate: %s) → ERR_ENTRY_KEY_UNSUPPORTED", (asCert) => {
    const spki = Buffer.from(key("P-256").spki);
    spki[spki.length - 1]! ^= 1;
    expect(codeOf(() => prepareRekorV1Entry(withKey(spki, asCert)))).toBe("ERR_ENTRY_KEY_UNSUPPORTED");
  });

  it("a compressed or truncated EC point, and an SPKI with a trailing byte → ERR_ENTRY_KEY_UNSUPPORTED", () => {
    const spki = key("P-256").spki;
    const point = spki.subarray(spki.length - 65);
    const compressed = Buffer.concat([Buffer.of(2 + (point[64]! & 1)), point.subarray(1, 33)]);
    expect(codeOf(() => prepareRekorV1Entry(withKey(ecSpki("1.2.840.10045.3.1.7", compressed), false)))).toBe("ERR_ENTRY_KEY_UNSUPPORTED");
    expect(codeOf(() => prepareRekorV1Entry(withKey(ecSpki("1.2.840.10045.3.1.7", point.subarray(0, 64)), false)))).toBe("ERR_ENTRY_KEY_UNSUPPORTED");
    expect(codeOf(() => prepareRekorV1Entry(withKey(Buffer.concat([spki, Buffer.of(0)]), false)))).toBe("ERR_ENTRY_KEY_UNSUPPORTED");
  });

  it("a PEM label other than CERTIFICATE / PUBLIC KEY → ERR_ENTRY_KEY_UNSUPPORTED", () => {
    const { entry } = v1Entry({ cert: null });
    entry.spec.signature.publicKey.content = b64(pem(key("P-256").spki, "PUBLIC KEY").replace(/PUBLIC KEY/g, "RSA PUBLIC KEY"));
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe("ERR_ENTRY_KEY_UNSUPPORTED");
  });

  it("a certificate over 64 KiB is refused before parsing", () => {
    const { entry } = v1Entry({ cert: null });
    entry.spec.signature.publicKey.content = b64(pem(Buffer.alloc(64 * 1024 + 1, 0x30), "CERTIFICATE"));
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe("ERR_ENTRY_MALFORMED");
  });

  it("a certificate whose identity contains NUL (unstorable in PostgreSQL text) → ERR_ENTRY_MALFORMED", () => {
    const k = key("P-256");
    const cert = makeCertificate({ spki: k.spki, san: { kind: "email", value: "a\0b@example.test" }, issuer: "http://localhost" });
    expect(codeOf(() => prepareRekorV1Entry(v1Entry({ key: k, cert }).entry))).toBe("ERR_ENTRY_MALFORMED");
  });

  it("an identity or issuer too long for the search index → ERR_ENTRY_MALFORMED", () => {
    const k = key("P-256");
    const longSan = makeCertificate({ spki: k.spki, san: { kind: "uri", value: `https://example.test/${"a".repeat(2100)}` }, issuer: "http://localhost" });
    expect(codeOf(() => prepareRekorV1Entry(v1Entry({ key: k, cert: longSan }).entry))).toBe("ERR_ENTRY_MALFORMED");
    const longIssuer = makeCertificate({ spki: k.spki, san: { kind: "email", value: "a@example.test" }, issuer: `https://${"é".repeat(1100)}` });
    expect(codeOf(() => prepareRekorV1Entry(v1Entry({ key: k, cert: longIssuer }).entry))).toBe("ERR_ENTRY_MALFORMED");
    const justFits = makeCertificate({ spki: k.spki, san: { kind: "uri", value: `https://example.test/${"a".repeat(2000)}` }, issuer: "http://localhost" });
    expect(prepareRekorV1Entry(v1Entry({ key: k, cert: justFits }).entry).search.identity).toHaveLength(2021);
  });

  it("a malformed Fulcio issuer extension → ERR_ENTRY_MALFORMED", () => {
    const k = key("P-256");
    const cert = makeCertificate({ spki: k.spki, san: { kind: "email", value: "a@example.test" }, issuerRaw: Uint8Array.of(0x04, 0x01, 0x41) });
    expect(codeOf(() => prepareRekorV1Entry(v1Entry({ key: k, cert }).entry))).toBe("ERR_ENTRY_MALFORMED");
  });
});

describe("kind and version dispatch (SECURITY.md D5)", () => {
  it.each(["rekord", "intoto", "rfc3161", "alpine", "helm", "jar", "rpm", "tuf", "cose", "HashedRekord", ""])("kind %j → ERR_ENTRY_UNSUPPORTED_KIND (or MALFORMED when empty)", (kind) => {
    const { entry } = v1Entry();
    entry.kind = kind;
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe(kind === "" ? "ERR_ENTRY_MALFORMED" : "ERR_ENTRY_UNSUPPORTED_KIND");
  });

  it.each(["0.0.2", "0.0.3", "0.1.0", "v0.0.1"])("hashedrekord apiVersion %s with a 0.0.1 spec → mismatch or unsupported", (v) => {
    const { entry } = v1Entry();
    entry.apiVersion = v;
    expect(codeOf(() => prepareRekorV1Entry(entry))).toBe(v === "0.0.2" ? "ERR_ENTRY_KIND_MISMATCH" : "ERR_ENTRY_UNSUPPORTED_KIND");
  });

  it("kind hashedrekord with a DSSE-shaped spec → ERR_ENTRY_KIND_MISMATCH", () => {
    const spec = { proposedContent: { envelope: "{}", verifiers: ["eA=="] } };
    expect(codeOf(() => prepareRekorV1Entry({ kind: "hashedrekord", apiVersion: "0.0.1", spec }))).toBe("ERR_ENTRY_KIND_MISMATCH");
  });

  it("kind dsse with a hashedrekord-shaped spec → ERR_ENTRY_KIND_MISMATCH", () => {
    const { entry } = v1Entry();
    expect(codeOf(() => prepareRekorV1Entry({ ...entry, kind: "dsse" }))).toBe("ERR_ENTRY_KIND_MISMATCH");
  });

  it("hashedrekord 0.0.1 carrying a 0.0.2 spec → ERR_ENTRY_KIND_MISMATCH; 0.0.2 on the v1 API → ERR_ENTRY_UNSUPPORTED_KIND", () => {
    const v2 = { digest: "AAAA", signature: { content: "AAAA", verifier: { keyDetails: "PKIX_ECDSA_P256_SHA_256", publicKey: { rawBytes: "AAAA" } } } };
    expect(codeOf(() => prepareRekorV1Entry({ kind: "hashedrekord", apiVersion: "0.0.1", spec: v2 }))).toBe("ERR_ENTRY_KIND_MISMATCH");
    expect(codeOf(() => prepareRekorV1Entry({ kind: "hashedrekord", apiVersion: "0.0.1", spec: { hashedRekordV002: v2 } }))).toBe("ERR_ENTRY_KIND_MISMATCH");
    expect(codeOf(() => prepareRekorV1Entry({ kind: "hashedrekord", apiVersion: "0.0.2", spec: { hashedRekordV002: v2 } }))).toBe("ERR_ENTRY_UNSUPPORTED_KIND");
  });

  it("an intoto 0.0.2-shaped spec under hashedrekord → ERR_ENTRY_KIND_MISMATCH", () => {
    expect(codeOf(() => prepareRekorV1Entry({ kind: "hashedrekord", apiVersion: "0.0.1", spec: { content: { envelope: {} } } }))).toBe("ERR_ENTRY_KIND_MISMATCH");
  });

  it("a v2 CreateEntryRequest sent to the v1 API → ERR_ENTRY_KIND_MISMATCH", () => {
    expect(codeOf(() => prepareRekorV1Entry({ hashedRekordRequestV002: {} }))).toBe("ERR_ENTRY_KIND_MISMATCH");
  });
});
