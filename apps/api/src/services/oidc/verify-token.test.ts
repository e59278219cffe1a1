// ID token verification against real tokens (jose) and real HTTP: an OpenID provider on 127.0.0.1 serving
// discovery and JWKS under several issuer paths (good, redirecting, lying), and an "attacker" server on
// another port that must never receive a request. Every SECURITY.md A case this layer owns is here.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FULCIO_OIDS } from "@signet/crypto/x509/fulcio-extensions";
import { parseIssuersConfig, type IssuersConfig } from "./issuers.ts";
import { createProviderKeys } from "./provider-keys.ts";
import { verifyIdentityToken, type VerifyTokenOptions } from "./verify-token.ts";

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

let provider: Server;
let attacker: Server;
let A: string; // http://127.0.0.1:<port> of the provider
let B: string; // the attacker's origin (another port = another host)
const requests: string[] = [];
const attackerRequests: string[] = [];

let rsa: KeyPair;
let ec: KeyPair;
let rsa2: KeyPair;
let evil: KeyPair;
let jwks: JWK[] = [];
let rotatedJwks: JWK[] = [];
let rotated = false;
let providerDown = false;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

function handleProvider(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? "/";
  requests.push(url);
  if (providerDown) return send(res, 503, { error: "down" });
  const m = /^\/([a-z0-9-]+)(\/.*)$/.exec(url);
  const name = m?.[1] ?? "";
  const rest = m?.[2] ?? "";
  const issuer = `${A}/${name}`;
  if (rest === "/.well-known/openid-configuration") {
    switch (name) {
      case "redirect":
        return send(res, 302, "", { location: "http://169.254.169.254/latest/meta-data/" });
      case "redirect-b":
        return send(res, 302, "", { location: `${B}/good/.well-known/openid-configuration` });
      case "badiss":
        return send(res, 200, { issuer: `${A}/good`, jwks_uri: `${A}/badiss/jwks` });
      case "otherhost":
        return send(res, 200, { issuer, jwks_uri: `${B}/jwks` });
      case "huge":
        return send(res, 200, { issuer, jwks_uri: `${issuer}/jwks`, padding: "x".repeat(100_000) });
      case "notfound":
        return send(res, 404, { error: "no" });
      default:
        return send(res, 200, { issuer, jwks_uri: `${issuer}/jwks` });
    }
  }
  if (rest === "/jwks") {
    if (name === "jwks-redirect") return send(res, 307, "", { location: `${B}/jwks` });
    if (name === "nokid") return send(res, 200, { keys: jwks.filter((k) => k.kty === "RSA").map(({ kid: _kid, ...k }) => k).concat([{ ...rotatedJwks[0]!, kid: undefined } as JWK].map(({ kid: _kid, ...k }) => k)) });
    return send(res, 200, { keys: rotated ? [...jwks, ...rotatedJwks] : jwks });
  }
  send(res, 404, { error: "not found" });
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

const pub = async (k: KeyPair, kid: string, alg: string): Promise<JWK> => ({ ...(await exportJWK(k.publicKey)), kid, alg, use: "sig" });

beforeAll(async () => {
  rsa = await generateKeyPair("RS256");
  ec = await generateKeyPair("ES256");
  rsa2 = await generateKeyPair("RS256");
  evil = await generateKeyPair("RS256");
  jwks = [await pub(rsa, "rsa1", "RS256"), await pub(ec, "ec1", "ES256")];
  rotatedJwks = [await pub(rsa2, "rsa2", "RS256")];
  provider = createServer(handleProvider);
  attacker = createServer((req, res) => {
    attackerRequests.push(req.url ?? "");
    void pub(evil, "rsa1", "RS256").then((k) => send(res, 200, { keys: [k], issuer: `${A}/good`, jwks_uri: `${B}/jwks` }));
  });
  A = await listen(provider);
  B = await listen(attacker);
});

afterAll(async () => {
  await new Promise((r) => provider.close(r));
  await new Promise((r) => attacker.close(r));
});

function config(extra: Record<string, unknown>[] = []): IssuersConfig {
  const email = (name: string, more: Record<string, unknown> = {}) => ({ issuerUrl: `${A}/${name}`, type: "email", ...more });
  return parseIssuersConfig({
    issuers: [
      email("good"),
      email("good2"),
      email("rsaonly", { algorithms: ["RS256"] }),
      email("skipverify", { skipEmailVerification: true }),
      email("domains", { policy: { emailDomains: ["example.test"] } }),
      email("redirect"),
      email("redirect-b"),
      email("badiss"),
      email("otherhost"),
      email("huge"),
      email("notfound"),
      email("jwks-redirect"),
      email("nokid"),
      { issuerUrl: `${A}/gh`, type: "github-workflow", policy: { repositoryOwners: ["org"], claims: { repository_visibility: ["public"] } } },
      { issuerUrl: `${A}/gl`, type: "gitlab-pipeline" },
      { issuerUrl: `${A}/workload`, type: "uri", subjectDomain: "https://workloads.example.test" },
      { issuerUrl: "http://127.0.0.1:1/closed", type: "email" },
      { wildcardIssuerUrl: "https://oidc.*.example.com", type: "email" },
      ...extra,
    ],
  });
}

const now = () => Math.floor(Date.now() / 1000);

interface MintOptions {
  alg?: string;
  key?: KeyPair["privateKey"] | Uint8Array;
  header?: Record<string, unknown>;
  omit?: string[];
}

async function mint(issuer: string, claims: JWTPayload = {}, o: MintOptions = {}): Promise<string> {
  const alg = o.alg ?? "RS256";
  const body: JWTPayload = {
    iss: issuer.startsWith("http") ? issuer : `${A}/${issuer}`,
    sub: "user-1",
    aud: "sigstore",
    email: "dev@example.test",
    email_verified: true,
    iat: now(),
    exp: now() + 600,
    ...claims,
  };
  for (const k of o.omit ?? []) delete body[k];
  const key = o.key ?? (alg === "ES256" ? ec.privateKey : rsa.privateKey);
  return new SignJWT(body).setProtectedHeader({ alg, kid: alg === "ES256" ? "ec1" : "rsa1", typ: "JWT", ...o.header }).sign(key);
}

/** Verify with a fresh provider-key cache and a request counter. */
async function check(token: string, opts: VerifyTokenOptions = {}, cfg = config()) {
  const before = requests.length;
  const beforeB = attackerRequests.length;
  const keys = opts.keys ?? createProviderKeys({ fetch, ...opts });
  try {
    const identity = await verifyIdentityToken(token, cfg, { ...opts, keys });
    return { identity, code: undefined, kind: undefined, providerRequests: requests.length - before, attackerRequests: attackerRequests.length - beforeB };
  } catch (e) {
    const err = e as { code?: string; kind?: string };
    return { identity: undefined, code: err.code, kind: err.kind, providerRequests: requests.length - before, attackerRequests: attackerRequests.length - beforeB };
  }
}

describe("a valid token", () => {
  it("verifies (RS256 and ES256) and yields the email identity with the issuer extensions", async () => {
    for (const alg of ["RS256", "ES256"]) {
      const r = await check(await mint("good", {}, { alg }));
      expect(r.code).toBeUndefined();
      expect(r.identity).toMatchObject({
        issuer: `${A}/good`,
        subject: "user-1",
        san: { kind: "email", value: "dev@example.test" },
        challenge: "dev@example.test",
        extensions: { [FULCIO_OIDS.issuerV1]: `${A}/good`, [FULCIO_OIDS.issuer]: `${A}/good` },
      });
      expect(r.providerRequests).toBe(2);
    }
  });

  it("keeps the identity per issuer: the same email from two issuers is two identities (A10)", async () => {
    const a = (await check(await mint("good"))).identity!;
    const b = (await check(await mint("good2"))).identity!;
    expect(a.san).toEqual(b.san);
    expect(a.issuer).not.toBe(b.issuer);
    expect(a.extensions[FULCIO_OIDS.issuer]).not.toBe(b.extensions[FULCIO_OIDS.issuer]);
  });
});

describe("A1: size before parsing", () => {
  it("rejects a 1 MB token of dots and one with 10⁶ segments, with zero requests, quickly", async () => {
    for (const token of [".".repeat(1_000_000), "a.".repeat(1_000_000)]) {
      const t0 = performance.now();
      const r = await check(token);
      expect(r.code).toBe("ERR_OIDC_TOKEN_TOO_LARGE");
      expect(r.kind).toBe("UNAUTHORIZED");
      expect(r.providerRequests).toBe(0);
      expect(performance.now() - t0).toBeLessThan(50);
    }
  });
  it("rejects a token just over 16 KiB and malformed compact forms", async () => {
    expect((await check(await mint("good", { pad: "x".repeat(16_384) }))).code).toBe("ERR_OIDC_TOKEN_TOO_LARGE");
    for (const token of ["", "a.b", "a.b.c.d", "a..c", "a.b.", "a b.c.d", "eyJ.eyJ.!!!", "e30.e30.AA"]) {
      expect((await check(token)).code, token).toBe("ERR_OIDC_TOKEN_MALFORMED");
    }
  });
});

describe("A2 and A7: exact issuer before any request", () => {
  const lookalikes = () => [
    `https://evil.example/?${A}/good`,
    `${A}/good.evil.example`,
    `${A}/good/`,
    `${A}/GOOD`,
    `${A.replace("http", "HTTP")}/good`,
    `${A.replace("http:", "https:")}/good`,
    `${A}/good?x=1`,
    "https://oidc.eu.example.com.evil.test",
    "https://evil.test/?https://oidc.eu.example.com",
    "https://oidc.a.b.example.com",
  ];
  it("rejects look-alike issuers with zero outbound requests", async () => {
    for (const iss of lookalikes()) {
      const r = await check(await mint(iss));
      expect(r.code, iss).toBe("ERR_OIDC_ISSUER_NOT_ALLOWED");
      expect(r.providerRequests + r.attackerRequests, iss).toBe(0);
    }
  });
  it("rejects a token without iss, with zero requests", async () => {
    const r = await check(await mint("good", {}, { omit: ["iss"] }));
    expect(r.code).toBe("ERR_OIDC_ISSUER_NOT_ALLOWED");
    expect(r.providerRequests).toBe(0);
  });
  it("rejects discovery metadata that names another issuer", async () => {
    expect((await check(await mint("badiss"))).code).toBe("ERR_OIDC_DISCOVERY_ISSUER_MISMATCH");
  });
});

describe("A3: no redirects, keys only from the issuer's host", () => {
  it("refuses a discovery redirect to the metadata service", async () => {
    const r = await check(await mint("redirect"));
    expect(r.code).toBe("ERR_OIDC_DISCOVERY_REDIRECT");
    expect(r.providerRequests).toBe(1);
  });
  it("refuses a discovery redirect to another host, which never sees a request", async () => {
    const r = await check(await mint("redirect-b"));
    expect(r.code).toBe("ERR_OIDC_DISCOVERY_REDIRECT");
    expect(r.attackerRequests).toBe(0);
  });
  it("refuses a jwks_uri on another host (another port), which never sees a request", async () => {
    const r = await check(await mint("otherhost"));
    expect(r.code).toBe("ERR_OIDC_JWKS_URI_NOT_ALLOWED");
    expect(r.attackerRequests).toBe(0);
  });
  it("refuses a JWKS redirect", async () => {
    const r = await check(await mint("jwks-redirect"));
    expect(r.code).toBe("ERR_OIDC_JWKS_REDIRECT");
    expect(r.attackerRequests).toBe(0);
  });
  it("refuses an oversized discovery document", async () => {
    expect((await check(await mint("huge"))).code).toBe("ERR_OIDC_DISCOVERY_INVALID");
  });
  it("answers UNAVAILABLE when the provider is down or failing, not UNAUTHORIZED", async () => {
    expect(await check(await mint("http://127.0.0.1:1/closed"))).toMatchObject({ code: "ERR_OIDC_PROVIDER_UNAVAILABLE", kind: "UNAVAILABLE" });
    expect(await check(await mint("notfound"))).toMatchObject({ code: "ERR_OIDC_PROVIDER_UNAVAILABLE", kind: "UNAVAILABLE" });
  });
});

describe("A4: header tricks", () => {
  it("rejects alg none before any request", async () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const token = `${b64({ alg: "none", typ: "JWT" })}.${b64({ iss: `${A}/good`, sub: "x", aud: "sigstore", iat: now(), exp: now() + 60 })}.AA`;
    const r = await check(token);
    expect(r.code).toBe("ERR_OIDC_ALGORITHM_NOT_ALLOWED");
    expect(r.providerRequests).toBe(0);
  });
  it("rejects HS256 keyed with the provider's RSA public key", async () => {
    const secret = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
    const r = await check(await mint("good", {}, { alg: "HS256", key: secret }));
    expect(r.code).toBe("ERR_OIDC_ALGORITHM_NOT_ALLOWED");
    expect(r.providerRequests).toBe(0);
  });
  it("rejects an algorithm the issuer does not allow", async () => {
    const r = await check(await mint("rsaonly", {}, { alg: "ES256" }));
    expect(r.code).toBe("ERR_OIDC_ALGORITHM_NOT_ALLOWED");
    expect(r.providerRequests).toBe(0);
  });
  it("rejects a correctly signed token that marks a header extension critical", async () => {
    const r = await check(await mint("good", {}, { header: { crit: ["b64"], b64: true } }));
    expect(r.code).toBe("ERR_OIDC_TOKEN_MALFORMED");
  });

  it("rejects a signature segment that is not base64url of the right size", async () => {
    const [h, p, s] = (await mint("good")).split(".");
    // A length of 1 mod 4 cannot be base64url (Buffer would silently drop the last character).
    const bad = s!.length % 4 === 1 ? s! : `${s}${"A".repeat((5 - (s!.length % 4)) % 4)}`;
    expect(bad.length % 4).toBe(1);
    expect((await check(`${h}.${p}.${bad}`)).code).toBe("ERR_OIDC_TOKEN_MALFORMED");
    expect((await check(`${h}.${p}.${s!.slice(0, -4)}`)).code).toBe("ERR_OIDC_SIGNATURE_INVALID");
  });

  it("rejects a kid that is not in the JWKS", async () => {
    expect((await check(await mint("good", {}, { header: { kid: "nope" } }))).code).toBe("ERR_OIDC_KEY_NOT_FOUND");
  });
  it("ignores jku, x5u and jwk headers that point at attacker keys", async () => {
    const evilJwk = await pub(evil, "rsa1", "RS256");
    for (const header of [{ jku: `${B}/jwks`, kid: "attacker" }, { x5u: `${B}/cert.pem` }, { jwk: evilJwk }, { jku: `${B}/jwks` }]) {
      const r = await check(await mint("good", {}, { key: evil.privateKey, header }));
      expect(["ERR_OIDC_SIGNATURE_INVALID", "ERR_OIDC_KEY_NOT_FOUND"]).toContain(r.code);
      expect(r.attackerRequests).toBe(0);
    }
  });
  it("rejects a token whose signature was made by another key or altered", async () => {
    expect((await check(await mint("good", {}, { key: evil.privateKey }))).code).toBe("ERR_OIDC_SIGNATURE_INVALID");
    const token = await mint("good");
    const [h, p, s] = token.split(".");
    const flipped = `${h}.${p}.${s!.slice(0, 10)}${s![10] === "A" ? "B" : "A"}${s!.slice(11)}`;
    expect((await check(flipped)).code).toBe("ERR_OIDC_SIGNATURE_INVALID");
    // A payload for another subject under the original signature.
    const other = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, "base64url").toString()), email: "admin@example.test" })).toString("base64url");
    expect((await check(`${h}.${other}.${s}`)).code).toBe("ERR_OIDC_SIGNATURE_INVALID");
  });
  it("tries each key when the JWKS keys have no kid", async () => {
    const r = await check(await mint("nokid", {}, { key: rsa2.privateKey, header: { kid: undefined } }));
    expect(r.code).toBeUndefined();
  });
});

