/**
 * Verification policy: who must have signed (certificate identity, issuer,
 * extension values; sigstore_verification.proto CertificateIdentity) or which
 * managed key, and optional statement constraints. Unknown options are an
 * error, never ignored (SECURITY.md F5).
 */
import { SignetCryptoError } from "../errors.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { bytesEqual, fromUtf8 } from "../encoding/bytes.ts";
import { parsePublicKeyPem, parseSpki, type PublicKeyInfo } from "../keys.ts";
import type { Certificate } from "../x509/certificate.ts";
import { FULCIO_OIDS, decodeFulcioExtension, readFulcioIssuer } from "../x509/fulcio-extensions.ts";

/** A string matcher: exact by default, or a regular expression matched against the whole value. */
export type StringMatcher = string | { readonly exact: string } | { readonly regex: string };

/** Keyless identity: SAN and OIDC issuer. */
export interface IdentityPolicy {
  readonly subjectAlternativeName: StringMatcher;
  readonly issuer: StringMatcher;
}

/** An extension that must be present with exactly this value. */
export interface ExtensionPolicy {
  readonly oid: string;
  /** A string compares with the decoded value (Fulcio OIDs) or the UTF-8 extnValue; bytes with the raw extnValue. */
  readonly value: string | Uint8Array;
}

/** What verifyBundle requires of the signer. Exactly one of `identity` or `publicKey`. */
export interface VerificationPolicy {
  readonly identity?: IdentityPolicy;
  readonly extensions?: readonly ExtensionPolicy[];
  /** Managed key: an SPKI (DER bytes, PEM text or a parsed key). */
  readonly publicKey?: PublicKeyInfo | Uint8Array | string;
  /** For DSSE in-toto bundles: the required predicateType. */
  readonly predicateType?: string;
}

/** A policy after validation. */
export interface NormalizedPolicy {
  readonly identity: { readonly san: (v: string) => boolean; readonly issuer: (v: string) => boolean; readonly describe: string } | undefined;
  readonly extensions: readonly ExtensionPolicy[];
  readonly publicKey: PublicKeyInfo | undefined;
  readonly predicateType: string | undefined;
}

const POLICY_KEYS = ["identity", "extensions", "publicKey", "predicateType"];
const MAX_MATCH_INPUT = 4096;
const MAX_PATTERN = 1024;

function invalid(message: string, cause?: unknown): never {
  throw new SignetCryptoError("ERR_VERIFY_POLICY_INVALID", message, cause === undefined ? undefined : { cause });
}

function compileMatcher(m: unknown, what: string): { test: (v: string) => boolean; text: string } {
  if (typeof m === "string" || (typeof m === "object" && m !== null && "exact" in m && Object.keys(m).length === 1)) {
    const exact = typeof m === "string" ? m : (m as { exact: unknown }).exact;
    if (typeof exact !== "string" || exact === "") invalid(`${what} must be a non-empty string`);
    return { test: (v) => v === exact, text: JSON.stringify(exact) };
  }
  if (typeof m === "object" && m !== null && "regex" in m && Object.keys(m).length === 1) {
    const pattern = (m as { regex: unknown }).regex;
    if (typeof pattern !== "string" || pattern === "" || pattern.length > MAX_PATTERN) invalid(`${what} regex must be a non-empty string`);
    let re: RegExp;
    try {
      // Anchored: a pattern must describe the whole identity, not a substring of it.
      re = new RegExp(`^(?:${pattern})$`, "u");
    } catch (cause) {
      invalid(`${what} regex does not compile`, cause);
    }
    return { test: (v) => v.length <= MAX_MATCH_INPUT && re.test(v), text: `/${pattern}/` };
  }
  invalid(`${what} must be a string, {exact} or {regex}`);
}

