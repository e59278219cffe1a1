/** Stable error codes of the development IdP; tests and clients switch on these, never on messages. */
export type IdpErrorCode =
  | "ERR_IDP_CONFIG_INVALID"
  | "ERR_IDP_KEYS_CORRUPT"
  | "ERR_IDP_BAD_REQUEST"
  | "ERR_IDP_BODY_TOO_LARGE"
  | "ERR_IDP_FORBIDDEN"
  | "ERR_IDP_DEV_TOKENS_DISABLED"
  | "ERR_IDP_METHOD_NOT_ALLOWED"
  | "ERR_IDP_NOT_FOUND";

/** The one error class of apps/idp: `code` is stable, `status` is the HTTP status it maps to. */
export class IdpError extends Error {
  readonly code: IdpErrorCode;
  readonly status: number;

  constructor(code: IdpErrorCode, message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "IdpError";
    this.code = code;
    this.status = options?.status ?? 500;
  }
}

/** Shorthand for the 400 every malformed request body gets. */
export function badRequest(message: string): IdpError {
  return new IdpError("ERR_IDP_BAD_REQUEST", message, { status: 400 });
}

/** Type guard for IdpError. */
export function isIdpError(value: unknown): value is IdpError {
  return value instanceof IdpError;
}