describe("JWKS refresh on an unknown kid is rate-limited", () => {
  it("refetches once for a rotated key, and not for random kids within the interval", async () => {
    let t = Date.now();
    const clock = () => t;
    const keys = createProviderKeys({ fetch, clock, minRefreshIntervalMs: 30_000 });
    const cfg = config();
    const run = (token: string) => check(token, { keys, clock }, cfg);
    expect((await run(await mint("good"))).providerRequests).toBe(2);
    for (let i = 0; i < 5; i++) {
      const r = await run(await mint("good", {}, { header: { kid: `random-${i}` } }));
      expect(r.code).toBe("ERR_OIDC_KEY_NOT_FOUND");
      expect(r.providerRequests).toBe(0);
    }
    rotated = true;
    try {
      t += 31_000;
      const token = await mint("good", { iat: Math.floor(t / 1000), exp: Math.floor(t / 1000) + 600 }, { key: rsa2.privateKey, header: { kid: "rsa2" } });
      const r = await run(token);
      expect(r.code).toBeUndefined();
      expect(r.providerRequests).toBe(2);
      const again = await run(await mint("good", { iat: Math.floor(t / 1000), exp: Math.floor(t / 1000) + 600 }, { header: { kid: "random-x" } }));
      expect(again.code).toBe("ERR_OIDC_KEY_NOT_FOUND");
      expect(again.providerRequests).toBe(0);
    } finally {
      rotated = false;
    }
  });
});

