/**
 * The stable error codes of the entry layer. Every rejection is a 400 DomainError; tests and
 * clients switch on `code`, never on the message.
 */
import { DomainError } from "../../../errors.ts";

export type EntryErrorCode =
  | "ERR_ENTRY_MALFORMED"
  | "ERR_ENTRY_UNSUPPORTED_KIND"
  | "ERR_ENTRY_KIND_MISMATCH"
  | "ERR_ENTRY_SIGNATURE_INVALID"
  | "ERR_ENTRY_KEY_UNSUPPORTED"
  | "ERR_ENTRY_DIGEST_INVALID";

/** A 400 DomainError with one of the entry codes. */
export function entryError(code: EntryErrorCode, message: string): DomainError {
  return new DomainError("BAD_REQUEST", code, message);
}

/** Throw ERR_ENTRY_MALFORMED naming the offending field path. */
export function malformed(path: string, message: string): never {
  throw entryError("ERR_ENTRY_MALFORMED", `${path}: ${message}`);
}
