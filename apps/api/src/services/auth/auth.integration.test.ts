// Portal sign-in against a real PostgreSQL: login (ID token + nonce → session), session timeouts,
// logout, the protected procedures, and the WebAuthn paths of SECURITY.md G7–G10 with a software
// authenticator that builds real CBOR/ECDSA responses. The OpenID provider is a real HTTP server on
// 127.0.0.1 serving discovery and JWKS; tokens are signed with jose.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../db.ts";
import { migrate } from "../../db/migrate.ts";
import { createTestDatabase } from "../../testing/database.ts";
import { createCaller } from "../../root.ts";
import type { Services, AuthServices } from "../index.ts";
import type { HealthService } from "../health.ts";
import { parseIssuersConfig } from "../oidc/issuers.ts";
import { createPasskeyService, createSessionStore, SESSION_ABSOLUTE_MS, SESSION_IDLE_MS, toLoginIssuers, toRelyingParty } from "./index.ts";
import { CHALLENGE_TTL_MS } from "./passkeys.ts";
import { SoftAuthenticator } from "./testing-authenticator.ts";

const WEB = "http://localhost:3999";
let database: { url: string; drop: () => Promise<void> };
let db: Db;
let idp: Server;
let ISS: string;
let key: Awaited<ReturnType<typeof generateKeyPair>>;
let jwk: JWK;
let now = Date.now();
const clock = () => now;
let services: Services;
let auth: AuthServices;

beforeAll(async () => {
  database = await createTestDatabase("auth");
  await migrate(database.url);
  db = createDb(database.url, { max: 4 });
  key = await generateKeyPair("ES256");
  jwk = { ...(await exportJWK(key.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  idp = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/.well-known/openid-configuration") return res.end(JSON.stringify({ issuer: ISS, jwks_uri: `${ISS}/jwks` }));
    if (req.url === "/jwks") return res.end(JSON.stringify({ keys: [jwk] }));
    res.statusCode = 404;
    res.end("{}");
  });
  await new Promise<void>((r) => idp.listen(0, "127.0.0.1", r));
  ISS = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  const issuers = parseIssuersConfig({ issuers: [{ issuerUrl: ISS, type: "email", algorithms: ["ES256"] }] });
  const sessions = createSessionStore(db, clock);
  auth = {
    sessions,
    passkeys: createPasskeyService(db, sessions, toRelyingParty(WEB), clock),
    loginIssuers: toLoginIssuers(issuers, "signet-web"),
    allowPlainCookie: true,
    verify: { clock },
  };
  services = { health: {} as HealthService, db, auth };
});

afterAll(async () => {
  await db?.$disconnect();
  await new Promise<void>((r) => (idp ? idp.close(() => r()) : r()));
  await database?.drop();
});

async function idToken(email: string, nonce: string | undefined, over: Record<string, unknown> = {}): Promise<string> {
  const iat = Math.floor(now / 1000);
  return new SignJWT({ email, email_verified: true, ...(nonce !== undefined ? { nonce } : {}), ...over })
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setIssuer(ISS)
    .setSubject(`email-${Buffer.from(email).toString("hex").slice(0, 32)}`)
    .setAudience((over.aud as string) ?? "signet-web")
    .setIssuedAt(iat)
    .setExpirationTime(iat + 600)
    .sign(key.privateKey);
}

const newNonce = () => randomBytes(24).toString("base64url");
const caller = (cookie?: string) => createCaller({ services, clientAddress: "127.0.0.1", cookie });
const cookieFor = (sessionId: string) => `theme=dark; signet_session=${sessionId}`;

async function login(email: string): Promise<string> {
  const nonce = newNonce();
  const r = await caller().auth.createSession({ idToken: await idToken(email, nonce), nonce });
  return r.sessionId;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { cause?: { code?: string } }).cause?.code ?? `uncoded: ${(e as Error).message}`;
  }
  return "resolved";
}

