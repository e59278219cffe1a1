/**
 * The one error type of @signet/web. Code switches on `code` (stable, `ERR_WEB_<REASON>`);
 * `message` is for people and may change.
 */
export type WebErrorCode =
  | "ERR_WEB_ENV_INVALID"
  // The verify page and log explorer (src/lib/*): user input and API answers that do not parse.
  | "ERR_WEB_DIGEST_MALFORMED"
  | "ERR_WEB_POLICY_INVALID"
  | "ERR_WEB_TRUST_NO_LOG"
  | "ERR_WEB_API_RESPONSE_MALFORMED"
  | "ERR_WEB_FILE_TOO_LARGE";

export class SignetWebError extends Error {
  readonly code: WebErrorCode;
  constructor(code: WebErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SignetWebError";
    this.code = code;
  }
}

/** True when `e` is a SignetWebError, optionally with the given code. */
export function isSignetWebError(e: unknown, code?: WebErrorCode): e is SignetWebError {
  return e instanceof SignetWebError && (code === undefined || e.code === code);
}
