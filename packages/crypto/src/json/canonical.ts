/**
 * JSON Canonicalization Scheme (RFC 8785): sorted keys (by UTF-16 code
 * units), no whitespace, ECMAScript number and string serialisation.
 */
import { SignetCryptoError } from "../errors.ts";

/** Nesting cap: canonical bodies are shallow; deep input is an attack (SECURITY.md D3). */
export const JCS_MAX_DEPTH = 64;

/**
 * Canonicalize a JSON value (RFC 8785 §3.2). Throws ERR_JSON_CANONICAL for
 * values JSON cannot represent (NaN, Infinity, undefined, functions, bigint)
 * or nesting deeper than JCS_MAX_DEPTH.
 */
export function canonicalize(value: unknown): string {
  const out: string[] = [];
  // Iterative walk: a work list of values still to emit and literal fragments.
  const work: { v: unknown; depth: number; literal?: string }[] = [{ v: value, depth: 0 }];
  while (work.length > 0) {
    const item = work.pop()!;
    if (item.literal !== undefined) {
      out.push(item.literal);
      continue;
    }
    const v = item.v;
    if (v === null || typeof v === "boolean") {
      out.push(String(v));
    } else if (typeof v === "number") {
      // RFC 8785 §3.2.2.3: ECMAScript Number.prototype.toString, which JSON.stringify uses.
      if (!Number.isFinite(v)) throw new SignetCryptoError("ERR_JSON_CANONICAL", "non-finite number");
      out.push(JSON.stringify(v));
    } else if (typeof v === "string") {
      // RFC 8785 §3.2.2.2 matches JSON.stringify's escaping (ES2019 well-formed stringify).
      out.push(JSON.stringify(v));
    } else if (typeof v === "object") {
      if (item.depth >= JCS_MAX_DEPTH) throw new SignetCryptoError("ERR_JSON_CANONICAL", "JSON nested too deeply");
      const pending: { v: unknown; depth: number; literal?: string }[] = [];
      if (Array.isArray(v)) {
        pending.push({ v: undefined, depth: 0, literal: "[" });
        v.forEach((el, i) => {
          if (i > 0) pending.push({ v: undefined, depth: 0, literal: "," });
          pending.push({ v: el, depth: item.depth + 1 });
        });
        pending.push({ v: undefined, depth: 0, literal: "]" });
      } else {
        const keys = Object.keys(v).sort(compareUtf16);
        pending.push({ v: undefined, depth: 0, literal: "{" });
        keys.forEach((k, i) => {
          const child = (v as Record<string, unknown>)[k];
          if (child === undefined) throw new SignetCryptoError("ERR_JSON_CANONICAL", "undefined is not JSON");
          pending.push({ v: undefined, depth: 0, literal: (i > 0 ? "," : "") + JSON.stringify(k) + ":" });
          pending.push({ v: child, depth: item.depth + 1 });
        });
        pending.push({ v: undefined, depth: 0, literal: "}" });
      }
      for (let i = pending.length - 1; i >= 0; i--) work.push(pending[i]!);
    } else {
      throw new SignetCryptoError("ERR_JSON_CANONICAL", `${typeof v} is not JSON`);
    }
  }
  return out.join("");
}

function compareUtf16(a: string, b: string): number {
  // Default sort compares UTF-16 code units, which is what RFC 8785 §3.2.3 requires.
  return a < b ? -1 : a > b ? 1 : 0;
}
