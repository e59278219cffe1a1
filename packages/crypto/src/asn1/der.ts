/**
 * A small, strict DER (X.690 §10) reader and the few encoders Signet needs.
 *
 * Strictness is the point: BER leniencies (indefinite lengths, non-minimal
 * lengths or integers, constructed strings, trailing bytes) are each a way to
 * make two parsers disagree about the same bytes, so every one is rejected.
 * Parsing is iterative with a depth cap, never recursive on input depth.
 */
import { SignetCryptoError } from "../errors.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { concatBytes, fromUtf8, toBytes } from "../encoding/bytes.ts";
import { decodeOidContent } from "./oid.ts";

/** Universal tags (identifier octets) used by X.509, CMS and RFC 3161. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  NUMERIC_STRING: 0x12,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  VISIBLE_STRING: 0x1a,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

const CONSTRUCTED = 0x20;
const CLASS_MASK = 0xc0;
const CLASS_CONTEXT = 0x80;

/** Default cap on nesting depth (a certificate needs about 8, a CMS token about 14). */
export const DER_MAX_DEPTH = 32;
/** Default cap on the number of TLVs in one parse. */
export const DER_MAX_NODES = 20_000;

/** One parsed TLV; `children` is filled for constructed encodings only. */
export interface DerNode {
  /** The identifier octet: class, constructed bit and tag number (< 31). */
  readonly tag: number;
  /** The whole input buffer this node points into. */
  readonly buffer: Bytes;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
  readonly children: readonly DerNode[];
}

interface MutableNode {
  tag: number;
  buffer: Bytes;
  start: number;
  contentStart: number;
  end: number;
  children: MutableNode[];
}

function malformed(message: string): SignetCryptoError {
  return new SignetCryptoError("ERR_DER_MALFORMED", message);
}

/** Context-specific tag number `n`, constructed or primitive (X.690 §8.1.2). */
export function contextTag(n: number, constructed: boolean): number {
  return CLASS_CONTEXT | (constructed ? CONSTRUCTED : 0) | n;
}

/** True when the identifier octet has the constructed bit. */
export function isConstructed(tag: number): boolean {
  return (tag & CONSTRUCTED) !== 0;
}

/**
 * Parse exactly one DER TLV covering all of `input` (X.690 §10). Throws
 * ERR_DER_MALFORMED on any non-DER encoding, trailing bytes, or depth/size caps.
 */
export function parseDer(input: Uint8Array, opts: { maxDepth?: number; maxNodes?: number } = {}): DerNode {
  // attacker-controlled: all bytes, lengths and nesting come from the input
  const buffer = input instanceof Uint8Array && input.buffer instanceof ArrayBuffer ? (input as Bytes) : toBytes(input);
  const maxDepth = opts.maxDepth ?? DER_MAX_DEPTH;
  const maxNodes = opts.maxNodes ?? DER_MAX_NODES;
  let nodes = 0;

  const readHeader = (pos: number, limit: number): MutableNode => {
    if (++nodes > maxNodes) throw malformed("too many DER elements");
    if (pos >= limit) throw malformed("truncated DER header");
    const tag = buffer[pos]!;
    if ((tag & 0x1f) === 0x1f) throw malformed("high-tag-number form is not supported");
    if (pos + 1 >= limit) throw malformed("truncated DER length");
    let len = buffer[pos + 1]!;
    let contentStart = pos + 2;
    if (len === 0x80) throw malformed("indefinite length is not DER");
    if (len > 0x80) {
      const n = len & 0x7f;
      if (n > 4) throw malformed("DER length too large");
      if (contentStart + n > limit) throw malformed("truncated DER length");
      if (buffer[contentStart] === 0) throw malformed("non-minimal DER length");
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buffer[contentStart + i]!;
      if (len < 0x80) throw malformed("non-minimal DER length");
      contentStart += n;
    }
    const end = contentStart + len;
    if (end > limit) throw malformed("DER length exceeds available data");
    return { tag, buffer, start: pos, contentStart, end, children: [] };
  };

  const root = readHeader(0, buffer.length);
  if (root.end !== buffer.length) throw malformed("trailing data after DER element");
  // Explicit work stack: (node, next child offset, depth).
  const stack: { node: MutableNode; pos: number; depth: number }[] = [];
  const enter = (node: MutableNode, depth: number) => {
    if (isConstructed(node.tag)) {
      if (depth >= maxDepth) throw malformed("DER nesting too deep");
      checkConstructedAllowed(node.tag);
      stack.push({ node, pos: node.contentStart, depth });
    } else {
      checkPrimitive(node);
    }
  };
  enter(root, 0);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.pos >= top.node.end) {
      stack.pop();
      continue;
    }
    const child = readHeader(top.pos, top.node.end);
    top.node.children.push(child);
    top.pos = child.end;
    enter(child, top.depth + 1);
  }
  return root;
}

