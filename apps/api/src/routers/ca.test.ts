// ca.issueForSession through the real router and a real CA over the test key ceremony; sessions and
// passkeys are in-memory doubles (the database-backed ones are covered by the auth integration tests).
import { generateKeyPairSync, sign, X509Certificate } from "node:crypto";
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FULCIO_OIDS, readFulcioIssuer } from "@signet/crypto/x509/fulcio-extensions";
import { findExtension, parseCertificate } from "@signet/crypto/x509/certificate";
import { parsePem } from "@signet/crypto/pem";
import { createCaller } from "../root.ts";
import type { Session, SessionStore, PasskeyService } from "../services/auth/index.ts";
import { SIGNET_PASSKEY_OID } from "../services/ca/certificate.ts";
import { createMemoryCtLog } from "../services/ca/ct-log.ts";
import { createCertificateAuthority, type CertificateAuthority } from "../services/ca/issue.ts";
import { createTestCa, type TestCa } from "../services/ca/testing.ts";
import type { HealthService } from "../services/health.ts";
import type { Services } from "../services/index.ts";
import { toSessionIdentity } from "./ca.ts";

const SESSION_ID = "s".repeat(43);
const ISSUER = "http://localhost:8681";

let testCa: TestCa;
let ca: CertificateAuthority;
beforeAll(async () => {
  testCa = await createTestCa();
  ca = createCertificateAuthority({
    rootCert: testCa.ceremony.root.der,
    intermediateCert: testCa.ceremony.intermediate.der,
    signer: testCa.signer("ca-intermediate"),
    ctLog: createMemoryCtLog({ signer: testCa.signer("ct-log") }),
  });
});
afterAll(async () => {
  await rm(testCa.dir, { recursive: true, force: true });
});

function session(over: Partial<Session> = {}): Session {
  return {
    idHash: new Uint8Array(32),
    identity: { issuer: ISSUER, subject: "user-1", email: "dev@example.test" },
    createdAt: new Date(),
    expiresAt: new Date(Date.now() + 3_600_000),
    passkeyVerifiedAt: null,
    ...over,
  };
}

function callerFor(s: Session | undefined, opts: { hasPasskey?: boolean; ca?: CertificateAuthority | undefined; limited?: string[] } = {}) {
  const sessions = { resolve: async (id: string | undefined) => (id === SESSION_ID ? s : undefined) } as unknown as SessionStore;
  const passkeys = { hasPasskey: async () => opts.hasPasskey ?? false } as unknown as PasskeyService;
  const services: Services = {
    health: {} as HealthService,
    auth: { sessions, passkeys, loginIssuers: { issuers: [] }, allowPlainCookie: true, limit: (key) => void opts.limited?.push(key) },
    ...("ca" in opts ? (opts.ca === undefined ? {} : { ca: opts.ca }) : { ca }),
  };
  return createCaller({ services, clientAddress: "127.0.0.1", cookie: `signet_session=${SESSION_ID}` });
}

function keyAndProof(challenge = "dev@example.test") {
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    publicKey: key.publicKey.export({ type: "spki", format: "pem" }) as string,
    proofOfPossession: sign("sha256", Buffer.from(challenge), key.privateKey).toString("base64"),
  };
}

async function codeOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: string; cause?: { code?: string } };
    return [err.code, err.cause?.code];
  }
  return "resolved";
}

describe("ca.issueForSession", () => {
  it("issues a Fulcio-shaped chain for the session's email and issuer, rate-limited per address and identity", async () => {
    const limited: string[] = [];
    const r = await callerFor(session(), { limited }).ca.issueForSession(keyAndProof());
    const pems = r.signedCertificateEmbeddedSct.chain.certificates;
    expect(pems).toHaveLength(3);
    const leaf = parseCertificate(parsePem(pems[0]!, "CERTIFICATE"));
    expect(leaf.subjectAltNames).toEqual([{ kind: "email", value: "dev@example.test" }]);
    expect(readFulcioIssuer(leaf)).toBe(ISSUER);
    expect(findExtension(leaf, FULCIO_OIDS.issuerV1)).toBeDefined();
    expect(new X509Certificate(pems[0]!).verify(new X509Certificate(pems[1]!).publicKey)).toBe(true);
    expect(limited).toEqual(["ca:127.0.0.1", `ca:${ISSUER} user-1`]);
  });

  it("marks a passkey-verified session's certificate with Signet's passkey extension", async () => {
    const r = await callerFor(session({ passkeyVerifiedAt: new Date() }), { hasPasskey: true }).ca.issueForSession(keyAndProof());
    // Node (OpenSSL) parses it; the OID's 128-bit arc is beyond @signet/crypto's OID reader (see docs/signing.md).
    const der = new X509Certificate(r.signedCertificateEmbeddedSct.chain.certificates[0]!).raw;
    expect(der.includes(Buffer.from([0x0c, 7, ...Buffer.from("passkey")]))).toBe(true);
    expect(toSessionIdentity(session({ passkeyVerifiedAt: new Date() })).extensions[SIGNET_PASSKEY_OID]).toBe("passkey");
    expect(toSessionIdentity(session()).extensions[SIGNET_PASSKEY_OID]).toBeUndefined();
  });

  it("refuses while a passkey check is owed, without a session, and without a CA", async () => {
    expect(await codeOf(callerFor(session(), { hasPasskey: true }).ca.issueForSession(keyAndProof()))).toEqual(["FORBIDDEN", "ERR_AUTH_PASSKEY_REQUIRED"]);
    expect(await codeOf(callerFor(undefined).ca.issueForSession(keyAndProof()))).toEqual(["UNAUTHORIZED", "ERR_AUTH_NO_SESSION"]);
    expect(await codeOf(callerFor(session(), { ca: undefined }).ca.issueForSession(keyAndProof()))).toEqual(["SERVICE_UNAVAILABLE", "ERR_CA_UNAVAILABLE"]);
  });

  it("requires a proof over the session's own email and a PEM key", async () => {
    const c = callerFor(session());
    expect(await codeOf(c.ca.issueForSession(keyAndProof("someone@else.test")))).toEqual(["BAD_REQUEST", "ERR_CA_PROOF_INVALID"]);
    const good = keyAndProof();
    expect(await codeOf(c.ca.issueForSession({ ...good, proofOfPossession: "not base64!" }))).toEqual(["BAD_REQUEST", "ERR_CA_BAD_REQUEST"]);
    expect(await codeOf(c.ca.issueForSession({ ...good, publicKey: "MFkwEwYHKoZIzj0CAQ==" }))).toEqual(["BAD_REQUEST", "ERR_CA_BAD_PUBLIC_KEY"]);
    const other = keyAndProof();
    expect(await codeOf(c.ca.issueForSession({ publicKey: other.publicKey, proofOfPossession: good.proofOfPossession }))).toEqual(["BAD_REQUEST", "ERR_CA_PROOF_INVALID"]);
  });
});
