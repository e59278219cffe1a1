// The dev IdP for real: oidc-provider on an ephemeral loopback port, driven over HTTP with plain fetch the way a
// browser and a CLI would, and its tokens checked with jose against the served JWKS.
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import type { JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startIdp } from "./provider.ts";
import type { RunningIdp } from "./provider.ts";

const WEB_URL = "http://localhost:3000";
const WEB_REDIRECT = `${WEB_URL}/auth/callback`;

let idp: RunningIdp;
let dataDir: string;
let discovery: Record<string, unknown>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "signet-idp-test-"));
  idp = await startIdp({ port: 0, webUrl: WEB_URL, dataDir, devTokens: true });
  discovery = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
});

afterAll(async () => {
  await idp?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function jwks(): ReturnType<typeof createRemoteJWKSet> {
  return createRemoteJWKSet(new URL(String(discovery.jwks_uri)));
}

async function postDevToken(body: unknown, init: { contentType?: string; raw?: string } = {}): Promise<Response> {
  return fetch(`${idp.issuer}/dev/token`, {
    method: "POST",
    headers: { "content-type": init.contentType ?? "application/json" },
    body: init.raw ?? JSON.stringify(body),
  });
}

async function mint(body: unknown): Promise<{ token: string; subject: string; expiresAt: number }> {
  const res = await postDevToken(body);
  expect(res.status).toBe(200);
  return (await res.json()) as { token: string; subject: string; expiresAt: number };
}

/** A raw HTTP request, for headers fetch will not let us set (Host). */
function rawRequest(path: string, headers: Record<string, string>, body: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: idp.port, path, method: "POST", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString("utf8")) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("discovery and keys", () => {
  it("answers /healthz with the issuer", async () => {
    const res = await fetch(`${idp.issuer}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", issuer: idp.issuer });
  });

  it("publishes a discovery document with the exact issuer and the S256-only PKCE surface", () => {
    expect(idp.issuer).toBe(`http://localhost:${idp.port}`);
    expect(discovery.issuer).toBe(idp.issuer);
    expect(discovery.jwks_uri).toBe(`${idp.issuer}/jwks`);
    expect(discovery.code_challenge_methods_supported).toEqual(["S256"]);
    expect(discovery.response_types_supported).toEqual(["code"]);
    expect(discovery.scopes_supported).toEqual(expect.arrayContaining(["openid", "email"]));
    expect(discovery.claims_supported).toEqual(expect.arrayContaining(["email", "email_verified"]));
  });

  it("serves public RS256 and ES256 keys with kids and no private parts", async () => {
    const res = await fetch(String(discovery.jwks_uri));
    expect(res.status).toBe(200);
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(keys.map((k) => k.alg).sort()).toEqual(["ES256", "RS256"]);
    for (const key of keys) {
      expect(typeof key.kid).toBe("string");
      for (const secret of ["d", "p", "q", "dp", "dq", "qi"]) expect(key).not.toHaveProperty(secret);
    }
  });
});

describe("POST /dev/token", () => {
  it("mints an email identity token that verifies against the served JWKS", async () => {
    const { token, subject } = await mint({ email: "Dev@Example.test" });
    const { payload, protectedHeader } = await jwtVerify(token, jwks(), {
      issuer: idp.issuer,
      audience: "sigstore",
      algorithms: ["RS256"],
      requiredClaims: ["iat", "exp", "sub"],
    });
    expect(protectedHeader.alg).toBe("RS256");
    expect(payload.email).toBe("dev@example.test");
    expect(payload.email_verified).toBe(true);
    expect(payload.sub).toBe(subject);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(600);
    // Stable: the same mailbox always gets the same subject.
    expect((await mint({ email: "dev@example.test" })).subject).toBe(subject);
    expect((await mint({ email: "other@example.test" })).subject).not.toBe(subject);
  });

  it("honours audience, ttlSeconds and alg, with the kid the JWKS publishes", async () => {
    const { token } = await mint({ email: "dev@example.test", audience: "signet-api", ttlSeconds: 60, alg: "ES256" });
    const { payload, protectedHeader } = await jwtVerify(token, jwks(), { issuer: idp.issuer, audience: "signet-api", algorithms: ["ES256"] });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(60);
    expect(protectedHeader.kid).toBe(idp.keys.keyFor("ES256").kid);
    await expect(jwtVerify(token, jwks(), { issuer: idp.issuer, audience: "sigstore" })).rejects.toMatchObject({ code: "ERR_JWT_CLAIM_VALIDATION_FAILED" });
  });

  it("mints a GitHub Actions shaped workload token", async () => {
    const { token } = await mint({
      workload: { repository: "org/repo", workflow_ref: "org/repo/.github/workflows/ci.yml@refs/heads/main", repository_id: 42 },
    });
    const { payload } = await jwtVerify(token, jwks(), { issuer: idp.issuer, audience: "sigstore", algorithms: ["RS256"] });
    expect(payload).toMatchObject({
      sub: "repo:org/repo:ref:refs/heads/main",
      repository: "org/repo",
      repository_owner: "org",
      repository_id: "42",
      ref: "refs/heads/main",
      ref_type: "branch",
      event_name: "push",
      workflow: "ci",
      workflow_ref: "org/repo/.github/workflows/ci.yml@refs/heads/main",
      job_workflow_ref: "org/repo/.github/workflows/ci.yml@refs/heads/main",
      runner_environment: "github-hosted",
      repository_visibility: "public",
      run_attempt: "1",
    });
    expect(payload.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(payload.job_workflow_sha).toBe(payload.sha);
    expect(payload.repository_owner_id).toMatch(/^[0-9]+$/);
    expect(payload).not.toHaveProperty("email");
  });

  it("uses GitHub's sub forms for environments and pull requests", async () => {
    const env = await mint({ workload: { repository: "org/repo", environment: "prod" } });
    expect(env.subject).toBe("repo:org/repo:environment:prod");
    const pr = await mint({ workload: { repository: "org/repo", event_name: "pull_request", ref: "refs/pull/7/merge" } });
    expect(pr.subject).toBe("repo:org/repo:pull_request");
  });

  const badBodies: [string, unknown][] = [
    ["an array", []],
    ["neither identity", { audience: "sigstore" }],
    ["both identities", { email: "dev@example.test", workload: { repository: "org/repo" } }],
    ["an unknown field", { email: "dev@example.test", ttl: 60 }],
    ["a prototype key", JSON.parse('{"email":"dev@example.test","__proto__":{"x":1}}')],
    ["an email without @", { email: "dev.example.test" }],
    ["an email with two @", { email: "a@b@example.test" }],
    ["an email with a single-label domain", { email: "dev@localhost" }],
    ["an email with markup", { email: "<script>@example.test" }],
    ["an email with a newline", { email: "dev@example.test\n" }],
    ["an email with consecutive dots", { email: "a..b@example.test" }],
    ["a non-ASCII email", { email: "dév@example.test" }],
    ["an email over 254 characters", { email: `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.test` }],
    ["an email with a local part over 64 characters", { email: `${"a".repeat(65)}@example.test` }],
    ["a non-string email", { email: 42 }],
    ["a ttl above an hour", { email: "dev@example.test", ttlSeconds: 3601 }],
    ["a zero ttl", { email: "dev@example.test", ttlSeconds: 0 }],
    ["a fractional ttl", { email: "dev@example.test", ttlSeconds: 1.5 }],
    ["an empty audience", { email: "dev@example.test", audience: "" }],
    ["an unsupported alg", { email: "dev@example.test", alg: "HS256" }],
    ["a workload without repository", { workload: { workflow_ref: "org/repo/.github/workflows/ci.yml@refs/heads/main" } }],
    ["a malformed repository", { workload: { repository: "org/repo/extra" } }],
    ["a workflow_ref of another repository", { workload: { repository: "org/repo", workflow_ref: "evil/repo/.github/workflows/ci.yml@refs/heads/main" } }],
    ["a ref with ..", { workload: { repository: "org/repo", ref: "refs/heads/../main" } }],
    ["an unknown workload claim", { workload: { repository: "org/repo", iss: "https://token.actions.githubusercontent.com" } }],
    ["a colon in the environment", { workload: { repository: "org/repo", environment: "a:b" } }],
  ];
  for (const [what, body] of badBodies) {
    it(`rejects ${what} with 400 ERR_IDP_BAD_REQUEST`, async () => {
      const res = await postDevToken(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe("ERR_IDP_BAD_REQUEST");
    });
  }

  it("rejects non-JSON and a non-JSON content type with 400", async () => {
    for (const res of [
      await postDevToken(undefined, { raw: "{email:" }),
      await postDevToken({ email: "dev@example.test" }, { contentType: "text/plain" }),
      await postDevToken(undefined, { raw: "" }),
    ]) {
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe("ERR_IDP_BAD_REQUEST");
    }
  });

  it("rejects a body over 1 KiB with 413 before parsing it", async () => {
    const res = await postDevToken(undefined, { raw: JSON.stringify({ email: "dev@example.test", audience: "a".repeat(1100) }) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe("ERR_IDP_BODY_TOO_LARGE");
  });

  it("refuses a non-loopback Host header (DNS rebinding) with 403", async () => {
    const body = JSON.stringify({ email: "dev@example.test" });
    const rebound = await rawRequest("/dev/token", { host: `attacker.example:${idp.port}`, "content-type": "application/json" }, body);
    expect(rebound).toMatchObject({ status: 403, json: { code: "ERR_IDP_FORBIDDEN" } });
    const loopback = await rawRequest("/dev/token", { host: `127.0.0.1:${idp.port}`, "content-type": "application/json" }, body);
    expect(loopback.status).toBe(200);
  });

  it("answers GET with 405", async () => {
    const res = await fetch(`${idp.issuer}/dev/token`);
    expect(res.status).toBe(405);
    expect(((await res.json()) as { code: string }).code).toBe("ERR_IDP_METHOD_NOT_ALLOWED");
  });
});

describe("restart and configuration", () => {
  it("keeps its keys across restarts, so earlier tokens still verify", async () => {
    const { token } = await mint({ email: "dev@example.test" });
    const second = await startIdp({ port: 0, webUrl: WEB_URL, dataDir, devTokens: false });
    try {
      const secondJwks = createRemoteJWKSet(new URL(`${second.issuer}/jwks`));
      const { protectedHeader } = await jwtVerify(token, secondJwks, { issuer: idp.issuer, audience: "sigstore" });
      expect(protectedHeader.kid).toBe(idp.keys.keyFor("RS256").kid);
      expect(second.keys.keyFor("RS256").kid).toBe(idp.keys.keyFor("RS256").kid);
      // ...and with SIGNET_IDP_DEV_TOKENS=0 the endpoint is gone.
      const res = await fetch(`${second.issuer}/dev/token`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe("ERR_IDP_DEV_TOKENS_DISABLED");
    } finally {
      await second.close();
    }
  });
});

// ---- the interactive authorization-code + PKCE flow, driven like a browser ----

/** A minimal cookie jar: enough for oidc-provider's session and interaction cookies on one host. */
class Browser {
  readonly cookies = new Map<string, string>();
  readonly visited: { method: string; url: string; status: number }[] = [];

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    let body: string | undefined;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    }
    const method = init.method ?? (body === undefined ? "GET" : "POST");
    const res = await fetch(url, { method, headers, body, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) {
      const [pair = "", ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || value === "";
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    this.visited.push({ method, url, status: res.status });
    return res;
  }

  /** Follows redirects until one leaves for `stopAt` (the client's redirect URI), returning that URL. */
  async follow(res: Response, from: string, stopAt: string): Promise<{ final?: URL; page?: Response }> {
    let current = res;
    let base = from;
    for (let hop = 0; hop < 10; hop += 1) {
      if (current.status < 300 || current.status >= 400) return { page: current };
      const next = new URL(current.headers.get("location") ?? "", base);
      if (next.href.startsWith(stopAt)) return { final: next };
      base = next.href;
      current = await this.request(base);
    }
    throw new Error("too many redirects");
  }
}

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

interface FlowResult {
  code: string;
  state: string;
  nonce: string;
  verifier: string;
  browser: Browser;
  callback: URL;
}

async function authorize(input: { clientId: string; redirectUri: string; email: string }): Promise<FlowResult> {
  const browser = new Browser();
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(12).toString("base64url");
  const nonce = randomBytes(12).toString("base64url");
  const authUrl = new URL(String(discovery.authorization_endpoint));
  for (const [k, v] of Object.entries({
    client_id: input.clientId,
    response_type: "code",
    scope: "openid email",
    redirect_uri: input.redirectUri,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: "S256",
  })) {
    authUrl.searchParams.set(k, v);
  }

  const start = await browser.request(authUrl.href);
  const { page } = await browser.follow(start, authUrl.href, input.redirectUri);
  expect(page?.status).toBe(200);
  const html = await page!.text();
  const action = /<form method="post" action="([^"]+\/login)"/.exec(html)?.[1];
  expect(action).toMatch(/^\/interaction\/[A-Za-z0-9_-]+\/login$/);
  expect(page!.headers.get("content-security-policy")).toContain("default-src 'none'");

  const loginUrl = new URL(action!, idp.issuer).href;
  const posted = await browser.request(loginUrl, { form: { email: input.email } });
  expect(posted.status).toBe(303);
  const { final } = await browser.follow(posted, loginUrl, input.redirectUri);
  expect(final).toBeDefined();
  expect(final!.searchParams.get("state")).toBe(state);
  expect(final!.searchParams.get("iss")).toBe(idp.issuer);
  expect(final!.searchParams.get("error")).toBeNull();
  return { code: final!.searchParams.get("code") ?? "", state, nonce, verifier, browser, callback: final! };
}

async function exchange(input: { clientId: string; redirectUri: string; code: string; verifier: string }): Promise<Response> {
  return fetch(String(discovery.token_endpoint), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: input.clientId,
      redirect_uri: input.redirectUri,
      code: input.code,
      code_verifier: input.verifier,
    }).toString(),
  });
}

describe("authorization code + PKCE", () => {
  it("signs in signet-web by email, auto-approves consent, and issues an ID token with email and nonce once", async () => {
    const flow = await authorize({ clientId: "signet-web", redirectUri: WEB_REDIRECT, email: "Alice@Example.test" });
    expect(flow.code).not.toBe("");
    // The consent step happened and was approved without a page: a GET of a second interaction answered 303.
    const interactionGets = flow.browser.visited.filter((v) => v.method === "GET" && /\/interaction\/[^/]+$/.test(new URL(v.url).pathname));
    expect(interactionGets.map((v) => v.status)).toEqual([200, 303]);

    const res = await exchange({ clientId: "signet-web", redirectUri: WEB_REDIRECT, code: flow.code, verifier: flow.verifier });
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as { id_token: string; access_token: string; token_type: string; expires_in: number };
    expect(tokens.expires_in).toBeLessThanOrEqual(600);
    const { payload } = await jwtVerify(tokens.id_token, jwks(), {
      issuer: idp.issuer,
      audience: "signet-web",
      algorithms: ["RS256"],
      requiredClaims: ["iat", "exp"],
    });
    expect(payload.email).toBe("alice@example.test");
    expect(payload.email_verified).toBe(true);
    expect(payload.nonce).toBe(flow.nonce);
    // The same subject as /dev/token gives for that address.
    expect(payload.sub).toBe((await mint({ email: "alice@example.test" })).subject);

    // userinfo agrees with the ID token.
    const userinfo = await fetch(String(discovery.userinfo_endpoint), { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(await userinfo.json()).toMatchObject({ sub: payload.sub, email: "alice@example.test", email_verified: true });

    const replay = await exchange({ clientId: "signet-web", redirectUri: WEB_REDIRECT, code: flow.code, verifier: flow.verifier });
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error: string }).error).toBe("invalid_grant");
  });

  it("rejects a code exchanged with the wrong PKCE verifier", async () => {
    const flow = await authorize({ clientId: "signet-web", redirectUri: WEB_REDIRECT, email: "bob@example.test" });
    const res = await exchange({ clientId: "signet-web", redirectUri: WEB_REDIRECT, code: flow.code, verifier: pkcePair().verifier });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_grant");
  });

  it("gives the sigstore client a token with aud sigstore on a loopback redirect with any port", async () => {
    const redirectUri = "http://localhost:53682/auth/callback";
    const flow = await authorize({ clientId: "sigstore", redirectUri, email: "carol@example.test" });
    const res = await exchange({ clientId: "sigstore", redirectUri, code: flow.code, verifier: flow.verifier });
    expect(res.status).toBe(200);
    const { id_token } = (await res.json()) as { id_token: string };
    expect(decodeProtectedHeader(id_token).kid).toBe(idp.keys.keyFor("RS256").kid);
    const { payload } = await jwtVerify(id_token, jwks(), { issuer: idp.issuer, audience: "sigstore", algorithms: ["RS256"] });
    expect(payload as JWTPayload & { email?: string }).toMatchObject({ email: "carol@example.test", email_verified: true, nonce: flow.nonce });
  });

  it("refuses an authorization request without PKCE", async () => {
    const url = new URL(String(discovery.authorization_endpoint));
    url.search = new URLSearchParams({ client_id: "signet-web", response_type: "code", scope: "openid email", redirect_uri: WEB_REDIRECT, state: "s" }).toString();
    const res = await fetch(url, { redirect: "manual" });
    const location = new URL(res.headers.get("location") ?? "", idp.issuer);
    expect(location.href.startsWith(WEB_REDIRECT)).toBe(true);
    expect(location.searchParams.get("error")).toBe("invalid_request");
  });

  it("re-renders the form with an escaped error for an odd email, refuses a login without the interaction cookie, and cancels", async () => {
    const browser = new Browser();
    const { challenge } = pkcePair();
    const url = new URL(String(discovery.authorization_endpoint));
    url.search = new URLSearchParams({
      client_id: "signet-web",
      response_type: "code",
      scope: "openid email",
      redirect_uri: WEB_REDIRECT,
      state: "s",
      nonce: "n",
      code_challenge: challenge,
      code_challenge_method: "S256",
    }).toString();
    const { page } = await browser.follow(await browser.request(url.href), url.href, WEB_REDIRECT);
    const action = /action="([^"]+\/login)"/.exec(await page!.text())?.[1] ?? "";
    const loginUrl = new URL(action, idp.issuer).href;

    const bad = await browser.request(loginUrl, { form: { email: '"><script>alert(1)</script>@example.test' } });
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).not.toContain("<script>");
    expect(html).toContain("&#60;script&#62;");

    // Same URL, no cookies: what a cross-site form post would look like.
    const forged = await fetch(loginUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "email=mallory%40example.test",
      redirect: "manual",
    });
    expect(forged.status).toBe(400);

    // Cancel returns the user to the client with access_denied and no code.
    const abortAction = /formaction="([^"]+\/abort)"/.exec(html)?.[1] ?? "";
    expect(abortAction).toMatch(/^\/interaction\/[A-Za-z0-9_-]+\/abort$/);
    const abortUrl = new URL(abortAction, idp.issuer).href;
    const { final } = await browser.follow(await browser.request(abortUrl, { form: {} }), abortUrl, WEB_REDIRECT);
    expect(final?.searchParams.get("error")).toBe("access_denied");
    expect(final?.searchParams.get("code")).toBeNull();
  });
});