describe("login and sessions", () => {
  it("creates a session from a valid ID token and nonce, with a fresh id each time", async () => {
    const a = await login("alice@example.test");
    const b = await login("alice@example.test");
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    const s = await caller(cookieFor(a)).auth.session();
    expect(s).toMatchObject({ signedIn: true, email: "alice@example.test", issuer: ISS, requiresPasskey: false, passkeyVerified: false });
    const row = await db.authSession.findFirst({ where: { email: "alice@example.test" } });
    expect(Buffer.from(row!.idHash).toString("base64url")).not.toBe(a); // stored hashed only
  });

  it("refuses a wrong, missing or replayed nonce (A8)", async () => {
    const nonce = newNonce();
    expect(await codeOf(caller().auth.createSession({ idToken: await idToken("a@example.test", nonce), nonce: newNonce() }))).toBe("ERR_AUTH_NONCE_MISMATCH");
    expect(await codeOf(caller().auth.createSession({ idToken: await idToken("a@example.test", undefined), nonce }))).toBe("ERR_AUTH_NONCE_MISMATCH");
    const token = await idToken("a@example.test", nonce);
    expect(await codeOf(caller().auth.createSession({ idToken: token, nonce }))).toBe("resolved");
    expect(await codeOf(caller().auth.createSession({ idToken: token, nonce }))).toBe("ERR_AUTH_NONCE_REPLAYED");
  });

  it("accepts only the portal's audience, verified email and the configured issuer", async () => {
    const nonce = newNonce();
    expect(await codeOf(caller().auth.createSession({ idToken: await idToken("a@example.test", nonce, { aud: "sigstore" }), nonce }))).toBe("ERR_OIDC_AUDIENCE_INVALID");
    expect(await codeOf(caller().auth.createSession({ idToken: await idToken("a@example.test", nonce, { email_verified: false }), nonce }))).toBe("ERR_OIDC_EMAIL_UNVERIFIED");
    expect(await codeOf(caller().auth.createSession({ idToken: "e30.e30.e30", nonce }))).toMatch(/^ERR_OIDC_/);
    expect(await codeOf(caller().auth.createSession({ idToken: await idToken("a@example.test", nonce), nonce: "short" }))).toBe("ERR_AUTH_NONCE_MISMATCH");
  });

  it("protected procedures need a live session; logout ends it server-side", async () => {
    expect(await codeOf(caller().auth.listPasskeys())).toBe("ERR_AUTH_NO_SESSION");
    expect(await codeOf(caller("signet_session=" + "A".repeat(43)).auth.listPasskeys())).toBe("ERR_AUTH_NO_SESSION");
    const id = await login("bob@example.test");
    expect(await caller(cookieFor(id)).auth.listPasskeys()).toEqual([]);
    await caller(cookieFor(id)).auth.logout();
    expect(await codeOf(caller(cookieFor(id)).auth.listPasskeys())).toBe("ERR_AUTH_NO_SESSION");
    expect(await caller(cookieFor(id)).auth.session()).toEqual({ signedIn: false });
  });

  it("reads the plain cookie name only for an http portal", async () => {
    const id = await login("carol@example.test");
    const strict = createCaller({ services: { ...services, auth: { ...auth, allowPlainCookie: false } }, clientAddress: "x", cookie: cookieFor(id) });
    expect(await strict.auth.session()).toEqual({ signedIn: false });
    const hosted = createCaller({ services: { ...services, auth: { ...auth, allowPlainCookie: false } }, clientAddress: "x", cookie: `__Host-signet_session=${id}` });
    expect(await hosted.auth.session()).toMatchObject({ signedIn: true, email: "carol@example.test" });
  });

  it("expires after 1 h idle and after 12 h absolute (G10)", async () => {
    const start = now;
    try {
      const idle = await login("dave@example.test");
      now += SESSION_IDLE_MS - 1000;
      expect(await caller(cookieFor(idle)).auth.session()).toMatchObject({ signedIn: true });
      now += SESSION_IDLE_MS - 1000; // activity above moved last-seen forward
      expect(await caller(cookieFor(idle)).auth.session()).toMatchObject({ signedIn: true });
      now += SESSION_IDLE_MS + 1;
      expect(await caller(cookieFor(idle)).auth.session()).toEqual({ signedIn: false });

      const abs = await login("dave@example.test");
      for (let t = 0; t < 13; t++) {
        now += 59 * 60 * 1000;
        await caller(cookieFor(abs)).auth.session();
      }
      expect(now - start).toBeGreaterThan(SESSION_ABSOLUTE_MS);
      expect(await caller(cookieFor(abs)).auth.session()).toEqual({ signedIn: false });
    } finally {
      now = start;
    }
  });

  it("myCertificates lists only the session identity's certificates from its issuer, newest first", async () => {
    const id = await login("erin@example.test");
    const base = { notBefore: new Date(now), notAfter: new Date(now + 600_000), der: new Uint8Array([1]) };
    await db.issuedCertificate.createMany({
      data: [
        { ...base, serial: "01", fingerprint: "f1", identity: "erin@example.test", issuer: ISS, createdAt: new Date(now - 2000) },
        { ...base, serial: "02", fingerprint: "f2", identity: "erin@example.test", issuer: ISS, createdAt: new Date(now - 1000) },
        { ...base, serial: "03", fingerprint: "f3", identity: "erin@example.test", issuer: "https://other.example", createdAt: new Date(now) },
        { ...base, serial: "04", fingerprint: "f4", identity: "mallory@example.test", issuer: ISS, createdAt: new Date(now) },
      ],
    });
    const certs = await caller(cookieFor(id)).auth.myCertificates();
    expect(certs.map((c) => c.serial)).toEqual(["02", "01"]);
    expect(await codeOf(caller().auth.myCertificates())).toBe("ERR_AUTH_NO_SESSION");
  });
});

