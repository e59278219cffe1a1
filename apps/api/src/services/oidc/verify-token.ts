/**
 * ID token verification for the CA (OpenID Connect Core 1.0 §3.1.3.7; SECURITY.md A1–A7, A9, A10):
 * size cap before anything else, an allow-listed asymmetric algorithm, an exact issuer match before
 * any network request, keys only from the issuer's own discovery and JWKS, a strict audience, and
 * exp/iat/nbf with a 60 s skew. The result is the identity a certificate will bind.
 */
import type { JWSHeaderParameters } from "jose";
import { DomainError } from "../../errors.ts";
import { checkAdmissionPolicy, toVerifiedIdentity, type VerifiedIdentity } from "./identity.ts";
import { findIssuer, type IssuersConfig } from "./issuers.ts";
import { isValidJwsSignature } from "./jws.ts";
import { createProviderKeys, type ProviderKeys, type ProviderKeysOptions } from "./provider-keys.ts";

export type { VerifiedIdentity } from "./identity.ts";

/** Largest token accepted, checked before the token is split or decoded (SECURITY.md A1). */
export const ID_TOKEN_MAX_BYTES = 16 * 1024;
/** Allowed clock skew for exp, iat and nbf (SECURITY.md A6). */
export const CLOCK_SKEW_SECONDS = 60;
/** Default oldest `iat` accepted. */
export const DEFAULT_MAX_TOKEN_AGE_SECONDS = 60 * 60;

export interface VerifyTokenOptions extends ProviderKeysOptions {
  /** The provider key cache; without one, a cache per configuration object is used. */
  keys?: ProviderKeys;
  /** Oldest `iat` accepted, in seconds (default one hour). */
  maxTokenAgeSeconds?: number;
}

// The three base64url parts of a JWS Compact Serialization (RFC 7515 §7.1); linear on ≤ 16 KiB.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const defaultKeys = new WeakMap<IssuersConfig, ProviderKeys>();

