import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { prepareRekorV2Entry } from "./prepare.ts";
import { b64, certFor, codeOf, key, newKey, v2Request } from "./test-support.ts";

type Request = ReturnType<typeof v2Request>["request"];
type Inner = Request["hashedRekordRequestV002"];
const inner = (r: Request) => r.hashedRekordRequestV002 as Inner & Record<string, unknown>;

describe("hashedrekord 0.0.2: accepted requests", () => {
  it("rebuilds the canonical body of INTEROP.md §3 (certificate verifier)", () => {
    const { request, cert, digest, signature } = v2Request();
    const e = prepareRekorV2Entry(request);
    expect(e.kind).toBe("hashedrekord");
    expect(e.apiVersion).toBe("0.0.2");
    expect(e.body.toString()).toBe(
      `{"apiVersion":"0.0.2","kind":"hashedrekord","spec":{"hashedRekordV002":{"data":{"algorithm":"SHA2_256","digest":"${b64(digest)}"},` +
        `"signature":{"content":"${b64(signature)}","verifier":{"keyDetails":"PKIX_ECDSA_P256_SHA_256","x509Certificate":{"rawBytes":"${b64(cert!)}"}}}}}}`,
    );
    expect(e.leafHash.equals(crypto.hash("sha256", Buffer.concat([Buffer.of(0), e.body]), "buffer"))).toBe(true);
    expect(e.search).toEqual({
      artifactDigest: `sha256:${digest.toString("hex")}`,
      identity: "dev@example.test",
      issuer: "http://localhost:8081",
      certFingerprint: crypto.hash("sha256", cert!, "hex"),
    });
  });

  it("accepts a bare public key and indexes its SPKI fingerprint", () => {
    const { request, key: k } = v2Request({ cert: null });
    const e = prepareRekorV2Entry(request);
    expect(e.body.toString()).toContain(`"verifier":{"keyDetails":"PKIX_ECDSA_P256_SHA_256","publicKey":{"rawBytes":"${b64(k.spki)}"}}`);
    expect(e.search).toEqual({ artifactDigest: expect.stringMatching(/^sha256:/), certFingerprint: crypto.hash("sha256", k.spki, "hex") });
  });

  it.each([
    ["P-384", "SHA2_384", "sha384"],
    ["P-521", "SHA2_512", "sha512"],
    ["RSA-2048", "SHA2_256", "sha256"],
  ] as const)("%s: digest algorithm follows keyDetails (%s)", (kind, proto, alg) => {
    const e = prepareRekorV2Entry(v2Request({ key: key(kind) }).request);
    expect(JSON.parse(e.body.toString()).spec.hashedRekordV002.data.algorithm).toBe(proto);
    expect(e.search.artifactDigest).toMatch(new RegExp(`^${alg}:`));
  });

  it("accepts raw bytes and reordered JSON with the same leaf hash", () => {
    const { request } = v2Request();
    const a = prepareRekorV2Entry(request);
    const i = request.hashedRekordRequestV002;
    const v = i.signature.verifier as { keyDetails: string; x509Certificate: { rawBytes: string } };
    const text = `{ "hashedRekordRequestV002" : { "signature": { "verifier": { "x509Certificate": {"rawBytes":"${v.x509Certificate.rawBytes}"}, "keyDetails": "PKIX_ECDSA_P256_SHA_256" }, "content": "${i.signature.content}" }, "digest": "${i.digest}" } }`;
    const b = prepareRekorV2Entry(Buffer.from(text));
    expect(b.leafHash.equals(a.leafHash)).toBe(true);
  });
});