describe("passkeys (WebAuthn)", () => {
  const origin = new URL(WEB).origin;
  async function registered(email: string) {
    const session = await login(email);
    const c = caller(cookieFor(session));
    const authn = new SoftAuthenticator("localhost", origin);
    const opts = await c.auth.passkeyRegistrationOptions();
    await c.auth.registerPasskey({ response: authn.register(opts.challenge) as never, name: "laptop" });
    return { session, c, authn };
  }

  it("registers with a server-made challenge of ≥ 16 bytes and marks the session verified", async () => {
    const session = await login("pk1@example.test");
    const c = caller(cookieFor(session));
    const opts = await c.auth.passkeyRegistrationOptions();
    expect(Buffer.from(opts.challenge, "base64url").length).toBeGreaterThanOrEqual(16);
    expect(opts.rp.id).toBe("localhost");
    expect(opts.authenticatorSelection?.userVerification).toBe("required");
    const authn = new SoftAuthenticator("localhost", origin);
    const r = await c.auth.registerPasskey({ response: authn.register(opts.challenge) as never, name: "laptop" });
    expect(r.passkey.name).toBe("laptop");
    expect(await c.auth.listPasskeys()).toHaveLength(1);
    expect(await c.auth.session()).toMatchObject({ requiresPasskey: true, passkeyVerified: true });
    // A new login of the same identity must pass the passkey check before it counts as verified.
    const fresh = caller(cookieFor(await login("pk1@example.test")));
    expect(await fresh.auth.session()).toMatchObject({ requiresPasskey: true, passkeyVerified: false });
  });

  it("refuses registration with a bad, reused, expired or foreign challenge (G7)", async () => {
    const session = await login("pk2@example.test");
    const c = caller(cookieFor(session));
    const authn = new SoftAuthenticator("localhost", origin);
    await c.auth.passkeyRegistrationOptions();
    expect(await codeOf(c.auth.registerPasskey({ response: authn.register(randomBytes(32).toString("base64url")) as never }))).toBe("ERR_AUTH_CHALLENGE_INVALID");

    const opts = await c.auth.passkeyRegistrationOptions();
    const ok = authn.register(opts.challenge);
    await c.auth.registerPasskey({ response: ok as never });
    const again = new SoftAuthenticator("localhost", origin);
    expect(await codeOf(c.auth.registerPasskey({ response: again.register(opts.challenge) as never }))).toBe("ERR_AUTH_CHALLENGE_INVALID");

    const late = await c.auth.passkeyRegistrationOptions();
    const start = now;
    now += CHALLENGE_TTL_MS + 1;
    try {
      expect(await codeOf(c.auth.registerPasskey({ response: again.register(late.challenge) as never }))).toBe("ERR_AUTH_CHALLENGE_INVALID");
    } finally {
      now = start;
    }

    const other = caller(cookieFor(await login("pk2b@example.test")));
    const foreign = await other.auth.passkeyRegistrationOptions();
    expect(await codeOf(c.auth.registerPasskey({ response: again.register(foreign.challenge) as never }))).toBe("ERR_AUTH_CHALLENGE_INVALID");
  });

  it("refuses registration with a wrong origin, wrong type, wrong rpId, UV=0, BS without BE, or crossOrigin", async () => {
    const c = caller(cookieFor(await login("pk3@example.test")));
    const cases = [
      { origin: "http://localhost:4000" },
      { origin: "https://localhost:3999" },
      { origin: "null" },
      { type: "webauthn.get" },
      { rpId: "evil.example" },
      { userVerified: false },
      { backedUp: true, backupEligible: false },
      { crossOrigin: true },
    ];
    for (const tweak of cases) {
      const opts = await c.auth.passkeyRegistrationOptions();
      const authn = new SoftAuthenticator("localhost", origin);
      expect([tweak, await codeOf(c.auth.registerPasskey({ response: authn.register(opts.challenge, tweak) as never }))]).toEqual([tweak, "ERR_AUTH_WEBAUTHN_INVALID"]);
    }
    expect(await c.auth.listPasskeys()).toEqual([]);
  });

  it("refuses a credential already registered to another identity, and over-long credential ids", async () => {
    const { authn } = await registered("pk4@example.test");
    const other = caller(cookieFor(await login("pk4b@example.test")));
    const opts = await other.auth.passkeyRegistrationOptions();
    expect(await codeOf(other.auth.registerPasskey({ response: authn.register(opts.challenge) as never }))).toBe("ERR_AUTH_CREDENTIAL_TAKEN");
    const long = { ...authn.register(opts.challenge), id: Buffer.alloc(1024, 1).toString("base64url") };
    expect(await codeOf(other.auth.registerPasskey({ response: long as never }))).toBe("ERR_AUTH_WEBAUTHN_MALFORMED");
  });

  it("verifies an assertion with UV and records it on the session only", async () => {
    const { authn } = await registered("pk5@example.test");
    const c = caller(cookieFor(await login("pk5@example.test")));
    expect(await c.auth.session()).toMatchObject({ requiresPasskey: true, passkeyVerified: false });
    const opts = await c.auth.passkeyAuthenticationOptions();
    expect(opts.userVerification).toBe("required");
    expect(opts.allowCredentials?.map((x) => x.id)).toEqual([authn.id]);
    await c.auth.verifyPasskey({ response: authn.assert(opts.challenge) as never });
    expect(await c.auth.session()).toMatchObject({ passkeyVerified: true });
  });

  it("refuses assertions: bad or reused challenge, wrong origin, UV=0, unknown or foreign credential, wrong userHandle", async () => {
    const { authn } = await registered("pk6@example.test");
    const { authn: foreign } = await registered("pk6b@example.test");
    const c = caller(cookieFor(await login("pk6@example.test")));
    const opts = await c.auth.passkeyAuthenticationOptions();
    expect(await codeOf(c.auth.verifyPasskey({ response: authn.assert(randomBytes(32).toString("base64url")) as never }))).toBe("ERR_AUTH_CHALLENGE_INVALID");
    expect(await codeOf(c.auth.verifyPasskey({ response: authn.assert(opts.challenge, { origin: "http://evil.example" }) as never }))).toBe("ERR_AUTH_WEBAUTHN_INVALID");
    // That submit consumed the challenge: the right response to it no longer works.
    expect(await codeOf(c.auth.verifyPasskey({ response: authn.assert(opts.challenge) as never }))).toBe("ERR_AUTH_CHALLENGE_INVALID");

    const o2 = await c.auth.passkeyAuthenticationOptions();
    expect(await codeOf(c.auth.verifyPasskey({ response: authn.assert(o2.challenge, { userVerified: false }) as never }))).toBe("ERR_AUTH_WEBAUTHN_INVALID");
    const o3 = await c.auth.passkeyAuthenticationOptions();
    expect(await codeOf(c.auth.verifyPasskey({ response: new SoftAuthenticator("localhost", origin).assert(o3.challenge) as never }))).toBe("ERR_AUTH_CREDENTIAL_UNKNOWN");
    const o4 = await c.auth.passkeyAuthenticationOptions();
    expect(await codeOf(c.auth.verifyPasskey({ response: foreign.assert(o4.challenge) as never }))).toBe("ERR_AUTH_CREDENTIAL_UNKNOWN");
    const o5 = await c.auth.passkeyAuthenticationOptions();
    expect(await codeOf(c.auth.verifyPasskey({ response: authn.assert(o5.challenge, {}, "bm90LW1l") as never }))).toBe("ERR_AUTH_CREDENTIAL_UNKNOWN");
    const o6 = await c.auth.passkeyAuthenticationOptions();
    expect(await codeOf(c.auth.verifyPasskey({ response: authn.assert(o6.challenge, { backupEligible: true }) as never }))).toBe("ERR_AUTH_WEBAUTHN_INVALID");
    expect(await c.auth.session()).toMatchObject({ passkeyVerified: false });
  });

  it("accepts exactly one of two concurrent submits of the same assertion (G9)", async () => {
    const { authn } = await registered("pk7@example.test");
    const c = caller(cookieFor(await login("pk7@example.test")));
    const opts = await c.auth.passkeyAuthenticationOptions();
    const response = authn.assert(opts.challenge);
    const results = await Promise.all([0, 1, 2, 3].map(() => codeOf(c.auth.verifyPasskey({ response: response as never }))));
    expect(results.filter((r) => r === "resolved")).toHaveLength(1);
    expect(results.filter((r) => r === "ERR_AUTH_CHALLENGE_INVALID")).toHaveLength(3);
  });

  it("removes only its own passkeys and can sign out other sessions (G10)", async () => {
    const { c, session } = await registered("pk8@example.test");
    const otherSession = await login("pk8@example.test");
    const [pk] = await c.auth.listPasskeys();
    const intruder = caller(cookieFor(await login("pk8b@example.test")));
    expect(await codeOf(intruder.auth.removePasskey({ id: pk!.id }))).toBe("ERR_AUTH_PASSKEY_NOT_FOUND");
    expect(await c.auth.removePasskey({ id: pk!.id, signOutOthers: true })).toEqual({ endedSessions: 1 });
    expect(await caller(cookieFor(otherSession)).auth.session()).toEqual({ signedIn: false });
    expect(await caller(cookieFor(session)).auth.session()).toMatchObject({ signedIn: true, requiresPasskey: false });
  });
});

