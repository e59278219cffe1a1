/**
 * The portal's side of the OIDC exchange, server-side only: discovery (exact issuer, endpoints on
 * the issuer's own origin, no redirects followed; SECURITY.md A3, A7) and the token request with the
 * PKCE verifier (RFC 7636 §4.5). The ID token itself is verified by the api, not here.
 */
import type { AuthConfig } from "./auth-config.ts";

/** Largest discovery document or token response read. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const TIMEOUT_MS = 5_000;
const DISCOVERY_TTL_MS = 5 * 60 * 1000;

export interface Discovery {
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
}

export class OidcError extends Error {
  constructor(readonly code: `ERR_AUTH_${string}`, message: string) {
    super(message);
  }
}

async function readJson(res: Response): Promise<unknown> {
  // attacker-controlled (a misbehaving provider): size capped before parsing.
  const declared = Number(res.headers.get("content-length") ?? 0);
  if (declared > MAX_RESPONSE_BYTES) throw new OidcError("ERR_AUTH_IDP_INVALID", "the provider's answer is too large");
  const text = await res.text();
  if (text.length > MAX_RESPONSE_BYTES) throw new OidcError("ERR_AUTH_IDP_INVALID", "the provider's answer is too large");
  try {
    return JSON.parse(text);
  } catch {
    throw new OidcError("ERR_AUTH_IDP_INVALID", "the provider's answer is not JSON");
  }
}

let cached: { key: string; at: number; value: Discovery } | undefined;

/** Fetch (and cache for 5 minutes) the provider's discovery document; checks issuer and endpoint origins. */
export async function getDiscovery(config: AuthConfig, now = Date.now()): Promise<Discovery> {
  const key = config.issuer;
  if (cached && cached.key === key && now - cached.at < DISCOVERY_TTL_MS) return cached.value;
  let res: Response;
  try {
    // OpenID Connect Discovery §4: the document lives under the issuer itself, and endpoints follow its host.
    res = await fetch(`${config.issuer}/.well-known/openid-configuration`, { redirect: "manual", cache: "no-store", signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch {
    throw new OidcError("ERR_AUTH_IDP_UNAVAILABLE", "the identity provider is not reachable");
  }
  if (res.status !== 200) throw new OidcError("ERR_AUTH_IDP_UNAVAILABLE", `discovery answered ${res.status}`);
  const doc = (await readJson(res)) as Record<string, unknown>;
  if (doc?.issuer !== config.issuer) throw new OidcError("ERR_AUTH_IDP_INVALID", "discovery names another issuer");
  const issuerOrigin = new URL(config.issuer).origin;
  const endpoint = (name: string): string => {
    const v = doc[name];
    if (typeof v !== "string") throw new OidcError("ERR_AUTH_IDP_INVALID", `discovery has no ${name}`);
    const u = new URL(v);
    if (u.origin !== issuerOrigin) throw new OidcError("ERR_AUTH_IDP_INVALID", `${name} is not on the issuer's origin`);
    return u.href;
  };
  const value = { authorizationEndpoint: endpoint("authorization_endpoint"), tokenEndpoint: endpoint("token_endpoint") };
  cached = { key, at: now, value };
  return value;
}

/** Exchange an authorization code (with the PKCE verifier) for the ID token (OIDC Core §3.1.3.1). */
export async function exchangeCode(config: AuthConfig, discovery: Discovery, code: string, verifier: string): Promise<string> {
  const url = new URL(discovery.tokenEndpoint);
  const body = new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: `${config.webUrl}/auth/callback`, client_id: config.clientId, code_verifier: verifier });
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", body, headers: { accept: "application/json" }, redirect: "manual", cache: "no-store", signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch {
    throw new OidcError("ERR_AUTH_IDP_UNAVAILABLE", "the identity provider is not reachable");
  }
  const json = (await readJson(res)) as { id_token?: unknown };
  // A reused code or a PKCE mismatch: invalid_grant (RFC 6749 §5.2).
  if (res.status !== 200) throw new OidcError("ERR_AUTH_CODE_REJECTED", "the identity provider refused the authorization code");
  if (typeof json?.id_token !== "string") throw new OidcError("ERR_AUTH_IDP_INVALID", "the token response has no id_token");
  return json.id_token;
}

/**
 * Call a tRPC mutation on the api, server to server (tRPC HTTP: POST /trpc/<path>, JSON input);
 * `forwardedFor` carries the browser's address for the api's per-client limits (lib/forwarded-for.ts).
 */
export async function callApiMutation<T>(
  config: AuthConfig,
  path: string,
  input: unknown,
  cookie?: string,
  forwardedFor?: string,
): Promise<{ ok: true; data: T } | { ok: false; code: string }> {
  let res: Response;
  try {
    res = await fetch(`${config.apiUrl}/trpc/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}), ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}) },
      body: JSON.stringify(input ?? null),
      redirect: "manual",
      cache: "no-store",
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    return { ok: false, code: "ERR_AUTH_UNAVAILABLE" };
  }
  const json = (await res.json().catch(() => undefined)) as { result?: { data?: T }; error?: { data?: { signetCode?: string } } } | undefined;
  if (res.ok && json?.result) return { ok: true, data: json.result.data as T };
  return { ok: false, code: json?.error?.data?.signetCode ?? "ERR_AUTH_UNAVAILABLE" };
}
