/**
 * Validity windows from the trusted root (sigstore_common.proto TimeRange):
 * closed intervals, `end` absent meaning open-ended.
 */
import { SignetCryptoError } from "../errors.ts";

/** A closed interval in milliseconds since the epoch. */
export interface TimeRange {
  readonly start: number;
  readonly end: number | undefined;
}

/** True when `t` lies in the closed interval [start, end] (INTEROP.md §7: inclusive). */
export function isWithin(range: TimeRange, t: number): boolean {
  return range.start <= t && (range.end === undefined || t <= range.end);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parse a protobuf-JSON Timestamp (RFC 3339, as google.protobuf.Timestamp
 * serialises) to milliseconds. Throws `code` on anything else.
 */
export function parseRfc3339(text: unknown, code: `ERR_${string}` = "ERR_TIME_MALFORMED"): number {
  // attacker-controlled: strict regex on a capped string before Date math
  if (typeof text !== "string" || text.length > 40) throw new SignetCryptoError(code, "timestamp must be an RFC 3339 string");
  const m = RFC3339.exec(text);
  if (m === null) throw new SignetCryptoError(code, `bad RFC 3339 timestamp ${JSON.stringify(text)}`);
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const frac = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) throw new SignetCryptoError(code, "timestamp field out of range");
  let t = Date.UTC(y, mo - 1, d, h, mi, s, frac);
  if (new Date(Date.UTC(y, mo - 1, d)).getUTCDate() !== d) throw new SignetCryptoError(code, "no such day");
  const zone = m[8]!;
  if (zone !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    t -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return t;
}
