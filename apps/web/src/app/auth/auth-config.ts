/**
 * Server-only helpers for the portal's OIDC login (authorization code + PKCE + state + nonce,
 * OpenID Connect Core §3.1, RFC 7636): configuration, cookie names and flags, and the short-lived
 * login-transaction cookie, sealed with AES-256-GCM so the browser can neither read nor forge it.
 *
 * Configuration comes from getWebEnv(); the sealing key from login-key.ts (persisted, so a login in
 * progress survives a restart).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { getWebEnv } from "../../env.ts";
import { getLoginKey } from "./login-key.ts";
import { isHttpsRequest } from "../../security-headers.ts";

/** Login transactions expire after 10 minutes. */
export const LOGIN_TTL_SECONDS = 10 * 60;
/** Session cookie lifetime: the api's absolute session timeout (12 h); the api enforces idle time. */
export const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60;

export interface AuthConfig {
  /** The portal's public base URL (redirect URI base and same-origin checks). */
  readonly webUrl: string;
  /** The issuer identifier the discovery document must state exactly. */
  readonly issuer: string;
  readonly apiUrl: string;
  readonly clientId: string;
}

/** The login configuration, read per request. */
export function getAuthConfig(): AuthConfig {
  const env = getWebEnv();
  return {
    webUrl: env.webUrl,
    issuer: env.idpIssuer,
    apiUrl: env.apiUrl,
    clientId: env.webClientId,
  };
}

/** Cookie names: `__Host-` over https (Secure, Path=/, no Domain); plain names on http://localhost. */
export function cookieNames(https: boolean): { session: string; login: string } {
  return https ? { session: "__Host-signet_session", login: "__Host-signet_login" } : { session: "signet_session", login: "signet_login" };
}

/** Whether this request reached the portal over https (URL scheme or X-Forwarded-Proto). */
export function isHttps(request: Request, config: AuthConfig): boolean {
  return isHttpsRequest(new URL(request.url).protocol, request.headers.get("x-forwarded-proto")) || config.webUrl.startsWith("https:");
}

/** A Set-Cookie value with the flags SECURITY.md G3 asks for. */
export function serializeCookie(name: string, value: string, maxAgeSeconds: number, https: boolean): string {
  return `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${https ? "; Secure" : ""}`;
}

/** The login transaction kept in the sealed cookie between /auth/login and /auth/callback. */
export interface LoginTransaction {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  readonly returnTo: string;
  /** Expiry, ms since the epoch. */
  readonly expiresAt: number;
}

const RETURN_PATHS = new Set(["/me", "/account", "/sign"]);

/** Only a few known portal paths: never an attacker-chosen URL (no open redirect). */
export function toReturnPath(raw: string | null): string {
  return raw !== null && RETURN_PATHS.has(raw) ? raw : "/me";
}

/** 32 random bytes, base64url: state, nonce and the PKCE verifier (RFC 7636 §4.1: 43 characters). */
export function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

/** The S256 code challenge of a verifier (RFC 7636 §4.2). */
export function toCodeChallenge(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

// Derived from a persisted secret (SIGNET_WEB_SECRET or <data>/web/state-key): a pending login
// survives a restart, and portal processes sharing the secret share logins.
function sealingKey(): Buffer {
  return getLoginKey(getWebEnv());
}

/** Seal a login transaction for its cookie (AES-256-GCM, random 96-bit IV). */
export function sealLogin(tx: LoginTransaction, key: Buffer = sealingKey()): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(tx), "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

/** Open a sealed login cookie; undefined when missing, forged, malformed or expired. */
export function openLogin(sealed: string | undefined, now = Date.now(), key: Buffer = sealingKey()): LoginTransaction | undefined {
  // attacker-controlled: the cookie value; length and alphabet checked before decoding.
  if (sealed === undefined || sealed.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(sealed)) return undefined;
  const raw = Buffer.from(sealed, "base64url");
  if (raw.length < 29) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
    const tx = JSON.parse(text) as LoginTransaction;
    if (typeof tx.state !== "string" || typeof tx.nonce !== "string" || typeof tx.verifier !== "string" || typeof tx.expiresAt !== "number") return undefined;
    if (tx.expiresAt <= now) return undefined;
    return { ...tx, returnTo: toReturnPath(tx.returnTo) };
  } catch {
    return undefined;
  }
}

/** True when a POST comes from this portal's own pages (Origin, else Sec-Fetch-Site). */
export function isSameOrigin(request: Request, config: AuthConfig): boolean {
  const origin = request.headers.get("origin");
  // Under `Referrer-Policy: no-referrer` browsers send `Origin: null` on form POSTs; Sec-Fetch-Site still tells.
  if (origin !== null && origin !== "null") return origin === new URL(config.webUrl).origin || origin === new URL(request.url).origin;
  return request.headers.get("sec-fetch-site") === "same-origin";
}

/** The redirect to the login error page with a stable code. */
export function loginError(config: AuthConfig, code: `ERR_AUTH_${string}`, clearCookie?: string): Response {
  const headers = new Headers({ location: `${config.webUrl}/auth/error?code=${code}`, "cache-control": "no-store" });
  if (clearCookie !== undefined) headers.append("set-cookie", clearCookie);
  return new Response(null, { status: 303, headers });
}
