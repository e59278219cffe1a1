/**
 * The CLI's signing errors. Tests and scripts switch on `code` (stable,
 * `ERR_<AREA>_<REASON>`); `message` is for people and may change.
 */

/** Stable error codes of the signing client. */
export type SignErrorCode =
  | "ERR_SIGN_TOKEN_MALFORMED"
  | "ERR_SIGN_HTTP_FAILED"
  | "ERR_SIGN_SERVICE_REFUSED"
  | "ERR_SIGN_RESPONSE_MALFORMED"
  | "ERR_SIGN_RESPONSE_TOO_LARGE"
  | "ERR_SIGN_CERT_KEY_MISMATCH"
  | "ERR_SIGN_CERT_UNTRUSTED"
  | "ERR_SIGN_CERT_ISSUER_MISMATCH"
  | "ERR_SIGN_TLOG_MISMATCH"
  | "ERR_SIGN_TIMESTAMP_MISMATCH"
  | "ERR_SIGN_TIMESTAMP_UNTRUSTED"
  | "ERR_SIGN_ARTIFACT_UNREADABLE"
  | "ERR_SIGN_ARTIFACT_TOO_LARGE"
  | "ERR_SIGN_ARTIFACT_CHANGED"
  | "ERR_SIGN_STATEMENT_MALFORMED"
  | "ERR_SIGN_NO_SERVICE"
  | "ERR_SIGN_BUNDLE_UNVERIFIED"
  | "ERR_SIGN_BUNDLE_WRITE_FAILED"
  | "ERR_SIGN_KEY_EXTRACTABLE"
  | "ERR_DEV_TOKEN_FAILED";

/** A failed signing step; `cause` keeps the underlying error (a @signet/crypto error, a fetch failure). */
export class SignError extends Error {
  readonly code: SignErrorCode;
  /** HTTP status, when a service answered with an error. */
  readonly status: number | undefined;
  /** The service's own error code (`{code, message}` bodies), when it sent one. */
  readonly serviceCode: string | undefined;

  constructor(code: SignErrorCode, message: string, options: { cause?: unknown; status?: number; serviceCode?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SignError";
    this.code = code;
    this.status = options.status;
    this.serviceCode = options.serviceCode;
  }
}

/** True when `e` is a SignError, optionally with the given code. */
export function isSignError(e: unknown, code?: SignErrorCode): e is SignError {
  return e instanceof SignError && (code === undefined || e.code === code);
}
