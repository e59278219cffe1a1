/**
 * Strict JSON for log submissions: size and depth capped before parsing, duplicate member names
 * rejected (JSON.parse silently keeps the last one, so two parsers could read two different entries
 * from the same bytes; SECURITY.md D4), and small typed readers that reject unknown fields.
 */
import { ENTRY_LIMITS } from "./types.ts";
import { malformed } from "./errors.ts";

/** A plain JSON object as the readers hand it out. */
export type JsonObject = Readonly<Record<string, unknown>>;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Reject duplicate member names (RFC 8259 §4 "names SHOULD be unique"; we make it MUST) and
 * nesting deeper than `maxDepth`, in one linear pass that never recurses. The text need not be
 * valid JSON yet: JSON.parse runs afterwards and rejects what this pass let through.
 */
export function assertNoDuplicateKeys(text: string, maxDepth: number, what: string): void {
  // attacker-controlled: linear scan, string bodies skipped with indexOf, depth capped
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let from = i + 1;
      let end: number;
      for (;;) {
        end = text.indexOf('"', from);
        if (end < 0) malformed(what, "unterminated string");
        let k = end - 1;
        let backslashes = 0;
        while (k > i && text.charCodeAt(k) === BACKSLASH) {
          backslashes++;
          k--;
        }
        if (backslashes % 2 === 0) break;
        from = end + 1;
      }
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        let key = text.slice(i + 1, end);
        if (key.includes("\\")) {
          // Escapes make "a" and "\u0061" the same name: compare decoded names.
          try {
            key = JSON.parse(text.slice(i, end + 1)) as string;
          } catch {
            malformed(what, "invalid escape in member name");
          }
        }
        if (top.has(key)) malformed(what, `duplicate member name ${JSON.stringify(key.slice(0, 64))}`);
        top.add(key);
        expectKey = false;
      }
      i = end;
    } else if (c === 0x7b /* { */) {
      stack.push(new Set());
      if (stack.length > maxDepth) malformed(what, `nested deeper than ${maxDepth}`);
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
      if (stack.length > maxDepth) malformed(what, `nested deeper than ${maxDepth}`);
      expectKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = stack.length > 0 && stack[stack.length - 1] !== null;
    }
  }
}

/**
 * Parse submitted JSON strictly: size cap, depth cap and duplicate names checked before
 * JSON.parse; invalid UTF-8 and invalid JSON throw ERR_ENTRY_MALFORMED.
 */
export function parseStrictJson(input: string | Uint8Array, what = "request", maxBytes: number = ENTRY_LIMITS.requestBytes): unknown {
  // attacker-controlled: the raw request body or an embedded JSON document (DSSE envelope)
  let text: string;
  if (typeof input === "string") {
    if (input.length > maxBytes) malformed(what, `larger than ${maxBytes} bytes`);
    text = input;
  } else {
    if (input.length > maxBytes) malformed(what, `larger than ${maxBytes} bytes`);
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(input);
    } catch {
      malformed(what, "is not valid UTF-8");
    }
  }
  assertNoDuplicateKeys(text, ENTRY_LIMITS.jsonDepth, what);
  try {
    return JSON.parse(text);
  } catch {
    malformed(what, "is not valid JSON");
  }
}

/** True for a non-null, non-array object (what JSON calls an object). */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An object whose member names are all in `allowed`; anything else is ERR_ENTRY_MALFORMED. */
export function readObject(v: unknown, path: string, allowed: readonly string[]): JsonObject {
  if (!isJsonObject(v)) malformed(path, v === null ? "must be an object, not null" : Array.isArray(v) ? "must be an object, not an array" : "must be an object");
  for (const k of Object.keys(v)) if (!allowed.includes(k)) malformed(path, `unknown field ${JSON.stringify(k.slice(0, 64))}`);
  return v;
}

/** A required object member. */
export function requireObject(o: JsonObject, key: string, path: string, allowed: readonly string[]): JsonObject {
  if (!Object.hasOwn(o, key)) malformed(`${path}.${key}`, "is required");
  return readObject(o[key], `${path}.${key}`, allowed);
}

/** A required, non-empty string member of at most `maxChars` UTF-16 units (capped before any decoding). */
export function requireString(o: JsonObject, key: string, path: string, maxChars: number): string {
  if (!Object.hasOwn(o, key)) malformed(`${path}.${key}`, "is required");
  const v = o[key];
  if (typeof v !== "string") malformed(`${path}.${key}`, "must be a string");
  if (v.length === 0) malformed(`${path}.${key}`, "must not be empty");
  if (v.length > maxChars) malformed(`${path}.${key}`, `longer than ${maxChars} characters`);
  return v;
}

/** An optional string member (absent → undefined; null or another type is malformed). */
export function optionalString(o: JsonObject, key: string, path: string, maxChars: number): string | undefined {
  if (!Object.hasOwn(o, key)) return undefined;
  const v = o[key];
  if (typeof v !== "string") malformed(`${path}.${key}`, "must be a string");
  if (v.length > maxChars) malformed(`${path}.${key}`, `longer than ${maxChars} characters`);
  return v;
}

/** A required, non-empty array member of at most `max` elements (checked before touching elements). */
export function requireArray(o: JsonObject, key: string, path: string, max: number): readonly unknown[] {
  if (!Object.hasOwn(o, key)) malformed(`${path}.${key}`, "is required");
  const v = o[key];
  if (!Array.isArray(v)) malformed(`${path}.${key}`, "must be an array");
  if (v.length === 0) malformed(`${path}.${key}`, "must not be empty");
  if (v.length > max) malformed(`${path}.${key}`, `has more than ${max} elements`);
  return v;
}
