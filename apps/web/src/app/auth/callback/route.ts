import { timingSafeEqual } from "node:crypto";
import { cookieNames, getAuthConfig, isHttps, loginError, openLogin, serializeCookie, SESSION_MAX_AGE_SECONDS } from "../auth-config.ts";
import { toUpstreamForwardedFor } from "../../../lib/forwarded-for.ts";
import { callApiMutation, exchangeCode, getDiscovery, OidcError } from "../oidc.ts";

export const dynamic = "force-dynamic";

function cookieValue(request: Request, name: string): string | undefined {
  // attacker-controlled: the cookie header; only the exact name is taken.
  for (const part of (request.headers.get("cookie") ?? "").slice(0, 8192).split(";", 64)) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * GET /auth/callback: the provider's redirect. Checks `state` against the sealed login cookie
 * (consumed here: the cookie is cleared on every outcome), exchanges the code with the PKCE verifier,
 * and has the api verify the ID token and nonce and start a session (SECURITY.md A8, G10). Every
 * failure lands on /auth/error with a stable code and no session.
 */
export async function GET(request: Request): Promise<Response> {
  const config = getAuthConfig();
  const https = isHttps(request, config);
  const names = cookieNames(https);
  const clearLogin = serializeCookie(names.login, "", 0, https);
  const params = new URL(request.url).searchParams;
  const tx = openLogin(cookieValue(request, names.login));
  const state = params.get("state");
  if (tx === undefined) return loginError(config, "ERR_AUTH_LOGIN_EXPIRED", clearLogin);
  if (state === null || state === "") return loginError(config, "ERR_AUTH_STATE_MISSING", clearLogin);
  if (!same(state, tx.state)) return loginError(config, "ERR_AUTH_STATE_MISMATCH", clearLogin);
  if (params.get("error") !== null) return loginError(config, "ERR_AUTH_IDP_DENIED", clearLogin);
  const code = params.get("code");
  if (code === null || code === "" || code.length > 2048) return loginError(config, "ERR_AUTH_CODE_MISSING", clearLogin);

  let idToken: string;
  try {
    idToken = await exchangeCode(config, await getDiscovery(config), code, tx.verifier);
  } catch (e) {
    return loginError(config, e instanceof OidcError ? e.code : "ERR_AUTH_IDP_UNAVAILABLE", clearLogin);
  }
  const session = await callApiMutation<{ sessionId: string; expiresAt: string }>(config, "auth.createSession", { idToken, nonce: tx.nonce }, undefined, toUpstreamForwardedFor(request.headers));
  if (!session.ok) {
    const code = session.code === "ERR_AUTH_NONCE_MISMATCH" || session.code === "ERR_AUTH_NONCE_REPLAYED" ? session.code : session.code.startsWith("ERR_OIDC_") ? "ERR_AUTH_TOKEN_REJECTED" : "ERR_AUTH_UNAVAILABLE";
    return loginError(config, code as `ERR_AUTH_${string}`, clearLogin);
  }
  const headers = new Headers({ location: `${config.webUrl}${tx.returnTo}`, "cache-control": "no-store" });
  headers.append("set-cookie", clearLogin);
  // A new session id on every login (G10); any previous cookie is simply replaced.
  headers.append("set-cookie", serializeCookie(names.session, session.data.sessionId, SESSION_MAX_AGE_SECONDS, https));
  return new Response(null, { status: 303, headers });
}