describe("provider outages", () => {
  it("keeps using the last keys while the provider is down, but has none to use without them", async () => {
    let t = Date.now();
    const clock = () => t;
    const keys = createProviderKeys({ fetch, clock, cacheTtlMs: 60_000, failureBackoffMs: 0 });
    const cfg = config();
    const fresh = () => mint("good", { iat: Math.floor(t / 1000), exp: Math.floor(t / 1000) + 600 });
    expect((await check(await fresh(), { keys, clock }, cfg)).code).toBeUndefined();
    providerDown = true;
    try {
      t += 61_000;
      const r = await check(await fresh(), { keys, clock }, cfg);
      expect(r.code).toBeUndefined();
      expect(r.providerRequests).toBe(1);
      expect(await check(await fresh(), { clock }, cfg)).toMatchObject({ code: "ERR_OIDC_PROVIDER_UNAVAILABLE", kind: "UNAVAILABLE" });
    } finally {
      providerDown = false;
    }
  });
});

describe("A5: audience", () => {
  const cases: [string, JWTPayload, string[] | undefined, string | undefined][] = [
    ["missing aud", {}, ["aud"], "ERR_OIDC_AUDIENCE_INVALID"],
    ["another aud", { aud: "other" }, undefined, "ERR_OIDC_AUDIENCE_INVALID"],
    ["an extra untrusted aud", { aud: ["sigstore", "evil"] }, undefined, "ERR_OIDC_AUDIENCE_INVALID"],
    ["an empty aud array", { aud: [] }, undefined, "ERR_OIDC_AUDIENCE_INVALID"],
    ["a mismatched azp", { azp: "other-client" }, undefined, "ERR_OIDC_AUDIENCE_INVALID"],
    ["aud as a one-element array", { aud: ["sigstore"] }, undefined, undefined],
    ["a matching azp", { azp: "sigstore" }, undefined, undefined],
  ];
  for (const [what, claims, omit, code] of cases) {
    it(`${code ? "rejects" : "accepts"} ${what}`, async () => {
      expect((await check(await mint("good", claims, { omit: omit ?? [] }))).code).toBe(code);
    });
  }
});