/** Validate a policy (ERR_VERIFY_POLICY_INVALID on unknown or conflicting options). */
export function normalizePolicy(policy: VerificationPolicy): NormalizedPolicy {
  if (typeof policy !== "object" || policy === null) invalid("policy must be an object");
  for (const k of Object.keys(policy)) if (!POLICY_KEYS.includes(k)) invalid(`unknown policy option "${k}"`);
  const hasIdentity = policy.identity !== undefined;
  const hasKey = policy.publicKey !== undefined;
  if (hasIdentity === hasKey) invalid("policy needs exactly one of identity or publicKey");
  let identity: NormalizedPolicy["identity"];
  if (policy.identity !== undefined) {
    const id = policy.identity;
    if (typeof id !== "object" || id === null) invalid("identity must be an object");
    for (const k of Object.keys(id)) if (k !== "subjectAlternativeName" && k !== "issuer") invalid(`unknown identity option "${k}"`);
    const san = compileMatcher(id.subjectAlternativeName, "identity.subjectAlternativeName");
    const issuer = compileMatcher(id.issuer, "identity.issuer");
    identity = { san: san.test, issuer: issuer.test, describe: `SAN ${san.text}, issuer ${issuer.text}` };
  }
  const extensions = policy.extensions ?? [];
  if (!Array.isArray(extensions)) invalid("extensions must be an array");
  for (const e of extensions) {
    if (typeof e !== "object" || e === null || Object.keys(e).some((k) => k !== "oid" && k !== "value")) invalid("extension policy must be {oid, value}");
    if (typeof e.oid !== "string" || !/^[0-2](\.(0|[1-9][0-9]*))+$/.test(e.oid)) invalid(`bad extension OID ${String(e.oid)}`);
    if (typeof e.value !== "string" && !(e.value instanceof Uint8Array)) invalid("extension value must be a string or bytes");
  }
  if (extensions.length > 0 && hasKey) invalid("extension policies need a certificate, not a managed key");
  let publicKey: PublicKeyInfo | undefined;
  if (policy.publicKey !== undefined) {
    const k = policy.publicKey;
    try {
      publicKey = typeof k === "string" ? parsePublicKeyPem(k) : k instanceof Uint8Array ? parseSpki(k) : k;
    } catch (cause) {
      throw new SignetCryptoError("ERR_VERIFY_POLICY_KEY", "policy public key is not a usable key", { cause });
    }
    if (typeof publicKey !== "object" || publicKey === null || !("spki" in publicKey)) invalid("publicKey must be SPKI DER, PEM, or a parsed key");
  }
  if (policy.predicateType !== undefined && (typeof policy.predicateType !== "string" || policy.predicateType === "")) invalid("predicateType must be a non-empty string");
  return { identity, extensions, publicKey, predicateType: policy.predicateType };
}

/** SAN values a policy may match: URI, email, DNS and Fulcio otherName usernames. */
export function sanValues(cert: Certificate): string[] {
  const out: string[] = [];
  for (const n of cert.subjectAltNames) {
    if (n.kind === "uri" || n.kind === "email" || n.kind === "dns") out.push(n.value);
    else if (n.kind === "otherName" && n.typeId === FULCIO_OIDS.otherNameSan && n.value !== undefined) out.push(n.value);
  }
  return out;
}

function extensionMatches(cert: Certificate, want: ExtensionPolicy): boolean {
  const ext = cert.extensions.find((e) => e.oid === want.oid);
  if (ext === undefined) return false;
  if (want.value instanceof Uint8Array) return bytesEqual(ext.value, want.value as Bytes);
  try {
    const text = want.oid.startsWith("1.3.6.1.4.1.57264.1.") ? decodeFulcioExtension(ext.oid, ext.value) : fromUtf8(ext.value);
    return text === want.value;
  } catch {
    return false;
  }
}

/**
 * Check a verified leaf certificate against the policy. Throws
 * ERR_VERIFY_POLICY_IDENTITY, ERR_VERIFY_POLICY_ISSUER or ERR_VERIFY_POLICY_EXTENSION.
 */
export function verifyCertificatePolicy(cert: Certificate, policy: NormalizedPolicy): { san: string; issuer: string } {
  const id = policy.identity;
  if (id === undefined) throw new SignetCryptoError("ERR_VERIFY_POLICY_KEY", "bundle is keyless but the policy expects a managed key");
  const sans = sanValues(cert);
  const san = sans.find((v) => id.san(v));
  if (san === undefined) throw new SignetCryptoError("ERR_VERIFY_POLICY_IDENTITY", `certificate identity ${JSON.stringify(sans)} does not match ${id.describe}`);
  let issuer: string | undefined;
  try {
    issuer = readFulcioIssuer(cert);
  } catch (cause) {
    throw new SignetCryptoError("ERR_VERIFY_POLICY_ISSUER", "certificate issuer extension is malformed", { cause });
  }
  if (issuer === undefined || !id.issuer(issuer)) throw new SignetCryptoError("ERR_VERIFY_POLICY_ISSUER", `certificate issuer ${JSON.stringify(issuer)} does not match ${id.describe}`);
  for (const want of policy.extensions) {
    if (!extensionMatches(cert, want)) throw new SignetCryptoError("ERR_VERIFY_POLICY_EXTENSION", `extension ${want.oid} is missing or has another value`);
  }
  return { san, issuer };
}
