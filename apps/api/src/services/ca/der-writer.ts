/**
 * The DER (X.690 §10) building blocks the CA and the TSA write with. Every structure Signet issues is
 * assembled from these: lengths are computed from the bytes, never from string templates, and values
 * that arrive from an identity token are only ever placed inside a typed TLV (SECURITY.md B3).
 */
import { encodeOidContent } from "@signet/crypto/asn1/oid";
import { concatBytes } from "@signet/crypto/encoding/bytes";

/** Universal tags used by the encoders (X.680 §8.6). */
export const T = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Byte length of a DER length field for `len` content bytes. */
function lengthSize(len: number): number {
  if (len < 0x80) return 1;
  if (len < 0x100) return 2;
  if (len < 0x10000) return 3;
  if (len < 0x1000000) return 4;
  return 5;
}

function writeLength(out: Uint8Array, at: number, len: number): number {
  if (len < 0x80) {
    out[at] = len;
    return at + 1;
  }
  const n = lengthSize(len) - 1;
  out[at] = 0x80 | n;
  for (let i = n; i >= 1; i--) {
    out[at + i] = len & 0xff;
    len = Math.floor(len / 256);
  }
  return at + n + 1;
}

/** One TLV around the concatenation of `parts` (identifier octet `tag`, minimal definite length). */
export function tlv(tag: number, ...parts: readonly Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(1 + lengthSize(len) + len);
  out[0] = tag;
  let at = writeLength(out, 1, len);
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** SEQUENCE of already-encoded elements. */
export function seq(...parts: readonly Uint8Array[]): Uint8Array {
  return tlv(T.SEQUENCE, ...parts);
}

/** Concatenate byte arrays (the crypto package's helper, under the short name the encoders use). */
export const cat: (...parts: readonly Uint8Array[]) => Uint8Array = concatBytes;

/**
 * SET OF: DER sorts the elements by their encodings (X.690 §11.6), which CMS signed attributes rely on:
 * the signature covers the re-encoded SET, so an unsorted one would verify nowhere.
 */
export function setOf(elements: readonly Uint8Array[]): Uint8Array {
  const sorted = [...elements].sort(compareBytes);
  return tlv(T.SET, ...sorted);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** OBJECT IDENTIFIER TLV from dotted form (X.690 §8.19). */
export function oid(dotted: string): Uint8Array {
  let der = OID_CACHE.get(dotted);
  if (!der) {
    der = tlv(T.OID, encodeOidContent(dotted));
    // The encoder's OIDs are a fixed set of constants; the bound only keeps a caller that passed others from growing it.
    if (OID_CACHE.size < 256) OID_CACHE.set(dotted, der);
  }
  return der;
}

/** Encoded OIDs by dotted form: encoding one (regex checks, BigInt arithmetic) was ~5 KB of garbage per certificate. Callers never modify the bytes. */
const OID_CACHE = new Map<string, Uint8Array>();

/** Non-negative INTEGER from an unsigned big-endian magnitude, minimal (X.690 §8.3.2). */
export function uint(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  if (m.length === 0) return Uint8Array.of(T.INTEGER, 1, 0);
  return (m[0]! & 0x80) !== 0 ? tlv(T.INTEGER, Uint8Array.of(0), m) : tlv(T.INTEGER, m);
}

/** Small non-negative INTEGER. */
export function smallInt(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a small non-negative integer: ${n}`);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return uint(Uint8Array.from(bytes.length === 0 ? [0] : bytes));
}

/** BIT STRING holding whole octets (keys, signatures). */
export function bitString(bytes: Uint8Array): Uint8Array {
  return tlv(T.BIT_STRING, Uint8Array.of(0), bytes);
}

/** OCTET STRING. */
export function octetString(bytes: Uint8Array): Uint8Array {
  return tlv(T.OCTET_STRING, bytes);
}

/** Context-specific tag `n` (X.690 §8.1.2), constructed or primitive. */
export function ctx(n: number, constructed: boolean): number {
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

/** BOOLEAN TRUE (DER: 0xFF). */
export const TRUE = Uint8Array.of(T.BOOLEAN, 1, 0xff);
/** NULL. */
export const NULL = Uint8Array.of(T.NULL, 0);

const utf8Encoder = new TextEncoder();

/** UTF-8 bytes of a well-formed string (lone surrogates would be silently replaced, so they are refused). */
export function utf8(text: string): Uint8Array {
  if (/\p{Cs}/u.test(text)) throw new RangeError("string contains a lone surrogate");
  return utf8Encoder.encode(text);
}

/** UTF8String (X.680 §41). */
export function utf8String(text: string): Uint8Array {
  return tlv(T.UTF8_STRING, utf8(text));
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * Time as RFC 5280 §4.1.2.5 requires: UTCTime through 2049, GeneralizedTime from 2050, always with
 * seconds and 'Z', never fractional. `ms` must be a whole second.
 */
export function x509Time(ms: number): Uint8Array {
  if (!Number.isSafeInteger(ms) || ms % 1000 !== 0) throw new RangeError("certificate times are whole seconds");
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const rest = `${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(T.UTC_TIME, ascii(`${pad2(y % 100)}${rest}`));
  if (y < 0 || y > 9999) throw new RangeError("year out of range");
  return tlv(T.GENERALIZED_TIME, ascii(`${String(y).padStart(4, "0")}${rest}`));
}

/** GeneralizedTime with second precision (RFC 3161 §2.4.2 genTime, X.690 §11.7). */
export function generalizedTime(ms: number): Uint8Array {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const y = d.getUTCFullYear();
  if (y < 0 || y > 9999) throw new RangeError("year out of range");
  const s = `${String(y).padStart(4, "0")}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}Z`;
  return tlv(T.GENERALIZED_TIME, ascii(s));
}

function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
