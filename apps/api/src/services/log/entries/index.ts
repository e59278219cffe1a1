/** The log's entry kinds: validate, verify, canonicalise, and extract search columns. */
export { prepareRekorV1Entry, prepareRekorV2Entry, parseStoredBody } from "./prepare.ts";
export { parseStrictJson } from "./strict-json.ts";
export { leafHashOf } from "./canonical.ts";
export type { EntryErrorCode } from "./errors.ts";
export { ENTRY_LIMITS } from "./types.ts";
export type { EntryApiVersion, EntryKind, EntryVerifier, PreparedEntry, SearchColumns, StoredBody } from "./types.ts";
