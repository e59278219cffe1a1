/**
 * One verification as the verify page runs it (inside its Web Worker): parse the trusted root,
 * run @signet/crypto's verifyBundle over the artifact's SHA-256 digest, and return a plain,
 * structured-cloneable outcome with the whole transcript. Fails closed: any exception is a
 * failure with a code, never a pass (SECURITY.md F7).
 */
import { isSignetCryptoError } from "@signet/crypto/errors";
import { toHex } from "@signet/crypto/encoding/hex";
import { sha256 } from "@signet/crypto/digest";
import { parseTrustedRoot } from "@signet/crypto/trust/trusted-root";
import { BundleVerificationError, type CheckName, type TranscriptStep } from "@signet/crypto/verify/transcript";
import type { VerificationPolicy } from "@signet/crypto/verify/policy";
import { verifyBundle } from "@signet/crypto/verify/verify-bundle";
import { bundleClaimsDigest } from "./bundle-inspect.ts";

export interface VerificationRequest {
  readonly bundleText: string;
  readonly trustedRootText: string;
  /** SHA-256 of the artifact (hashed by the page, or pasted as `sha256:…`). */
  readonly digest: Uint8Array;
  readonly policy: VerificationPolicy;
}

/** Who signed, once verified. */
export type VerifiedSignerSummary =
  | { readonly kind: "certificate"; readonly identity: string; readonly issuer: string; readonly extensions: Readonly<Record<string, string>> }
  | { readonly kind: "publicKey"; readonly keyType: string; readonly fingerprint: string };

export type VerificationOutcome =
  | {
      readonly kind: "verified";
      readonly digestHex: string;
      readonly signer: VerifiedSignerSummary;
      readonly timestamps: readonly { readonly source: "tlog" | "tsa"; readonly time: number; readonly authority: string }[];
      readonly tlogEntries: readonly { readonly baseUrl: string; readonly logIndex: string; readonly integratedTime: number | undefined }[];
      readonly predicateType: string | undefined;
      readonly transcript: readonly TranscriptStep[];
    }
  | {
      readonly kind: "failed";
      readonly digestHex: string;
      /** The stable code: ERR_VERIFY_<CHECK>, ERR_VERIFY_POLICY_<REASON>, or ERR_TRUSTED_ROOT_MALFORMED. */
      readonly code: string;
      /** The check that failed; undefined when verification could not start (bad trusted root). */
      readonly check: CheckName | undefined;
      readonly message: string;
      /** True when the bundle claims to sign another digest than the artifact's (wording only). */
      readonly artifactDiffers: boolean;
      readonly transcript: readonly TranscriptStep[];
    };

/** Run verifyBundle in digest form and describe the result; never throws. */
export async function runVerification(request: VerificationRequest): Promise<VerificationOutcome> {
  const digestHex = toHex(request.digest);
  const artifactDiffers = bundleClaimsDigest(request.bundleText, request.digest) === false;
  let trustedRoot;
  try {
    trustedRoot = parseTrustedRoot(request.trustedRootText);
  } catch (e) {
    return {
      kind: "failed",
      digestHex,
      code: isSignetCryptoError(e) ? e.code : "ERR_TRUSTED_ROOT_MALFORMED",
      check: undefined,
      message: e instanceof Error ? e.message : String(e),
      artifactDiffers: false,
      transcript: [],
    };
  }
  try {
    const verified = await verifyBundle({ bundle: request.bundleText, digest: request.digest, trustedRoot, policy: request.policy });
    const signer: VerifiedSignerSummary =
      verified.signer.kind === "certificate"
        ? { kind: "certificate", identity: verified.signer.identity, issuer: verified.signer.issuer, extensions: { ...verified.signer.extensions } }
        : {
            kind: "publicKey",
            keyType: verified.signer.publicKey.kind === "ecdsa" ? `ECDSA ${verified.signer.publicKey.curve}` : verified.signer.publicKey.kind === "rsa" ? `RSA ${verified.signer.publicKey.modulusBits}` : "Ed25519",
            fingerprint: toHex(sha256(verified.signer.publicKey.spki)),
          };
    return {
      kind: "verified",
      digestHex,
      signer,
      timestamps: verified.timestamps.map((t) => ({ source: t.source, time: t.time, authority: t.authority })),
      tlogEntries: verified.tlogEntries.map((t) => ({ baseUrl: t.baseUrl, logIndex: t.logIndex.toString(), integratedTime: t.integratedTime })),
      predicateType: verified.statement?.predicateType,
      transcript: verified.transcript.map((s) => ({ ...s })),
    };
  } catch (e) {
    const known = e instanceof BundleVerificationError;
    return {
      kind: "failed",
      digestHex,
      code: isSignetCryptoError(e) ? e.code : "ERR_VERIFY_INTERNAL",
      check: known ? e.check : undefined,
      message: e instanceof Error ? e.message : String(e),
      artifactDiffers,
      transcript: known ? e.transcript.map((s) => ({ ...s })) : [],
    };
  }
}