describe("A6: time claims with 60 s skew", () => {
  const cases: [string, () => JWTPayload, string[] | undefined, string | undefined][] = [
    ["exp 61 s ago", () => ({ exp: now() - 61 }), undefined, "ERR_OIDC_TOKEN_EXPIRED"],
    ["exp 30 s ago (inside the skew)", () => ({ exp: now() - 30 }), undefined, undefined],
    ["iat 2 min in the future", () => ({ iat: now() + 120 }), undefined, "ERR_OIDC_TOKEN_IAT_INVALID"],
    ["iat 2 h ago", () => ({ iat: now() - 7200 }), undefined, "ERR_OIDC_TOKEN_TOO_OLD"],
    ["nbf 2 min in the future", () => ({ nbf: now() + 120 }), undefined, "ERR_OIDC_TOKEN_NOT_YET_VALID"],
    ["nbf 30 s in the future (inside the skew)", () => ({ nbf: now() + 30 }), undefined, undefined],
    ["no exp", () => ({}), ["exp"], "ERR_OIDC_CLAIM_MISSING"],
    ["no iat", () => ({}), ["iat"], "ERR_OIDC_CLAIM_MISSING"],
    ["exp as a string", () => ({ exp: String(now() + 600) as unknown as number }), undefined, "ERR_OIDC_CLAIM_INVALID"],
  ];
  for (const [what, claims, omit, code] of cases) {
    it(`${code ? "rejects" : "accepts"} ${what}`, async () => {
      expect((await check(await mint("good", claims(), { omit: omit ?? [] }))).code).toBe(code);
    });
  }
});

