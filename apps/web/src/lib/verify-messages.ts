/**
 * Plain-language names for verifyBundle's checks and failures. The UI switches on the stable
 * codes from @signet/crypto (verify/transcript.ts CHECK_ERROR_CODES and policy codes), never on
 * error messages.
 */
import type { CheckName } from "@signet/crypto/verify/transcript";

/** A person-readable title for each check of the transcript, in verifyBundle's order. */
export const CHECK_TITLES: Readonly<Record<CheckName, string>> = {
  "bundle-shape": "Bundle format",
  "trusted-time": "Trusted time",
  "certificate-chain": "Certificate chain",
  "public-key": "Public key",
  sct: "Certificate transparency (SCT)",
  "log-entry-binding": "Log entry matches the bundle",
  "inclusion-proof": "Inclusion in the log",
  "checkpoint-signature": "Log checkpoint signature",
  "tlog-threshold": "Number of logs",
  artifact: "Artifact digest",
  signature: "Signature",
  policy: "Signer identity",
};

/** What failed, said plainly: a headline and one sentence of explanation. */
export interface FailureExplanation {
  readonly headline: string;
  readonly explanation: string;
}

const SIGNATURE_MISMATCH: FailureExplanation = {
  headline: "The signature does not match this artifact",
  explanation: "The bundle signs different content: the file was changed after signing, or it is not the file this bundle is for.",
};

const BY_CODE: Readonly<Record<string, FailureExplanation>> = {
  ERR_VERIFY_SIGNATURE: SIGNATURE_MISMATCH,
  ERR_VERIFY_ARTIFACT: SIGNATURE_MISMATCH,
  ERR_VERIFY_POLICY_IDENTITY: {
    headline: "The certificate was issued to a different identity",
    explanation: "The signature is valid, but the signer is not the identity you said to expect.",
  },
  ERR_VERIFY_POLICY_ISSUER: {
    headline: "The certificate was issued for a different identity provider",
    explanation: "The signer logged in with another OpenID issuer than the one you said to expect.",
  },
  ERR_VERIFY_POLICY_EXTENSION: {
    headline: "The certificate lacks a required property",
    explanation: "A certificate extension the policy requires is missing or has another value.",
  },
  ERR_VERIFY_POLICY_KEY: {
    headline: "The bundle is signed differently from what you asked to check",
    explanation: "Keyless bundles need an expected identity; bundles signed with a managed key need that public key.",
  },
  ERR_VERIFY_POLICY_PREDICATE_TYPE: {
    headline: "The attestation is of another type",
    explanation: "The in-toto statement's predicate type is not the one required.",
  },
  ERR_VERIFY_POLICY_INVALID: {
    headline: "The verification settings are not valid",
    explanation: "Check the expected identity, issuer or key: a value is missing or a pattern does not compile.",
  },
  ERR_VERIFY_POLICY: {
    headline: "The signer does not match the policy",
    explanation: "The certificate does not satisfy the expected identity.",
  },
  ERR_VERIFY_BUNDLE_SHAPE: {
    headline: "The bundle could not be read",
    explanation: "The file is not a well-formed Sigstore bundle (v0.1 to v0.3), or it exceeds a safety limit.",
  },
  ERR_VERIFY_TRUSTED_TIME: {
    headline: "The signing time could not be trusted",
    explanation: "A timestamp in the bundle (a log's signed promise or a timestamp authority's token) failed to verify.",
  },
  ERR_VERIFY_CERTIFICATE_CHAIN: {
    headline: "The certificate was not issued by a trusted authority",
    explanation: "Its chain does not lead to a certificate authority in the trusted root, or it was not valid when it was used.",
  },
  ERR_VERIFY_PUBLIC_KEY: {
    headline: "The public key could not be used",
    explanation: "The key given for this bundle is not a supported, valid public key.",
  },
  ERR_VERIFY_SCT: {
    headline: "The certificate was not publicly logged",
    explanation: "Its certificate-transparency timestamp (SCT) is missing or does not verify against the trusted CT logs.",
  },
  ERR_VERIFY_TLOG_BINDING: {
    headline: "The transparency log recorded something else",
    explanation: "The log entry in the bundle does not record this signature, signer and artifact digest, or comes from a log that is not trusted.",
  },
  ERR_VERIFY_INCLUSION_PROOF: {
    headline: "The proof of inclusion in the log is wrong",
    explanation: "The Merkle inclusion proof does not lead from the entry to the checkpoint's root.",
  },
  ERR_VERIFY_CHECKPOINT: {
    headline: "The log checkpoint is not signed by a trusted log",
    explanation: "The checkpoint's signature does not verify with the log key in the trusted root, or it names another log.",
  },
  ERR_VERIFY_TLOG_THRESHOLD: {
    headline: "Not enough transparency logs vouch for this signature",
    explanation: "The bundle does not carry verified entries from enough distinct logs.",
  },
  ERR_VERIFY_INTERNAL: {
    headline: "Verification stopped on an unexpected error",
    explanation: "The bundle is treated as invalid: nothing that fails to verify is ever accepted.",
  },
  ERR_TRUSTED_ROOT_MALFORMED: {
    headline: "The trusted root could not be read",
    explanation: "The trusted_root.json file is not a valid Sigstore trusted root.",
  },
};

/**
 * Plain words for a failed verification, from its stable code. When the artifact's digest is not
 * the one the bundle signs, that is the cause whichever check noticed it first (verifyBundle
 * compares the log entry's digest before it reaches the signature).
 */
export function explainFailure(code: string, artifactDiffers = false): FailureExplanation {
  if (artifactDiffers && !code.startsWith("ERR_VERIFY_POLICY") && code !== "ERR_TRUSTED_ROOT_MALFORMED") return SIGNATURE_MISMATCH;
  return (
    BY_CODE[code] ?? {
      headline: "The bundle did not verify",
      explanation: "One of the checks below failed, so the signature is not accepted.",
    }
  );
}

/** The title of a check, or the raw name for a check this page does not know yet. */
export function checkTitle(check: string): string {
  return (CHECK_TITLES as Record<string, string>)[check] ?? check;
}
