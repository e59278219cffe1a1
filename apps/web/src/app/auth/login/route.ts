import { cookieNames, getAuthConfig, isHttps, LOGIN_TTL_SECONDS, loginError, randomToken, sealLogin, serializeCookie, toCodeChallenge, toReturnPath } from "../auth-config.ts";
import { getDiscovery, OidcError } from "../oidc.ts";

export const dynamic = "force-dynamic";

/**
 * GET /auth/login: start an authorization code flow with PKCE S256, state and nonce (OIDC Core
 * §3.1.2.1, RFC 7636). The three secrets travel only in a sealed, HttpOnly, SameSite=Lax,
 * 10-minute cookie bound to this browser; the browser goes to the provider's authorization endpoint.
 */
export async function GET(request: Request): Promise<Response> {
  const config = getAuthConfig();
  const https = isHttps(request, config);
  let authorizationEndpoint: string;
  try {
    ({ authorizationEndpoint } = await getDiscovery(config));
  } catch (e) {
    return loginError(config, e instanceof OidcError ? e.code : "ERR_AUTH_IDP_UNAVAILABLE");
  }
  const tx = {
    state: randomToken(),
    nonce: randomToken(),
    verifier: randomToken(),
    returnTo: toReturnPath(new URL(request.url).searchParams.get("returnTo")),
    expiresAt: Date.now() + LOGIN_TTL_SECONDS * 1000,
  };
  const url = new URL(authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: config.clientId,
    redirect_uri: `${config.webUrl}/auth/callback`,
    scope: "openid email",
    state: tx.state,
    nonce: tx.nonce,
    code_challenge: toCodeChallenge(tx.verifier),
    code_challenge_method: "S256",
  }).toString();
  const headers = new Headers({ location: url.href, "cache-control": "no-store" });
  headers.append("set-cookie", serializeCookie(cookieNames(https).login, sealLogin(tx), LOGIN_TTL_SECONDS, https));
  return new Response(null, { status: 303, headers });
}