describe("A9: email_verified", () => {
  it("requires email_verified: true for email issuers", async () => {
    expect((await check(await mint("good", { email_verified: false }))).code).toBe("ERR_OIDC_EMAIL_UNVERIFIED");
    expect((await check(await mint("good", {}, { omit: ["email_verified"] }))).code).toBe("ERR_OIDC_EMAIL_UNVERIFIED");
    expect((await check(await mint("good", { email_verified: "true" }))).code).toBe("ERR_OIDC_EMAIL_UNVERIFIED");
    expect((await check(await mint("good", {}, { omit: ["email"] }))).code).toBe("ERR_OIDC_CLAIM_MISSING");
  });
  it("accepts an unverified email only where the issuer opts out explicitly", async () => {
    expect((await check(await mint("skipverify", { email_verified: false }))).code).toBeUndefined();
  });
  it("refuses an email the certificate cannot carry faithfully (B3)", async () => {
    expect(await check(await mint("good", { email: "dev\u202e@example.test" }))).toMatchObject({ code: "ERR_OIDC_IDENTITY_INVALID", kind: "BAD_REQUEST" });
  });
});

describe("admission policy", () => {
  it("admits only the configured email domains", async () => {
    expect((await check(await mint("domains"))).code).toBeUndefined();
    expect(await check(await mint("domains", { email: "dev@evil.test" }))).toMatchObject({ code: "ERR_OIDC_POLICY_DENIED", kind: "FORBIDDEN" });
    expect((await check(await mint("domains", { email: "dev@sub.example.test" }))).code).toBe("ERR_OIDC_POLICY_DENIED");
  });
});