describe("over HTTP (the api server's tRPC front)", () => {
  it("reads the session from the cookie header and keeps the G1 checks on mutations", async () => {
    const { createApiServer } = await import("../../http/server.ts");
    const server = createApiServer({ services, maxBodyBytes: 1024 * 1024, allowedOrigins: [WEB] });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const id = await login("http@example.test");
      const cookie = cookieFor(id);
      const who = await fetch(`${base}/trpc/auth.session`, { headers: { cookie } });
      expect(((await who.json()) as { result: { data: unknown } }).result.data).toMatchObject({ signedIn: true, email: "http@example.test" });
      const plain = await fetch(`${base}/trpc/auth.logout`, { method: "POST", headers: { cookie, "content-type": "text/plain", origin: WEB }, body: "{}" });
      expect(plain.status).toBe(415);
      const evil = await fetch(`${base}/trpc/auth.logout`, { method: "POST", headers: { cookie, "content-type": "application/json", origin: "https://evil.example" }, body: "{}" });
      expect(evil.status).toBe(403);
      const anonymous = await fetch(`${base}/trpc/auth.logout`, { method: "POST", headers: { "content-type": "application/json", origin: WEB }, body: "{}" });
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as { error: { data: { signetCode: string } } }).error.data.signetCode).toBe("ERR_AUTH_NO_SESSION");
      expect(await caller(cookie).auth.session()).toMatchObject({ signedIn: true });
      const ok = await fetch(`${base}/trpc/auth.logout`, { method: "POST", headers: { cookie, "content-type": "application/json", origin: WEB }, body: "{}" });
      expect(ok.status).toBe(200);
      expect(await caller(cookie).auth.session()).toEqual({ signedIn: false });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("rate-limits logins and WebAuthn calls per client address with 429 (G11)", async () => {
    const { createRateLimiter } = await import("../../rest/limits.ts");
    const limited: Services = { ...services, auth: { ...auth, limit: createRateLimiter({ perSecond: 0.1, burst: 2 }) } };
    const c = (address: string) => createCaller({ services: limited, clientAddress: address });
    const token = async () => {
      const nonce = newNonce();
      return { idToken: await idToken("rl@example.test", nonce), nonce };
    };
    await c("10.0.0.1").auth.createSession(await token());
    await c("10.0.0.1").auth.createSession(await token());
    const third = await c("10.0.0.1").auth.createSession(await token()).catch((e: { code?: string; cause?: { code?: string; retryAfterSeconds?: number } }) => e);
    expect((third as { cause?: { code?: string } }).cause?.code).toBe("ERR_RATE_LIMITED");
    expect((third as { code?: string }).code).toBe("TOO_MANY_REQUESTS");
    // Another address is not affected: nobody can lock a victim out by spamming from elsewhere.
    await c("10.0.0.2").auth.createSession(await token());
  });
});