function checkConstructedAllowed(tag: number): void {
  if ((tag & CLASS_MASK) !== 0) return;
  const n = tag & 0x1f;
  // Universal string/primitive types must use the primitive form in DER (X.690 §10.2).
  if (n !== 0x10 && n !== 0x11) throw malformed(`universal tag ${n} must be primitive`);
}

function checkPrimitive(node: MutableNode): void {
  if ((node.tag & CLASS_MASK) !== 0) return;
  const n = node.tag & 0x1f;
  const len = node.end - node.contentStart;
  const b = node.buffer;
  const c = node.contentStart;
  switch (n) {
    case 0x10:
    case 0x11:
      throw malformed("SEQUENCE/SET must be constructed");
    case 0x01:
      if (len !== 1 || (b[c] !== 0x00 && b[c] !== 0xff)) throw malformed("BOOLEAN must be 0x00 or 0xFF");
      return;
    case 0x02:
    case 0x0a:
      if (len === 0) throw malformed("empty INTEGER");
      if (len > 1 && ((b[c] === 0x00 && (b[c + 1]! & 0x80) === 0) || (b[c] === 0xff && (b[c + 1]! & 0x80) !== 0))) {
        throw malformed("non-minimal INTEGER");
      }
      return;
    case 0x03: {
      if (len === 0) throw malformed("empty BIT STRING");
      const unused = b[c]!;
      if (unused > 7) throw malformed("BIT STRING unused bits > 7");
      if (len === 1 && unused !== 0) throw malformed("empty BIT STRING with unused bits");
      if (unused !== 0 && (b[node.end - 1]! & ((1 << unused) - 1)) !== 0) throw malformed("BIT STRING padding bits not zero");
      return;
    }
    case 0x05:
      if (len !== 0) throw malformed("NULL with content");
      return;
    case 0x06:
      decodeOidContent(b.subarray(c, node.end));
      return;
    default:
      return;
  }
}

// ---- accessors -------------------------------------------------------------

/** The content octets of a node. */
export function derContent(node: DerNode): Bytes {
  return node.buffer.subarray(node.contentStart, node.end);
}

/** The complete encoding (identifier, length and content) of a node. */
export function derRaw(node: DerNode): Bytes {
  return node.buffer.subarray(node.start, node.end);
}

/** Assert a node's identifier octet; `what` names the field in the error. */
export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (node === undefined) throw malformed(`missing ${what}`);
  if (node.tag !== tag) throw malformed(`${what}: expected tag 0x${tag.toString(16)}, got 0x${node.tag.toString(16)}`);
  return node;
}

/** Children of a SEQUENCE/SET node, checking the tag and a count range. */
export function expectChildren(node: DerNode | undefined, tag: number, what: string, min: number, max: number): readonly DerNode[] {
  const n = expectTag(node, tag, what);
  if (n.children.length < min || n.children.length > max) throw malformed(`${what}: wrong number of elements`);
  return n.children;
}

/** INTEGER content bytes (two's complement, minimal). */
export function readIntegerBytes(node: DerNode | undefined, what = "INTEGER"): Bytes {
  return derContent(expectTag(node, TAG.INTEGER, what));
}

/** Non-negative INTEGER as unsigned big-endian magnitude (leading 0x00 removed). */
export function readUnsignedInteger(node: DerNode | undefined, what = "INTEGER"): Bytes {
  const c = readIntegerBytes(node, what);
  if ((c[0]! & 0x80) !== 0) throw malformed(`${what} is negative`);
  return c[0] === 0 && c.length > 1 ? c.subarray(1) : c;
}

/** INTEGER as a JS number; rejects values outside [0, 2^31). */
export function readSmallInteger(node: DerNode | undefined, what = "INTEGER"): number {
  const c = readIntegerBytes(node, what);
  if ((c[0]! & 0x80) !== 0 || c.length > 4) throw malformed(`${what} out of range`);
  let v = 0;
  for (const byte of c) v = v * 256 + byte;
  if (v > 0x7fffffff) throw malformed(`${what} out of range`);
  return v;
}

