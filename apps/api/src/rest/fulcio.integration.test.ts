/**
 * The CA over HTTP with the real dev IdP, the real HSM (SoftHSM2) and PostgreSQL: Fulcio-compatible
 * issuance with an embedded SCT from Signet's own CT log, the trust bundle and configuration, the
 * RFC 3161 TSA, the published trusted root, and the error paths (SECURITY.md A, B).
 */
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCertificate } from "@signet/crypto/x509/certificate";
import { verifyEmbeddedScts } from "@signet/crypto/x509/sct";
import { parseTrustedRoot } from "@signet/crypto/trust/trusted-root";
import { readFulcioIssuer, readSignerIdentity } from "@signet/crypto/x509/fulcio-extensions";
import { startTestApi, type TestApi } from "../testing/api.ts";
import { startTestIdp, type TestIdp } from "../testing/idp.ts";

describe("certificate authority over HTTP (dev IdP, SoftHSM2, PostgreSQL)", () => {
  let idp: TestIdp;
  let api: TestApi;

  beforeAll(async () => {
    idp = await startTestIdp();
    api = await startTestApi({ SIGNET_IDP_ISSUER: idp.issuer });
  });
  afterAll(async () => {
    await api?.stop();
    await idp?.stop();
  });

  async function request(token: string, opts: { challenge?: string; key?: crypto.KeyPairKeyObjectResult } = {}) {
    const key = opts.key ?? crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pem = key.publicKey.export({ type: "spki", format: "pem" }) as string;
    const proof = crypto.sign("sha256", Buffer.from(opts.challenge ?? "dev@example.test"), key.privateKey).toString("base64");
    return fetch(`${api.base}/api/v2/signingCert`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ credentials: { oidcIdentityToken: token }, publicKeyRequest: { publicKey: { algorithm: "ECDSA", content: pem }, proofOfPossession: proof } }),
    });
  }

  it("issues a Fulcio-profile certificate with an SCT from Signet's CT log, and records it", async () => {
    const token = await idp.token({ email: "dev@example.test" });
    const res = await request(token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { signedCertificateEmbeddedSct: { chain: { certificates: string[] } } };
    const [leafPem, interPem, rootPem] = body.signedCertificateEmbeddedSct.chain.certificates;
    expect(rootPem).toBeDefined();
    const der = (pem: string) => new Uint8Array(new crypto.X509Certificate(pem).raw);
    const leaf = parseCertificate(der(leafPem!));
    const inter = parseCertificate(der(interPem!));
    expect(readSignerIdentity(leaf)).toBe("dev@example.test");
    expect(readFulcioIssuer(leaf)).toBe(idp.issuer);
    expect(leaf.notAfter - leaf.notBefore).toBeLessThanOrEqual(10 * 60 * 1000);
    expect(leaf.basicConstraints?.ca ?? false).toBe(false);
    expect(new crypto.X509Certificate(leafPem!).verify(new crypto.X509Certificate(interPem!).publicKey)).toBe(true);

    const root = parseTrustedRoot(await (await fetch(`${api.base}/.well-known/signet/trusted_root.json`)).json());
    const scts = await verifyEmbeddedScts(leaf, inter, root.ctlogs);
    expect(scts).toHaveLength(1);
    expect(api.app.ctLog.size).toBeGreaterThanOrEqual(1n);

    const input = encodeURIComponent(JSON.stringify({ identity: "dev@example.test" }));
    const found = (await (await fetch(`${api.base}/trpc/certificates.byIdentity?input=${input}`)).json()) as { result: { data: { serial: string; fingerprint: string }[] } };
    expect(found.result.data.map((c) => c.fingerprint)).toContain(crypto.createHash("sha256").update(der(leafPem!)).digest("hex"));
  });

  it("serves the trust bundle, the issuers configuration and the signing config", async () => {
    const tb = await fetch(`${api.base}/api/v2/trustBundle`);
    const bundle = (await tb.json()) as { chains: { certificates: string[] }[] };
    expect(tb.status, JSON.stringify(bundle)).toBe(200);
    expect(bundle.chains[0]!.certificates.length).toBeGreaterThanOrEqual(2);
    const conf = (await (await fetch(`${api.base}/api/v2/configuration`)).json()) as { issuers: { issuerUrl?: string }[] };
    expect(conf.issuers.map((i) => i.issuerUrl)).toContain(idp.issuer);
    const sc = (await (await fetch(`${api.base}/.well-known/signet/signing_config.json`)).json()) as { caUrls: { url: string }[]; tsaUrls: { url: string }[] };
    expect(sc.caUrls[0]!.url).toBe(api.base);
    expect(sc.tsaUrls[0]!.url).toBe(`${api.base}/api/v1/timestamp`);
  });

  it("answers timestamp requests (JSON and DER) with a TimeStampResp and serves the chain", async () => {
    const res = await fetch(`${api.base}/api/v1/timestamp`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ artifactHash: crypto.randomBytes(32).toString("base64"), hashAlgorithm: "sha256", certificates: true, nonce: 42 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/timestamp-reply");
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(200);
    const chain = await fetch(`${api.base}/api/v1/timestamp/certchain`);
    expect(await chain.text()).toContain("BEGIN CERTIFICATE");
    const bad = await fetch(`${api.base}/api/v1/timestamp`, { method: "POST", headers: { "content-type": "application/timestamp-query" }, body: Buffer.from([0x30, 0x03, 0x02, 0x01, 0x09]) });
    expect(bad.status).toBe(400);
    const huge = await fetch(`${api.base}/api/v1/timestamp`, { method: "POST", headers: { "content-type": "application/timestamp-query" }, body: Buffer.alloc(5000) });
    expect(huge.status).toBe(413);
  });

  it.each([
    ["a wrong audience", { email: "dev@example.test", audience: "other" }, 401],
    ["an expired-in-one-second token is fine, but a garbage token", "garbage", 401],
  ] as const)("refuses %s", async (_name, tokenReq, status) => {
    const token = typeof tokenReq === "string" ? tokenReq : await idp.token(tokenReq);
    const res = await request(token);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { code: string }).code).toMatch(/^ERR_OIDC_/);
  });

  it("refuses an oversized token before parsing it (A1), and a proof of possession over another subject (B1)", async () => {
    const big = await request("a".repeat(20_000) + "." + "b".repeat(10));
    expect(big.status).toBeGreaterThanOrEqual(400);
    expect(big.status).toBeLessThan(500);
    const token = await idp.token({ email: "dev@example.test" });
    const wrong = await request(token, { challenge: "someone@example.test" });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { code: string }).code).toMatch(/^ERR_CA_/);
  });

  it("fails closed with 503 within 5 s when the HSM sidecar dies, and recovers without a restart (B5, G-S1)", async () => {
    const token = await idp.token({ email: "dev@example.test" });
    await api.hsm.kill("SIGKILL");
    const started = Date.now();
    const down = await request(token);
    expect(Date.now() - started).toBeLessThan(5_500);
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).not.toBeNull();
    const before = await api.db.issuedCertificate.count();
    await api.hsm.restart();
    let ok = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      ok = (await request(token)).status;
      if (ok === 200) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(ok).toBe(200);
    expect(await api.db.issuedCertificate.count()).toBe(before + 1);
  });

  it("refuses weak keys (B2) and malformed requests with 4xx codes", async () => {
    const token = await idp.token({ email: "dev@example.test" });
    const weak = await request(token, { key: crypto.generateKeyPairSync("ec", { namedCurve: "prime192v1" }) as crypto.KeyPairKeyObjectResult });
    expect(weak.status).toBe(400);
    const malformed = await fetch(`${api.base}/api/v2/signingCert`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ credentials: {} }) });
    expect(malformed.status).toBe(400);
  });
});