function githubClaims(overrides: Record<string, unknown> = {}): JWTPayload {
  return {
    sub: "repo:org/repo:ref:refs/heads/main",
    ref: "refs/heads/main",
    sha: "1".repeat(40),
    repository: "org/repo",
    repository_owner: "org",
    repository_owner_id: "111",
    repository_id: "222",
    repository_visibility: "public",
    run_id: "333",
    run_attempt: "2",
    actor: "octocat",
    workflow: "CI",
    event_name: "push",
    workflow_ref: "org/repo/.github/workflows/ci.yml@refs/heads/main",
    workflow_sha: "2".repeat(40),
    job_workflow_ref: "org/shared/.github/workflows/build.yml@refs/tags/v1",
    job_workflow_sha: "3".repeat(40),
    runner_environment: "github-hosted",
    email: undefined,
    email_verified: undefined,
    ...overrides,
  };
}

describe("github-workflow identities (Fulcio ci-issuer-metadata)", () => {
  it("maps the claims to the SAN and extensions .1–.6 and .8–.22", async () => {
    const r = await check(await mint("gh", githubClaims()));
    expect(r.code).toBeUndefined();
    const id = r.identity!;
    expect(id.san).toEqual({ kind: "uri", value: "https://github.com/org/shared/.github/workflows/build.yml@refs/tags/v1" });
    expect(id.challenge).toBe("repo:org/repo:ref:refs/heads/main");
    expect(id.extensions).toEqual({
      [FULCIO_OIDS.issuerV1]: `${A}/gh`,
      [FULCIO_OIDS.issuer]: `${A}/gh`,
      [FULCIO_OIDS.githubWorkflowTrigger]: "push",
      [FULCIO_OIDS.githubWorkflowSha]: "1".repeat(40),
      [FULCIO_OIDS.githubWorkflowName]: "CI",
      [FULCIO_OIDS.githubWorkflowRepository]: "org/repo",
      [FULCIO_OIDS.githubWorkflowRef]: "refs/heads/main",
      [FULCIO_OIDS.buildSignerUri]: "https://github.com/org/shared/.github/workflows/build.yml@refs/tags/v1",
      [FULCIO_OIDS.buildSignerDigest]: "3".repeat(40),
      [FULCIO_OIDS.runnerEnvironment]: "github-hosted",
      [FULCIO_OIDS.sourceRepositoryUri]: "https://github.com/org/repo",
      [FULCIO_OIDS.sourceRepositoryDigest]: "1".repeat(40),
      [FULCIO_OIDS.sourceRepositoryRef]: "refs/heads/main",
      [FULCIO_OIDS.sourceRepositoryIdentifier]: "222",
      [FULCIO_OIDS.sourceRepositoryOwnerUri]: "https://github.com/org",
      [FULCIO_OIDS.sourceRepositoryOwnerIdentifier]: "111",
      [FULCIO_OIDS.buildConfigUri]: "https://github.com/org/repo/.github/workflows/ci.yml@refs/heads/main",
      [FULCIO_OIDS.buildConfigDigest]: "2".repeat(40),
      [FULCIO_OIDS.buildTrigger]: "push",
      [FULCIO_OIDS.runInvocationUri]: "https://github.com/org/repo/actions/runs/333/attempts/2",
      [FULCIO_OIDS.sourceRepositoryVisibilityAtSigning]: "public",
    });
  });
  it("adds the deployment environment when the token has one", async () => {
    const r = await check(await mint("gh", githubClaims({ environment: "prod", sub: "repo:org/repo:environment:prod" })));
    expect(r.identity!.extensions[FULCIO_OIDS.deploymentEnvironment]).toBe("prod");
  });
  it("rejects a token missing a claim the templates need", async () => {
    expect((await check(await mint("gh", githubClaims({ job_workflow_ref: undefined })))).code).toBe("ERR_OIDC_CLAIM_MISSING");
    expect((await check(await mint("gh", githubClaims({ run_attempt: true })))).code).toBe("ERR_OIDC_CLAIM_INVALID");
  });
  it("applies the policy: repository owner and claim values", async () => {
    expect((await check(await mint("gh", githubClaims({ repository_owner: "other", repository: "other/repo" })))).code).toBe("ERR_OIDC_POLICY_DENIED");
    expect((await check(await mint("gh", githubClaims({ repository_visibility: "private" })))).code).toBe("ERR_OIDC_POLICY_DENIED");
  });
  it("refuses a workflow ref that cannot be an ASCII URI (B3)", async () => {
    expect((await check(await mint("gh", githubClaims({ job_workflow_ref: "org/repo/.github/workflows/ci.yml@refs/heads/ü" })))).code).toBe("ERR_OIDC_IDENTITY_INVALID");
  });
});

