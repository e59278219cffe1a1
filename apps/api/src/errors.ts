/**
 * Domain errors thrown by services. One adapter (http/respond.ts, trpc.ts) maps them to HTTP and
 * tRPC codes; a 5xx body never carries a stack, SQL or key material.
 */
export type DomainKind = "BAD_REQUEST" | "NOT_FOUND" | "CONFLICT" | "FORBIDDEN" | "UNAUTHORIZED" | "PAYLOAD_TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE" | "PUSHBACK" | "UNAVAILABLE";

const STATUS: Record<DomainKind, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PUSHBACK: 429,
  UNAVAILABLE: 503,
};

export class DomainError extends Error {
  override name = "DomainError";
  constructor(
    readonly kind: DomainKind,
    /** Stable machine-readable code, `ERR_<AREA>_<REASON>`. */
    readonly code: `ERR_${string}`,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
  get status(): number {
    return STATUS[this.kind];
  }
}

/** The JSON body and status for any thrown value: domain errors as themselves, anything else as a generic 500. */
export function toErrorResponse(e: unknown): { status: number; body: { code: string; message: string }; retryAfter?: number } {
  if (e instanceof DomainError) {
    return { status: e.status, body: { code: e.code, message: e.message }, ...(e.retryAfterSeconds ? { retryAfter: e.retryAfterSeconds } : {}) };
  }
  return { status: 500, body: { code: "ERR_INTERNAL", message: "internal error" } };
}
