/**
 * Errors of the HSM sidecar and its client. Codes are stable and travel over the wire;
 * messages are for people and may change.
 */
export const HSM_ERROR_CODES = [
  // Wire codes (the sidecar answers these; the client raises them).
  "ERR_HSM_UNAUTHORIZED",
  "ERR_HSM_BAD_REQUEST",
  "ERR_HSM_KEY_NOT_FOUND",
  "ERR_HSM_KEY_MISMATCH",
  "ERR_HSM_KEY_POLICY",
  "ERR_HSM_UNAVAILABLE",
  "ERR_HSM_TIMEOUT",
  // Local codes (never sent over the socket).
  "ERR_HSM_SIGNATURE_INVALID",
  "ERR_HSM_CONFIG",
  "ERR_HSM_INIT",
  "ERR_HSM_ALREADY_RUNNING",
] as const;

export type HsmErrorCode = (typeof HSM_ERROR_CODES)[number];

/** Codes that the sidecar may put in a `{ ok: false, code }` response. */
export const WIRE_ERROR_CODES: ReadonlySet<HsmErrorCode> = new Set([
  "ERR_HSM_UNAUTHORIZED",
  "ERR_HSM_BAD_REQUEST",
  "ERR_HSM_KEY_NOT_FOUND",
  "ERR_HSM_KEY_MISMATCH",
  "ERR_HSM_KEY_POLICY",
  "ERR_HSM_UNAVAILABLE",
  "ERR_HSM_TIMEOUT",
]);

/** The one error class of @signet/hsm; switch on `code`. */
export class HsmError extends Error {
  readonly code: HsmErrorCode;
  constructor(code: HsmErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HsmError";
    this.code = code;
  }
}

/** Narrow an unknown value to an HsmError (any realm, by name and code). */
export function isHsmError(e: unknown): e is HsmError {
  return (
    e instanceof HsmError ||
    (typeof e === "object" && e !== null && (e as { name?: unknown }).name === "HsmError" &&
      (HSM_ERROR_CODES as readonly unknown[]).includes((e as { code?: unknown }).code))
  );
}

/** Type guard for a code that may appear in a sidecar response. */
export function isWireErrorCode(code: unknown): code is HsmErrorCode {
  return typeof code === "string" && WIRE_ERROR_CODES.has(code as HsmErrorCode);
}
