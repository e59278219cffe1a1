/**
 * Portal login, the api's half: the portal ran the authorization code flow with PKCE and state
 * (OpenID Connect Core §3.1) and hands over the ID token plus the nonce it generated. The token is
 * verified like any CA token (verifyIdentityToken, against the login issuers whose audience is the
 * portal's client id), the nonce must match (§3.1.3.7 step 11, SECURITY.md A8), then a session starts.
 */
import { timingSafeEqual } from "node:crypto";
import { DomainError } from "../../errors.ts";
import type { IssuersConfig } from "../oidc/issuers.ts";
import { verifyIdentityToken, type VerifyTokenOptions } from "../oidc/verify-token.ts";
import type { SessionIdentity, SessionStore } from "./sessions.ts";

/** Nonces the portal generates: 16–64 base64url characters. */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** The portal's login issuers: every configured email issuer, with the portal's client id as audience. */
export function toLoginIssuers(config: IssuersConfig, clientId: string): IssuersConfig {
  return { issuers: config.issuers.filter((i) => i.type === "email").map((i) => ({ ...i, audience: clientId })) };
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Verify a portal login's ID token and nonce and start a session. Throws DomainError: the token's
 * ERR_OIDC_* codes, ERR_AUTH_NONCE_MISMATCH, ERR_AUTH_NONCE_REPLAYED, ERR_AUTH_EMAIL_MISSING.
 */
export async function loginWithIdToken(
  input: { idToken: string; nonce: string },
  deps: { issuers: IssuersConfig; sessions: SessionStore; verify?: VerifyTokenOptions },
): Promise<{ sessionId: string; expiresAt: Date; identity: SessionIdentity }> {
  // attacker-controlled: nonce shape checked before any work; the token is capped inside verifyIdentityToken.
  if (!NONCE_PATTERN.test(input.nonce)) throw new DomainError("BAD_REQUEST", "ERR_AUTH_NONCE_MISMATCH", "the login nonce is malformed");
  const verified = await verifyIdentityToken(input.idToken, deps.issuers, deps.verify);
  const nonce = verified.claims.nonce;
  if (typeof nonce !== "string" || !sameString(nonce, input.nonce)) {
    throw new DomainError("UNAUTHORIZED", "ERR_AUTH_NONCE_MISMATCH", "the ID token's nonce is not this login's");
  }
  const email = verified.claims.email;
  if (typeof email !== "string" || email.length === 0) throw new DomainError("UNAUTHORIZED", "ERR_AUTH_EMAIL_MISSING", "the ID token has no email");
  const identity = { issuer: verified.issuer, subject: verified.subject, email };
  const { sessionId, expiresAt } = await deps.sessions.create(identity, nonce);
  return { sessionId, expiresAt, identity };
}
