/**
 * The portal session cookie: names and parsing. The portal (apps/web) sets it; the api reads it from
 * the forwarded `cookie` header. `__Host-` (Secure, Path=/, no Domain) whenever the portal is served
 * over https; the plain name only for an http://localhost portal (SECURITY.md G3).
 */

/** Cookie name on https portals: the `__Host-` prefix pins it to this exact host (RFC 6265bis §4.1.3.2). */
export const SECURE_SESSION_COOKIE = "__Host-signet_session";
/** Cookie name on an http://localhost portal, where browsers refuse `__Host-` cookies. */
export const PLAIN_SESSION_COOKIE = "signet_session";

/** A session id: 32 random bytes, base64url without padding. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Largest cookie header looked at; browsers send at most a few KiB. */
const MAX_COOKIE_HEADER_CHARS = 8192;

/**
 * The session id from a `cookie` request header (RFC 6265 §5.4), or undefined. The plain-named
 * cookie counts only when `allowPlain` (an http portal): on https a sibling host could plant it.
 */
export function readSessionCookie(header: string | undefined, allowPlain: boolean): string | undefined {
  // attacker-controlled: the whole header; capped before splitting, values checked against a strict pattern.
  if (typeof header !== "string" || header.length > MAX_COOKIE_HEADER_CHARS) return undefined;
  let secure: string | undefined;
  let plain: string | undefined;
  for (const part of header.split(";", 64)) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!SESSION_ID_PATTERN.test(value)) continue;
    if (name === SECURE_SESSION_COOKIE) secure ??= value;
    else if (name === PLAIN_SESSION_COOKIE) plain ??= value;
  }
  return secure ?? (allowPlain ? plain : undefined);
}
