/**
 * The explorer's search box: what the person typed, turned into a `log.search` input, a jump to
 * an entry by index, or a lookup by UUID. Caps mirror the API's zod schema so a bad query is
 * explained here instead of bouncing off the server.
 */
import { SignetWebError } from "../errors.ts";

export type SearchMode = "digest" | "identity" | "identityPrefix" | "issuer" | "index" | "uuid";

/** The search modes in the order the form offers them. */
export const SEARCH_MODES: readonly { readonly mode: SearchMode; readonly label: string; readonly placeholder: string }[] = [
  { mode: "digest", label: "Artifact digest", placeholder: "sha256:…" },
  { mode: "identity", label: "Identity (exact)", placeholder: "alice@example.com" },
  { mode: "identityPrefix", label: "Identity (prefix)", placeholder: "https://github.com/org/" },
  { mode: "issuer", label: "Issuer", placeholder: "https://accounts.example.com" },
  { mode: "index", label: "Log index", placeholder: "42" },
  { mode: "uuid", label: "Entry UUID", placeholder: "64 hex characters" },
];

export type SearchInput =
  | { readonly artifactDigest: string }
  | { readonly identity: string }
  | { readonly identityPrefix: string }
  | { readonly issuer: string };

export type ParsedSearch =
  | { readonly kind: "search"; readonly input: SearchInput }
  | { readonly kind: "index"; readonly index: string }
  | { readonly kind: "uuid"; readonly uuid: string };

const MAX_TEXT = 1024;

function invalid(message: string): never {
  throw new SignetWebError("ERR_WEB_POLICY_INVALID", message);
}

/** Parse one search; throws ERR_WEB_POLICY_INVALID with a sentence for the form. */
export function parseSearch(mode: SearchMode, raw: string): ParsedSearch {
  // attacker-controlled: typed or pasted text, length checked first
  if (raw.length > MAX_TEXT) invalid(`a search is at most ${MAX_TEXT} characters`);
  const text = raw.trim();
  if (text === "") invalid("enter something to search for");
  switch (mode) {
    case "digest": {
      const m = /^(?:sha256:)?([0-9a-fA-F]{64})$/.exec(text);
      if (m === null) invalid("an artifact digest is sha256: followed by 64 hexadecimal characters");
      return { kind: "search", input: { artifactDigest: `sha256:${m[1]!.toLowerCase()}` } };
    }
    case "identity":
      return { kind: "search", input: { identity: text } };
    case "identityPrefix":
      return { kind: "search", input: { identityPrefix: text } };
    case "issuer":
      return { kind: "search", input: { issuer: text } };
    case "index": {
      if (!/^(0|[1-9][0-9]{0,18})$/.test(text) || BigInt(text) >= 1n << 63n) invalid("a log index is a whole number such as 42");
      return { kind: "index", index: text };
    }
    case "uuid": {
      const lower = text.toLowerCase();
      if (!/^([0-9a-f]{16})?[0-9a-f]{64}$/.test(lower)) invalid("an entry UUID is 64 hexadecimal characters (or an 80-character entry ID)");
      return { kind: "uuid", uuid: lower };
    }
  }
}

/** True for a string the entry page accepts as a log index. */
export function isLogIndex(text: string): boolean {
  return /^(0|[1-9][0-9]{0,18})$/.test(text) && BigInt(text) < 1n << 63n;
}