function fail(code: `ERR_OIDC_${string}`, message: string): never {
  throw new DomainError("UNAUTHORIZED", code, message);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** One base64url segment (RFC 7515 §2, no padding) as a JSON object; throws on anything else. */
function decodeJsonSegment(segment: string): Record<string, unknown> {
  // A length of 1 mod 4 is not base64url; Buffer would silently drop the stray character.
  if (segment.length % 4 === 1) throw new Error("bad base64url length");
  const parsed: unknown = JSON.parse(utf8.decode(Buffer.from(segment, "base64url")));
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
  return parsed as Record<string, unknown>;
}

function numericDate(claims: Record<string, unknown>, name: string, required: boolean): number | undefined {
  const v = claims[name];
  if (v === undefined) {
    if (required) fail("ERR_OIDC_CLAIM_MISSING", `token has no ${name} claim`);
    return undefined;
  }
  if (typeof v !== "number" || !Number.isFinite(v)) fail("ERR_OIDC_CLAIM_INVALID", `${name} is not a NumericDate`);
  return v;
}

/**
 * Verify an OIDC ID token against the configured issuers and return the identity it proves.
 * Throws DomainError: UNAUTHORIZED with ERR_OIDC_TOKEN_TOO_LARGE, _TOKEN_MALFORMED, _ALGORITHM_NOT_ALLOWED,
 * _ISSUER_NOT_ALLOWED, _DISCOVERY_REDIRECT, _DISCOVERY_ISSUER_MISMATCH, _DISCOVERY_INVALID,
 * _JWKS_REDIRECT, _JWKS_URI_NOT_ALLOWED, _JWKS_INVALID, _KEY_NOT_FOUND, _SIGNATURE_INVALID,
 * _AUDIENCE_INVALID, _TOKEN_EXPIRED, _TOKEN_NOT_YET_VALID, _TOKEN_IAT_INVALID, _TOKEN_TOO_OLD,
 * _CLAIM_MISSING, _CLAIM_INVALID, _EMAIL_UNVERIFIED, _SUBJECT_NOT_ALLOWED; FORBIDDEN
 * ERR_OIDC_POLICY_DENIED; BAD_REQUEST ERR_OIDC_IDENTITY_INVALID; UNAVAILABLE ERR_OIDC_PROVIDER_UNAVAILABLE.
 */
export async function verifyIdentityToken(token: string, config: IssuersConfig, options: VerifyTokenOptions = {}): Promise<VerifiedIdentity> {
  // attacker-controlled: the whole token. Size first, in O(1), before any split or decode (A1).
  if (typeof token !== "string") fail("ERR_OIDC_TOKEN_MALFORMED", "token is not a string");
  if (token.length > ID_TOKEN_MAX_BYTES) fail("ERR_OIDC_TOKEN_TOO_LARGE", `token is larger than ${ID_TOKEN_MAX_BYTES} bytes`);
  if (!COMPACT_JWS.test(token)) fail("ERR_OIDC_TOKEN_MALFORMED", "token is not a signed JWT in compact form");

  const headerEnd = token.indexOf(".");
  const payloadEnd = token.indexOf(".", headerEnd + 1);
  let header: JWSHeaderParameters;
  let claims: Record<string, unknown>;
  try {
    header = decodeJsonSegment(token.slice(0, headerEnd)) as JWSHeaderParameters;
    // Not trusted until the signature over exactly these bytes verifies below.
    claims = decodeJsonSegment(token.slice(headerEnd + 1, payloadEnd));
  } catch {
    fail("ERR_OIDC_TOKEN_MALFORMED", "token header or payload is not base64url JSON");
  }
  // RFC 7515 §4.1.11: no extension is understood here, so a token that marks one critical is refused.
  if (header.crit !== undefined) fail("ERR_OIDC_TOKEN_MALFORMED", "token header has critical extensions");

  // A4: `none` and every HMAC algorithm are refused outright, whatever the configuration says.
  const alg = header.alg;
  if (typeof alg !== "string") fail("ERR_OIDC_TOKEN_MALFORMED", "token header has no alg");
  if (alg === "none" || /^HS/i.test(alg)) fail("ERR_OIDC_ALGORITHM_NOT_ALLOWED", "token algorithm is not allowed");

  // A2/A7: an exact (or anchored wildcard) issuer match, before any request leaves this process.
  const iss = claims.iss;
  if (typeof iss !== "string") fail("ERR_OIDC_ISSUER_NOT_ALLOWED", "token has no issuer");
  const issuer = findIssuer(config, iss);
  if (issuer === undefined) fail("ERR_OIDC_ISSUER_NOT_ALLOWED", "token issuer is not configured");
  if (!(issuer.algorithms as readonly string[]).includes(alg)) fail("ERR_OIDC_ALGORITHM_NOT_ALLOWED", `algorithm ${alg} is not allowed for this issuer`);

  let keys = options.keys ?? defaultKeys.get(config);
  if (keys === undefined) {
    keys = createProviderKeys(options);
    defaultKeys.set(config, keys);
  }
  // Keys come only from the issuer's JWKS: `jku`, `x5u`, `jwk` and `x5c` headers are never consulted (A4).
  const candidates = await keys.keysFor(iss, { alg, ...(typeof header.kid === "string" ? { kid: header.kid } : {}) });
  // RFC 7515 §5.2 step 8: the signature is over the ASCII of `header.payload` exactly as sent.
  const signingInput = Buffer.from(token.slice(0, payloadEnd), "latin1");
  const signatureSegment = token.slice(payloadEnd + 1);
  if (signatureSegment.length % 4 === 1) fail("ERR_OIDC_TOKEN_MALFORMED", "token signature is not base64url");
  const signature = Buffer.from(signatureSegment, "base64url");
  const algorithm = alg as (typeof issuer.algorithms)[number];
  if (!candidates.some((key) => isValidJwsSignature(algorithm, key, signingInput, signature))) {
    fail("ERR_OIDC_SIGNATURE_INVALID", "token signature does not verify");
  }

  // A5: every audience must be ours (no untrusted extra audience), and azp, when present, too.
  const aud = claims.aud;
  const audiences = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  if (audiences.length === 0 || audiences.length > 16 || !audiences.every((a) => a === issuer.audience)) {
    fail("ERR_OIDC_AUDIENCE_INVALID", "token audience is not exactly this CA's");
  }
  if (claims.azp !== undefined && claims.azp !== issuer.audience) fail("ERR_OIDC_AUDIENCE_INVALID", "token azp is another party");

  // A6: expiry, issue time and not-before, each with the same skew.
  const now = (options.clock ?? Date.now)() / 1000;
  const exp = numericDate(claims, "exp", true)!;
  const iat = numericDate(claims, "iat", true)!;
  const nbf = numericDate(claims, "nbf", false);
  if (now > exp + CLOCK_SKEW_SECONDS) fail("ERR_OIDC_TOKEN_EXPIRED", "token has expired");
  if (iat > now + CLOCK_SKEW_SECONDS) fail("ERR_OIDC_TOKEN_IAT_INVALID", "token was issued in the future");
  if (now - iat > (options.maxTokenAgeSeconds ?? DEFAULT_MAX_TOKEN_AGE_SECONDS) + CLOCK_SKEW_SECONDS) fail("ERR_OIDC_TOKEN_TOO_OLD", "token was issued too long ago");
  if (nbf !== undefined && nbf > now + CLOCK_SKEW_SECONDS) fail("ERR_OIDC_TOKEN_NOT_YET_VALID", "token is not valid yet");

  const identity = toVerifiedIdentity(issuer, iss, claims);
  checkAdmissionPolicy(issuer, identity);
  return identity;
}