describe("gitlab-pipeline identities", () => {
  it("maps the claims as Fulcio's GitLab template does", async () => {
    const claims: JWTPayload = {
      sub: "project_path:group/project:ref_type:branch:ref:main",
      email: undefined,
      email_verified: undefined,
      ci_config_ref_uri: "gitlab.com/group/project//.gitlab-ci.yml@refs/heads/main",
      ci_config_sha: "4".repeat(40),
      runner_environment: "gitlab-hosted",
      project_path: "group/project",
      sha: "5".repeat(40),
      ref_type: "branch",
      ref: "main",
      project_id: "42",
      namespace_path: "group",
      namespace_id: "7",
      pipeline_source: "push",
      job_id: "999",
      project_visibility: "public",
    };
    const id = (await check(await mint("gl", claims))).identity!;
    expect(id.san).toEqual({ kind: "uri", value: "https://gitlab.com/group/project//.gitlab-ci.yml@refs/heads/main" });
    expect(id.extensions[FULCIO_OIDS.sourceRepositoryRef]).toBe("refs/heads/main");
    expect(id.extensions[FULCIO_OIDS.runInvocationUri]).toBe("https://gitlab.com/group/project/-/jobs/999");
    expect(id.extensions[FULCIO_OIDS.sourceRepositoryOwnerUri]).toBe("https://gitlab.com/group");
    expect(id.extensions[FULCIO_OIDS.buildConfigDigest]).toBe("4".repeat(40));
    const tag = (await check(await mint("gl", { ...claims, ref_type: "tag", ref: "v1" }))).identity!;
    expect(tag.extensions[FULCIO_OIDS.sourceRepositoryRef]).toBe("refs/tags/v1");
  });
});

describe("uri identities", () => {
  it("certifies a sub under the subject domain and refuses one outside it", async () => {
    const ok = await check(await mint("workload", { sub: "https://workloads.example.test/ns/a/svc/b", email: undefined }));
    expect(ok.identity?.san).toEqual({ kind: "uri", value: "https://workloads.example.test/ns/a/svc/b" });
    expect((await check(await mint("workload", { sub: "https://evil.test/ns/a", email: undefined }))).code).toBe("ERR_OIDC_SUBJECT_NOT_ALLOWED");
    expect((await check(await mint("workload", { sub: "not a uri", email: undefined }))).code).toBe("ERR_OIDC_IDENTITY_INVALID");
  });
});
