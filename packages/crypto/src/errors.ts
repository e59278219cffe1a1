/**
 * The one error type of @signet/crypto. Callers and the UI switch on `code`
 * (stable, `ERR_<AREA>_<REASON>`); `message` is for people and may change.
 */
export type ErrorCode = `ERR_${string}`;

export class SignetCryptoError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SignetCryptoError";
    this.code = code;
  }
}

/** True when `e` is a SignetCryptoError, optionally with the given code. */
export function isSignetCryptoError(e: unknown, code?: ErrorCode): e is SignetCryptoError {
  return e instanceof SignetCryptoError && (code === undefined || e.code === code);
}
