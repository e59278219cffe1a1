/**
 * Same-origin proxying from the portal to the API, so the browser only ever talks to this origin
 * (CSP `connect-src 'self'`). Server-only. Requests are rebuilt from an allow-list: only the
 * headers the API needs cross (of cookies, only the portal's session cookie), bodies are capped before they are
 * read, and only JSON/text answer headers come back.
 */

import { readCapped } from "@signet/crypto/encoding/read-capped";
import { toUpstreamForwardedFor } from "./forwarded-for.ts";

/** Largest request body passed to the API (tRPC mutations are small JSON). */
export const MAX_PROXY_BODY_BYTES = 1024 * 1024;
/** Longest query string passed on (tRPC GET batches carry their input in the URL). */
export const MAX_PROXY_QUERY_CHARS = 16 * 1024;
/** How long the API gets to answer before the proxy gives up with 504. */
export const PROXY_TIMEOUT_MS = 30_000;

// Request headers the API uses. Origin and Sec-Fetch-Site travel on so that the API's own
// cross-site check for mutations (SECURITY.md G1) still sees the browser's values: without
// them this proxy would launder a cross-site POST into a same-site one.
const FORWARD_REQUEST_HEADERS = ["accept", "content-type", "origin", "sec-fetch-site", "trpc-accept", "if-none-match"] as const;
// Response headers worth keeping. Never set-cookie; never content-encoding/length (fetch has
// already decoded the body, and the runtime frames it again).
const FORWARD_RESPONSE_HEADERS = ["content-type", "cache-control", "retry-after", "etag", "last-modified", "vary"] as const;

// --- Session cookie (portal sign-in, apps/web/src/app/auth) ----------------------------------------
// The API's protected procedures read the portal's session cookie. Only that cookie crosses, never
// other cookies; the API never sets cookies (the portal's /auth routes do), so set-cookie stays blocked.
const SESSION_COOKIE_NAMES = new Set(["__Host-signet_session", "signet_session"]);

/** The request's session cookie(s) alone, as a `cookie` header for the API, or undefined. */
export function toSessionCookieHeader(header: string | null): string | undefined {
  // attacker-controlled: capped, and only exact names with a base64url value pass.
  if (header === null || header.length > 8192) return undefined;
  const kept: string[] = [];
  for (const part of header.split(";", 64)) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (SESSION_COOKIE_NAMES.has(name) && /^[A-Za-z0-9_-]{1,128}$/.test(value)) kept.push(`${name}=${value}`);
  }
  return kept.length > 0 ? kept.slice(0, 2).join("; ") : undefined;
}
// ----------------------------------------------------------------------------------------------------

/** Where a portal path goes on the API, or why it does not. */
export type UpstreamTarget = { readonly kind: "ok"; readonly path: string } | { readonly kind: "refused"; readonly status: 404 | 414 };

const TRPC_PATH = /^\/trpc\/[A-Za-z0-9_.,-]{1,2048}$/;
const API_PATHS: readonly RegExp[] = [
  /^\/api\/v2\/checkpoint$/,
  // tlog-tiles: tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>] (C2SP tlog-tiles), digits and x-prefixed groups only.
  /^\/api\/v2\/tile\/(?:entries|[0-9]{1,2})(?:\/x[0-9]{3})*\/[0-9]{3}(?:\.p\/[0-9]{1,3})?$/,
  /^\/api\/v1\/log$/,
  /^\/api\/v1\/log\/publicKey$/,
  /^\/api\/v1\/log\/proof$/,
  /^\/api\/v1\/log\/entries$/,
  /^\/api\/v1\/log\/entries\/[0-9a-f]{64}(?:[0-9a-f]{16})?$/,
];
const WELL_KNOWN_FILES = new Set(["trusted_root.json", "signing_config.json"]);
// The two writes /sign makes from the browser, each with its own body cap: a Rekor v1 proposed entry
// (hashedrekord or a DSSE envelope over a small in-toto Statement, plus a certificate) and an RFC 3161
// TimeStampReq (a few hundred bytes).
const API_WRITE_CAPS: ReadonlyMap<string, number> = new Map([
  ["/api/v1/log/entries", 256 * 1024],
  ["/api/v1/timestamp", 8 * 1024],
]);

function target(pathname: string, search: string, allowed: boolean): UpstreamTarget {
  if (!allowed) return { kind: "refused", status: 404 };
  if (search.length > MAX_PROXY_QUERY_CHARS) return { kind: "refused", status: 414 };
  return { kind: "ok", path: `${pathname}${search}` };
}

/** `/trpc/<procedures>?<query>` → the same path on the API. */
export function toTrpcUpstream(url: URL): UpstreamTarget {
  return target(url.pathname, url.search, TRPC_PATH.test(url.pathname));
}

