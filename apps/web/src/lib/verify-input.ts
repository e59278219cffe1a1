/**
 * What the person types on the verify page, turned into verifyBundle inputs: an artifact digest
 * and a verification policy (sigstore_verification.proto CertificateIdentity, or a managed key).
 */
import { fromHex } from "@signet/crypto/encoding/hex";
import type { VerificationPolicy } from "@signet/crypto/verify/policy";
import { SignetWebError } from "../errors.ts";

/** Largest bundle file the page reads (a bundle is a few KiB; the cap stops a 2 GB "bundle"). */
export const MAX_BUNDLE_FILE_BYTES = 8 * 1024 * 1024;
/** Largest trusted root file, as @signet/crypto's TRUSTED_ROOT_LIMITS.maxBytes. */
export const MAX_TRUSTED_ROOT_FILE_BYTES = 4 * 1024 * 1024;
/** Largest public key file (PEM SPKI is under 1 KiB even for RSA-4096). */
export const MAX_KEY_FILE_BYTES = 64 * 1024;
/** Longest identity or issuer accepted in the form (policy.ts caps patterns at 1024). */
export const MAX_MATCHER_LENGTH = 1024;

/**
 * Parse `sha256:<64 hex>` (surrounding spaces and upper-case hex allowed) into the 32 digest bytes.
 * Throws ERR_WEB_DIGEST_MALFORMED.
 */
export function parseDigestInput(text: string): Uint8Array {
  // attacker-controlled: pasted text; the length is bounded before any work
  const trimmed = text.length > 200 ? "" : text.trim();
  const m = /^sha256:([0-9a-fA-F]{64})$/.exec(trimmed);
  if (m === null) throw new SignetWebError("ERR_WEB_DIGEST_MALFORMED", "enter the digest as sha256: followed by 64 hexadecimal characters");
  return fromHex(m[1]!.toLowerCase());
}

/** How a form field is compared with the certificate's value. */
export type MatchMode = "exact" | "regex";

/** The verify form's signer section. */
export type SignerForm =
  | {
      readonly mode: "identity";
      readonly identity: { readonly value: string; readonly match: MatchMode };
      readonly issuer: { readonly value: string; readonly match: MatchMode };
    }
  | { readonly mode: "key"; readonly publicKeyPem: string };

function matcher(value: string, match: MatchMode, what: string): { exact: string } | { regex: string } {
  if (value.trim() === "") throw new SignetWebError("ERR_WEB_POLICY_INVALID", `enter the expected ${what}`);
  if (value.length > MAX_MATCHER_LENGTH) throw new SignetWebError("ERR_WEB_POLICY_INVALID", `the ${what} is longer than ${MAX_MATCHER_LENGTH} characters`);
  if (match === "exact") return { exact: value.trim() };
  try {
    // Compiled the way policy.ts will (anchored, unicode) so a typo is reported beside the field.
    new RegExp(`^(?:${value})$`, "u");
  } catch (cause) {
    throw new SignetWebError("ERR_WEB_POLICY_INVALID", `the ${what} is not a valid regular expression`, { cause });
  }
  return { regex: value };
}

/** Build a verifyBundle policy from the form; throws ERR_WEB_POLICY_INVALID naming the field at fault. */
export function toVerificationPolicy(form: SignerForm): VerificationPolicy {
  if (form.mode === "key") {
    if (!form.publicKeyPem.includes("-----BEGIN PUBLIC KEY-----")) {
      throw new SignetWebError("ERR_WEB_POLICY_INVALID", "give the signer's public key as a PEM block (-----BEGIN PUBLIC KEY-----)");
    }
    return { publicKey: form.publicKeyPem };
  }
  return {
    identity: {
      subjectAlternativeName: matcher(form.identity.value, form.identity.match, "identity"),
      issuer: matcher(form.issuer.value, form.issuer.match, "issuer"),
    },
  };
}

/** Escape a literal string for use inside a regular expression (for "use this as a pattern" helpers). */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}