/** INTEGER as a bigint (signed). */
export function readBigInteger(node: DerNode | undefined, what = "INTEGER"): bigint {
  const c = readIntegerBytes(node, what);
  let v = 0n;
  for (const byte of c) v = (v << 8n) | BigInt(byte);
  if ((c[0]! & 0x80) !== 0) v -= 1n << BigInt(c.length * 8);
  return v;
}

/** OBJECT IDENTIFIER in dotted form. */
export function readOid(node: DerNode | undefined, what = "OBJECT IDENTIFIER"): string {
  return decodeOidContent(derContent(expectTag(node, TAG.OID, what)));
}

/** BOOLEAN value. */
export function readBoolean(node: DerNode | undefined, what = "BOOLEAN"): boolean {
  return derContent(expectTag(node, TAG.BOOLEAN, what))[0] === 0xff;
}

/** BIT STRING that must hold whole octets (keys, signatures). */
export function readOctetAlignedBitString(node: DerNode | undefined, what = "BIT STRING"): Bytes {
  const c = derContent(expectTag(node, TAG.BIT_STRING, what));
  if (c[0] !== 0) throw malformed(`${what} is not octet-aligned`);
  return c.subarray(1);
}

/** BIT STRING as {unusedBits, bytes} (used by keyUsage). */
export function readBitString(node: DerNode | undefined, what = "BIT STRING"): { unusedBits: number; bytes: Bytes } {
  const c = derContent(expectTag(node, TAG.BIT_STRING, what));
  return { unusedBits: c[0]!, bytes: c.subarray(1) };
}

/** OCTET STRING content. */
export function readOctetString(node: DerNode | undefined, what = "OCTET STRING"): Bytes {
  return derContent(expectTag(node, TAG.OCTET_STRING, what));
}

const STRING_TAGS = new Set<number>([
  TAG.UTF8_STRING,
  TAG.NUMERIC_STRING,
  TAG.PRINTABLE_STRING,
  TAG.T61_STRING,
  TAG.IA5_STRING,
  TAG.VISIBLE_STRING,
]);

/** A character string (UTF8/Printable/IA5/Visible/Numeric/T61) as text; strict UTF-8. */
export function readString(node: DerNode | undefined, what = "string"): string {
  if (node === undefined) throw malformed(`missing ${what}`);
  if (node.tag === TAG.BMP_STRING) {
    const c = derContent(node);
    if (c.length % 2 !== 0) throw malformed(`${what}: odd BMPString length`);
    let s = "";
    for (let i = 0; i < c.length; i += 2) s += String.fromCharCode((c[i]! << 8) | c[i + 1]!);
    return s;
  }
  if (!STRING_TAGS.has(node.tag)) throw malformed(`${what}: not a string type`);
  const c = derContent(node);
  if (node.tag !== TAG.UTF8_STRING && node.tag !== TAG.T61_STRING) {
    for (const byte of c) if (byte > 0x7f) throw malformed(`${what}: non-ASCII byte in ASCII string type`);
  }
  return fromUtf8(c);
}

/** UTF8String specifically (Fulcio v2 extensions are DER UTF8String). */
export function readUtf8String(node: DerNode | undefined, what = "UTF8String"): string {
  return fromUtf8(derContent(expectTag(node, TAG.UTF8_STRING, what)));
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digits(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) throw malformed("time: non-digit");
    v = v * 10 + d;
  }
  return v;
}

/**
 * UTCTime or GeneralizedTime (RFC 5280 §4.1.2.5: 'Z' only, seconds present)
 * as milliseconds since the Unix epoch. GeneralizedTime may carry a fraction
 * without trailing zeros (X.690 §11.7, as RFC 3161 genTime does).
 */
