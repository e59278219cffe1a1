/**
 * The one error type of @signet/web. Code switches on `code` (stable, `ERR_WEB_<REASON>`);
 * `message` is for people and may change.
 */
export type WebErrorCode = "ERR_WEB_ENV_INVALID";

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
