/**
 * The verification transcript: every check verifyBundle ran, in order, what
 * it checked against and how it ended. A failure carries the transcript up
 * to and including the failed check.
 */
import { SignetCryptoError, type ErrorCode } from "../errors.ts";

/** The kinds of evidence checked, in the order verifyBundle runs them. */
export type CheckName =
  | "bundle-shape"
  | "trusted-time"
  | "certificate-chain"
  | "public-key"
  | "sct"
  | "log-entry-binding"
  | "inclusion-proof"
  | "checkpoint-signature"
  | "tlog-threshold"
  | "artifact"
  | "signature"
  | "policy";

/** The stable error code verifyBundle throws when a check fails. */
export const CHECK_ERROR_CODES: Readonly<Record<CheckName, ErrorCode>> = {
  "bundle-shape": "ERR_VERIFY_BUNDLE_SHAPE",
  "trusted-time": "ERR_VERIFY_TRUSTED_TIME",
  "certificate-chain": "ERR_VERIFY_CERTIFICATE_CHAIN",
  "public-key": "ERR_VERIFY_PUBLIC_KEY",
  sct: "ERR_VERIFY_SCT",
  "log-entry-binding": "ERR_VERIFY_TLOG_BINDING",
  "inclusion-proof": "ERR_VERIFY_INCLUSION_PROOF",
  "checkpoint-signature": "ERR_VERIFY_CHECKPOINT",
  "tlog-threshold": "ERR_VERIFY_TLOG_THRESHOLD",
  artifact: "ERR_VERIFY_ARTIFACT",
  signature: "ERR_VERIFY_SIGNATURE",
  policy: "ERR_VERIFY_POLICY",
};

/** One line of the transcript. */
export interface TranscriptStep {
  readonly check: CheckName;
  /** What was checked, e.g. "tlog entry 0 SET" or "leaf certificate". */
  readonly subject: string;
  /** What it was checked against, e.g. "tlog https://rekor.sigstore.dev". */
  readonly against: string;
  readonly outcome: "pass" | "fail" | "skip";
  /** A readable note: the value found, or why it failed. */
  readonly detail: string;
  /** On failure: the code of the underlying error. */
  readonly code?: ErrorCode;
}

/** A failed verification: `code` names the failed check, `transcript` shows what ran. */
export class BundleVerificationError extends SignetCryptoError {
  readonly check: CheckName;
  readonly transcript: readonly TranscriptStep[];
  constructor(code: ErrorCode, check: CheckName, message: string, transcript: readonly TranscriptStep[], cause?: unknown) {
    super(code, message, cause === undefined ? undefined : { cause });
    this.name = "BundleVerificationError";
    this.check = check;
    this.transcript = transcript;
  }
}

/** Render a transcript as aligned text lines (for the CLI and logs). */
export function formatTranscript(steps: readonly TranscriptStep[]): string {
  const mark = { pass: "ok  ", fail: "FAIL", skip: "skip" } as const;
  return steps
    .map((s) => `${mark[s.outcome]} ${s.check.padEnd(20)} ${s.subject}${s.against ? ` — against ${s.against}` : ""}${s.detail ? `: ${s.detail}` : ""}${s.code ? ` [${s.code}]` : ""}`)
    .join("\n");
}