export function readTime(node: DerNode | undefined, what = "time"): number {
  if (node === undefined) throw malformed(`missing ${what}`);
  const c = derContent(node);
  let s = "";
  for (const byte of c) s += String.fromCharCode(byte);
  let year: number;
  let p: number;
  if (node.tag === TAG.UTC_TIME) {
    if (s.length !== 13 || s[12] !== "Z") throw malformed(`${what}: UTCTime must be YYMMDDHHMMSSZ`);
    const yy = digits(s, 0, 2);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    p = 2;
  } else if (node.tag === TAG.GENERALIZED_TIME) {
    if (s.length < 15 || s[s.length - 1] !== "Z") throw malformed(`${what}: GeneralizedTime must end in Z`);
    year = digits(s, 0, 4);
    p = 4;
  } else {
    throw malformed(`${what}: not a time type`);
  }
  const month = digits(s, p, 2);
  const day = digits(s, p + 2, 2);
  const hour = digits(s, p + 4, 2);
  const minute = digits(s, p + 6, 2);
  const second = digits(s, p + 8, 2);
  let ms = 0;
  const rest = s.slice(p + 10, s.length - 1);
  if (rest.length > 0) {
    if (node.tag !== TAG.GENERALIZED_TIME || rest[0] !== "." || rest.length < 2 || rest.length > 10 || rest.endsWith("0")) {
      throw malformed(`${what}: bad fractional seconds`);
    }
    const frac = rest.slice(1);
    ms = digits(frac.padEnd(3, "0").slice(0, 3), 0, 3);
    digits(frac, 0, frac.length);
  }
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const dim = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  if (month < 1 || month > 12 || dim === undefined || day < 1 || day > dim || hour > 23 || minute > 59 || second > 59) {
    throw malformed(`${what}: field out of range`);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/** NULL (checks tag only; content emptiness was checked at parse). */
export function readNull(node: DerNode | undefined, what = "NULL"): void {
  expectTag(node, TAG.NULL, what);
}

// ---- encoders --------------------------------------------------------------

/** Encode a DER length (minimal form). */
function encodeLength(len: number): Bytes {
  if (len < 0x80) return Uint8Array.of(len) as Bytes;
  const out: number[] = [];
  for (let v = len; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return Uint8Array.of(0x80 | out.length, ...out) as Bytes;
}

/** Encode one TLV with the given identifier octet and content. */
export function encodeTlv(tag: number, content: Uint8Array): Bytes {
  return concatBytes(Uint8Array.of(tag), encodeLength(content.length), content);
}

/** Encode a non-negative INTEGER from an unsigned big-endian magnitude. */
export function encodeUnsignedInteger(magnitude: Uint8Array): Bytes {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  let m = magnitude.subarray(i);
  if (m.length === 0) m = Uint8Array.of(0);
  const content = (m[0]! & 0x80) !== 0 ? concatBytes(Uint8Array.of(0), m) : m;
  return encodeTlv(TAG.INTEGER, content);
}

// ---- ECDSA signature forms (WebCrypto raw r‖s vs. X.509/Sigstore DER) --------

/**
 * ECDSA-Sig-Value DER (RFC 5480 §2.2 / SEC 1 §C.8) → IEEE P1363 r‖s, each
 * left-padded to `fieldBytes`. Strict: exactly one DER form is accepted.
 */
export function ecdsaDerToRaw(der: Uint8Array, fieldBytes: number): Bytes {
  let seq: readonly DerNode[];
  try {
    seq = expectChildren(parseDer(der, { maxDepth: 2, maxNodes: 3 }), TAG.SEQUENCE, "ECDSA signature", 2, 2);
  } catch (cause) {
    throw new SignetCryptoError("ERR_SIGNATURE_MALFORMED", "ECDSA signature is not strict DER", { cause });
  }
  const out = new Uint8Array(fieldBytes * 2);
  for (let i = 0; i < 2; i++) {
    let v: Bytes;
    try {
      v = readUnsignedInteger(seq[i], "ECDSA r/s");
    } catch (cause) {
      throw new SignetCryptoError("ERR_SIGNATURE_MALFORMED", "ECDSA r/s is negative", { cause });
    }
    if (v.length > fieldBytes || (v.length === 1 && v[0] === 0)) {
      throw new SignetCryptoError("ERR_SIGNATURE_MALFORMED", "ECDSA r/s out of range");
    }
    out.set(v, i * fieldBytes + fieldBytes - v.length);
  }
  return out as Bytes;
}

/** IEEE P1363 r‖s (what WebCrypto produces) → ECDSA-Sig-Value DER. */
export function ecdsaRawToDer(raw: Uint8Array): Bytes {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new SignetCryptoError("ERR_SIGNATURE_MALFORMED", "raw ECDSA signature has odd length");
  const half = raw.length / 2;
  return encodeTlv(
    TAG.SEQUENCE,
    concatBytes(encodeUnsignedInteger(raw.subarray(0, half)), encodeUnsignedInteger(raw.subarray(half))),
  );
}