/** The read-only log paths the portal serves for the browser: checkpoint, tiles, Rekor v1 reads. */
export function toApiReadUpstream(url: URL): UpstreamTarget {
  return target(url.pathname, url.search, API_PATHS.some((re) => re.test(url.pathname)));
}

/** POST targets for /sign: exactly the log's entry creation and the TSA, no query string; with the body cap. */
export function toApiWriteUpstream(url: URL): UpstreamTarget & { readonly maxBodyBytes?: number } {
  const cap = API_WRITE_CAPS.get(url.pathname);
  if (cap === undefined || url.search !== "") return { kind: "refused", status: 404 };
  return { kind: "ok", path: url.pathname, maxBodyBytes: cap };
}

/** `/.well-known/signet/<file>` for the trusted root and signing config only. */
export function toWellKnownUpstream(file: string): UpstreamTarget {
  return target(`/.well-known/signet/${file}`, "", WELL_KNOWN_FILES.has(file));
}

function jsonError(status: number, code: string, message: string): Response {
  return Response.json({ code, message }, { status, headers: { "cache-control": "no-store" } });
}

/** The refusal for a path that is not proxied, or a query that is too long. */
export function refuse(t: Extract<UpstreamTarget, { kind: "refused" }>): Response {
  return t.status === 414 ? jsonError(414, "ERR_WEB_URI_TOO_LONG", "the query string is too long") : jsonError(404, "ERR_NOT_FOUND", "no such endpoint");
}

/** Read a request body up to `max` bytes; undefined when it is larger (checked before and while reading). */
async function readCappedBody(request: Request, max: number): Promise<Uint8Array | undefined> {
  // attacker-controlled: the declared length is checked before any byte is read, the real one while reading
  const declared = request.headers.get("content-length");
  if (declared !== null && (!/^[0-9]{1,15}$/.test(declared) || Number(declared) > max)) return undefined;
  return readCapped(request.body, max);
}

export interface ProxyOptions {
  /** The API's base URL as the server reaches it (getWebEnv().apiUrl), read per request. */
  readonly apiUrl: string;
  /** Path and query on the API, from one of the `to…Upstream` functions. */
  readonly path: string;
  readonly maxBodyBytes?: number;
  readonly timeoutMs?: number;
  /** Injected in tests that need a transport failure a real server cannot produce. */
  readonly fetch?: typeof fetch;
}

/** Forward one GET or POST to the API and stream its answer back; never throws. */
export async function proxyToApi(request: Request, options: ProxyOptions): Promise<Response> {
  const method = request.method.toUpperCase();
  if (method !== "GET" && method !== "HEAD" && method !== "POST") return jsonError(405, "ERR_METHOD_NOT_ALLOWED", `${method} is not allowed here`);
  const headers = new Headers();
  for (const name of FORWARD_REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const sessionCookie = toSessionCookieHeader(request.headers.get("cookie"));
  if (sessionCookie !== undefined) headers.set("cookie", sessionCookie);
  // The api's per-client limits need the browser's address, not this server's (SIGNET_TRUSTED_PROXIES).
  const forwardedFor = toUpstreamForwardedFor(request.headers);
  if (forwardedFor !== undefined) headers.set("x-forwarded-for", forwardedFor);
  let body: Uint8Array<ArrayBuffer> | undefined;
  if (method === "POST") {
    const read = await readCappedBody(request, options.maxBodyBytes ?? MAX_PROXY_BODY_BYTES);
    if (read === undefined) return jsonError(413, "ERR_PAYLOAD_TOO_LARGE", `the body is larger than ${options.maxBodyBytes ?? MAX_PROXY_BODY_BYTES} bytes`);
    body = new Uint8Array(read);
  }
  const doFetch = options.fetch ?? fetch;
  let upstream: Response;
  try {
    upstream = await doFetch(new URL(options.path, `${options.apiUrl}/`), {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      // A redirect would send the browser's request somewhere the allow-list never saw.
      redirect: "manual",
      cache: "no-store",
      signal: AbortSignal.timeout(options.timeoutMs ?? PROXY_TIMEOUT_MS),
    });
  } catch (e) {
    const timedOut = e instanceof DOMException && (e.name === "TimeoutError" || e.name === "AbortError");
    return timedOut ? jsonError(504, "ERR_WEB_API_TIMEOUT", "the API did not answer in time") : jsonError(502, "ERR_WEB_API_UNREACHABLE", "the API is not reachable");
  }
  if (upstream.status >= 300 && upstream.status < 400) {
    await upstream.body?.cancel().catch(() => undefined);
    return jsonError(502, "ERR_WEB_API_REDIRECT", "the API answered with a redirect, which is not followed");
  }
  const out = new Headers();
  for (const name of FORWARD_RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) out.set(name, value);
  }
  return new Response(method === "HEAD" ? null : upstream.body, { status: upstream.status, headers: out });
}
