import { NextResponse, type NextRequest } from "next/server";
import { createCspNonce } from "./csp-nonce.ts";
import { getWebEnv } from "./env.ts";
import { FORWARDED_CHAIN_HEADER, toForwardedChain } from "./lib/forwarded-for.ts";
import { buildSecurityHeaders, isHttpsRequest, isStaticAssetPath, toOrigin } from "./security-headers.ts";

/**
 * Next 16 proxy (formerly middleware): security headers on every response, including 404s,
 * errors and static assets (SECURITY.md G5). Documents get a fresh CSP nonce; Next reads it from
 * the request's Content-Security-Policy header and stamps it on its own scripts while rendering.
 * Authorization never lives here (SECURITY.md G4): route handlers and procedures check it themselves.
 */
export function proxy(request: NextRequest): NextResponse {
  const env = getWebEnv();
  const { pathname, protocol } = request.nextUrl;
  const nonce = isStaticAssetPath(pathname) ? null : createCspNonce();
  const headers = buildSecurityHeaders({
    nonce,
    connectOrigins: [toOrigin(env.publicApiUrl)],
    isDev: env.isDev,
    https: isHttpsRequest(protocol, request.headers.get("x-forwarded-proto")),
  });
  const csp = headers["Content-Security-Policy"]!;

  // attacker-controlled: a client-sent CSP or x-nonce must never reach the renderer, or it could
  // choose the nonce Next stamps on scripts. Always overwrite or remove both.
  const requestHeaders = new Headers(request.headers);
  requestHeaders.delete("x-nonce");
  requestHeaders.delete("content-security-policy");
  if (nonce !== null) {
    requestHeaders.set("x-nonce", nonce);
    requestHeaders.set("content-security-policy", csp);
  }
  // attacker-controlled: an incoming X-Forwarded-For is moved aside so that Next fills the header
  // with the real TCP peer, which route handlers append when they call the api (lib/forwarded-for.ts).
  const chain = toForwardedChain(request.headers.get("x-forwarded-for"));
  requestHeaders.delete("x-forwarded-for");
  requestHeaders.delete(FORWARDED_CHAIN_HEADER);
  if (chain !== undefined) requestHeaders.set(FORWARDED_CHAIN_HEADER, chain);

  const response = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

// No matcher: the proxy runs for every path, static assets and unknown URLs included, so no
// response leaves without the headers above.
