/**
 * Display helpers for the verify page and the log explorer. Pure and framework-free so the same
 * rules apply everywhere a value from a bundle or the log is shown.
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** A byte count for people: `1536` → `1.5 KiB` (binary units, one decimal above 1 KiB). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "?";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** A throughput for people: bytes over milliseconds → `12.3 MiB/s`; `—` until time has passed. */
export function formatRate(bytes: number, elapsedMs: number): string {
  if (!(elapsedMs > 0) || !Number.isFinite(bytes)) return "—";
  return `${formatBytes(Math.round((bytes * 1000) / elapsedMs))}/s`;
}

/** A timestamp (ms since the epoch) in UTC, to the second: `2025-11-25 12:50:03 UTC`. */
export function formatUtc(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return "?";
  return `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

// Characters that change how surrounding text is displayed without being visible themselves:
// bidi overrides/isolates/marks, zero-width characters, and the other C0/C1 controls. A hostile
// log entry can use them to make one identity look like another (SECURITY.md G6).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/**
 * Text from a bundle or the log made safe to look at: invisible and direction-changing characters
 * are replaced by a visible `⟨U+202E⟩` marker so they cannot disguise the value. Rendering stays
 * text-only (React escapes it); this only defeats visual spoofing.
 */
export function revealInvisible(text: string): string {
  return text.replace(INVISIBLE, (c) => `⟨U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}⟩`);
}

/** True when `revealInvisible` would change the text. */
export function hasInvisible(text: string): boolean {
  INVISIBLE.lastIndex = 0;
  const found = INVISIBLE.test(text);
  INVISIBLE.lastIndex = 0;
  return found;
}

/** The first `max` characters (by code point, never splitting a surrogate pair) and whether more exist. */
export function truncateText(text: string, max: number): { readonly shown: string; readonly truncated: boolean; readonly length: number } {
  const points = Array.from(text);
  if (points.length <= max) return { shown: text, truncated: false, length: points.length };
  return { shown: points.slice(0, Math.max(0, max)).join(""), truncated: true, length: points.length };
}

/** A hash shortened for a diagram or a list: the first `n` hex characters and an ellipsis. */
export function shortHex(hex: string, n = 12): string {
  return hex.length <= n ? hex : `${hex.slice(0, n)}…`;
}