describe("hashedrekord 0.0.2: rejections", () => {
  it("keyDetails naming another key than the verifier's → ERR_ENTRY_KEY_UNSUPPORTED", () => {
    expect(codeOf(() => prepareRekorV2Entry(v2Request({ key: key("P-256"), keyDetails: "PKIX_ECDSA_P384_SHA_384" }).request))).toBe("ERR_ENTRY_KEY_UNSUPPORTED");
    expect(codeOf(() => prepareRekorV2Entry(v2Request({ key: key("RSA-2048"), keyDetails: "PKIX_RSA_PKCS1V15_4096_SHA256" }).request))).toBe("ERR_ENTRY_KEY_UNSUPPORTED");
    // The digest is the right length for P-256 details, the key is P-384: still a mismatch.
    const { request } = v2Request({ key: key("P-384"), keyDetails: "PKIX_ECDSA_P256_SHA_256" });
    inner(request).digest = b64(crypto.randomBytes(32));
    expect(codeOf(() => prepareRekorV2Entry(request))).toBe("ERR_ENTRY_KEY_UNSUPPORTED");
  });

  it.each(["PKIX_ED25519", "PKIX_ED25519_PH", "PKIX_RSA_PSS_2048_SHA256", "PKIX_ECDSA_P384_SHA_256", "PKIX_ECDSA_P256_HMAC_SHA_256", "pkix_ecdsa_p256_sha_256", "UNKNOWN"])(
    "keyDetails %s → ERR_ENTRY_KEY_UNSUPPORTED",
    (kd) => {
      expect(codeOf(() => prepareRekorV2Entry(v2Request({ keyDetails: kd }).request))).toBe("ERR_ENTRY_KEY_UNSUPPORTED");
    },
  );

  it("an Ed25519 key → ERR_ENTRY_KEY_UNSUPPORTED", () => {
    const k = key("Ed25519");
    const req = { hashedRekordRequestV002: { digest: b64(crypto.randomBytes(32)), signature: { content: b64(crypto.sign(null, Buffer.from("x"), k.privateKey)), verifier: { publicKey: { rawBytes: b64(k.spki) }, keyDetails: "PKIX_ED25519" } } } };
    expect(codeOf(() => prepareRekorV2Entry(req))).toBe("ERR_ENTRY_KEY_UNSUPPORTED");
  });

  it("a digest of the wrong length for keyDetails → ERR_ENTRY_DIGEST_INVALID", () => {
    for (const d of [crypto.randomBytes(31), crypto.randomBytes(48), crypto.randomBytes(20)]) {
      const { request } = v2Request();
      inner(request).digest = b64(d);
      expect(codeOf(() => prepareRekorV2Entry(request))).toBe("ERR_ENTRY_DIGEST_INVALID");
    }
    // Hex text happens to be valid base64, of 48 bytes: still the wrong length for SHA2_256.
    const { request } = v2Request();
    inner(request).digest = crypto.randomBytes(32).toString("hex");
    expect(codeOf(() => prepareRekorV2Entry(request))).toBe("ERR_ENTRY_DIGEST_INVALID");
  });

  it("a signature over another digest, or by another key → ERR_ENTRY_SIGNATURE_INVALID", () => {
    const { request } = v2Request();
    inner(request).digest = b64(crypto.randomBytes(32));
    expect(codeOf(() => prepareRekorV2Entry(request))).toBe("ERR_ENTRY_SIGNATURE_INVALID");
    const other = newKey("P-256");
    const r2 = v2Request({ cert: certFor(other) });
    expect(codeOf(() => prepareRekorV2Entry(r2.request))).toBe("ERR_ENTRY_SIGNATURE_INVALID");
    const r3 = v2Request();
    r3.request.hashedRekordRequestV002.signature.content = b64(crypto.sign("sha256", Buffer.from("x"), { key: key("P-256").privateKey, dsaEncoding: "ieee-p1363" }));
    expect(codeOf(() => prepareRekorV2Entry(r3.request))).toBe("ERR_ENTRY_SIGNATURE_INVALID");
  });

  const structural: [string, (r: Request) => unknown][] = [
    ["both certificate and key", (r) => (((inner(r).signature.verifier as Record<string, unknown>).publicKey = { rawBytes: b64(key("P-256").spki) }), r)],
    ["neither certificate nor key", (r) => (delete (inner(r).signature.verifier as Record<string, unknown>).x509Certificate, r)],
    ["numeric keyDetails", (r) => (((inner(r).signature.verifier as Record<string, unknown>).keyDetails = 5), r)],
    ["missing keyDetails", (r) => (delete (inner(r).signature.verifier as Record<string, unknown>).keyDetails, r)],
    ["null verifier", (r) => (((inner(r).signature as Record<string, unknown>).verifier = null), r)],
    ["empty digest", (r) => ((inner(r).digest = ""), r)],
    ["url-safe base64 certificate", (r) => (((inner(r).signature.verifier as { x509Certificate: { rawBytes: string } }).x509Certificate.rawBytes = "-_" + "A".repeat(2)), r)],
    ["unknown field", (r) => ((inner(r).extra = 1), r)],
    ["snake_case field name", (r) => ({ hashed_rekord_request_v002: r.hashedRekordRequestV002 })],
    ["a data object (canonical-body shape)", (r) => ((inner(r).data = { algorithm: "SHA2_256", digest: inner(r).digest }), r)],
    ["empty request", () => ({})],
    ["array request", (r) => [r]],
    ["a certificate that is not DER", (r) => (((inner(r).signature.verifier as { x509Certificate: { rawBytes: string } }).x509Certificate.rawBytes = b64("not a certificate")), r)],
  ];
  it.each(structural)("%s → ERR_ENTRY_MALFORMED", (_, mutate) => {
    expect(codeOf(() => prepareRekorV2Entry(mutate(structuredClone(v2Request().request))))).toBe("ERR_ENTRY_MALFORMED");
  });

  it("dsseRequestV002 → ERR_ENTRY_UNSUPPORTED_KIND (DSSE is not a v2 type here)", () => {
    expect(codeOf(() => prepareRekorV2Entry({ dsseRequestV002: { envelope: {}, verifiers: [] } }))).toBe("ERR_ENTRY_UNSUPPORTED_KIND");
  });

  it("a v1 ProposedEntry sent to the v2 API, or a v1-shaped inner request → ERR_ENTRY_KIND_MISMATCH", () => {
    expect(codeOf(() => prepareRekorV2Entry({ kind: "hashedrekord", apiVersion: "0.0.2", spec: {} }))).toBe("ERR_ENTRY_KIND_MISMATCH");
    const v1Spec = { data: { hash: { algorithm: "sha256", value: "00" } }, signature: { content: "AA==", publicKey: { content: "AA==" } } };
    expect(codeOf(() => prepareRekorV2Entry({ hashedRekordRequestV002: v1Spec }))).toBe("ERR_ENTRY_KIND_MISMATCH");
    expect(codeOf(() => prepareRekorV2Entry({ hashedRekordRequestV002: { proposedContent: {} } }))).toBe("ERR_ENTRY_KIND_MISMATCH");
  });

  it("rejects duplicate member names in raw input", () => {
    const text = JSON.stringify(v2Request().request).replace('"digest":', '"digest":"AAAA","digest":');
    expect(codeOf(() => prepareRekorV2Entry(text))).toBe("ERR_ENTRY_MALFORMED");
  });
});
