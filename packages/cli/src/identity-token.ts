/**
 * Read an OIDC identity token's claims WITHOUT verifying it: the client only
 * needs the challenge claim for the proof of possession and the issuer for its
 * own check of the bundle. The certificate authority verifies the token.
 */
import { SignError } from "./errors.ts";

/** Largest token accepted (the CA's own cap, SECURITY.md A1). */
export const TOKEN_MAX_LENGTH = 16 * 1024;

/** The claims the signing client reads. Unverified: never a trust decision. */
export interface UnverifiedTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly email: string | undefined;
  /** What the proof of possession signs: `email` when present, else `sub` (sigstore/fulcio pkg/config issuerToChallengeClaim). */
  readonly challenge: string;
}

function malformed(message: string, cause?: unknown): SignError {
  return new SignError("ERR_SIGN_TOKEN_MALFORMED", `identity token: ${message}`, cause === undefined ? {} : { cause });
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw malformed("a segment is not base64url");
  const std = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(std + "=".repeat((4 - (std.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

/** Decode a compact JWS's payload claims (RFC 7519 §7.2 steps 1–7, signature NOT checked). Throws ERR_SIGN_TOKEN_MALFORMED. */
export function readUnverifiedClaims(token: string): UnverifiedTokenClaims {
  // attacker-controlled only in the sense of user input: size checked before splitting
  if (token.length > TOKEN_MAX_LENGTH) throw malformed(`longer than ${TOKEN_MAX_LENGTH} characters`);
  const parts = token.trim().split(".");
  if (parts.length !== 3 || parts.some((p) => p === "")) throw malformed("not a compact JWS (header.payload.signature)");
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(fromBase64Url(parts[1]!)));
  } catch (cause) {
    if (cause instanceof SignError) throw cause;
    throw malformed("payload is not JSON", cause);
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) throw malformed("payload is not a JSON object");
  const c = claims as Record<string, unknown>;
  if (typeof c.iss !== "string" || c.iss === "") throw malformed("no iss claim");
  if (typeof c.sub !== "string" || c.sub === "") throw malformed("no sub claim");
  const email = typeof c.email === "string" && c.email !== "" ? c.email : undefined;
  return { iss: c.iss, sub: c.sub, email, challenge: email ?? c.sub };
}
