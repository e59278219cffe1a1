/**
 * Strict encodings for submitted fields: standard padded base64 (RFC 4648 §4), lower-case hex, and
 * a single PEM block (RFC 7468). Exactly one text is accepted per byte string, so the canonical body
 * we rebuild from the decoded bytes says the same thing as what was submitted.
 */
import { isAscii } from "node:buffer";
import { entryError, malformed } from "./errors.ts";
import { ENTRY_LIMITS } from "./types.ts";

/** Characters of standard padded base64 for `bytes` bytes. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/**
 * Decode standard, padded base64 (RFC 4648 §4). The length is capped before decoding; URL-safe
 * letters, whitespace, missing padding and non-zero trailing bits are all rejected, by requiring
 * that re-encoding gives back the exact text.
 */
export function decodeBase64Strict(text: string, path: string, maxBytes: number): Buffer {
  // attacker-controlled: capped first, then decoded once and compared with its canonical form
  if (text.length > base64Length(maxBytes)) malformed(path, `longer than ${maxBytes} bytes`);
  if (text.length % 4 !== 0) malformed(path, "is not standard padded base64");
  const bytes = Buffer.from(text, "base64");
  if (bytes.toString("base64") !== text) malformed(path, "is not standard padded base64");
  if (bytes.length > maxBytes) malformed(path, `longer than ${maxBytes} bytes`);
  return bytes;
}

const PEM_LABELS = ["CERTIFICATE", "PUBLIC KEY"] as const;
export type PemLabel = (typeof PEM_LABELS)[number];

/**
 * Exactly one PEM block (RFC 7468 §2) labelled CERTIFICATE or PUBLIC KEY. Line length is not
 * enforced (Go's pem.Decode does not either) but headers, other labels, a second block and any
 * non-whitespace outside the block are rejected.
 */
export function decodePemBlock(pem: Buffer, path: string): { label: PemLabel; der: Buffer } {
  // attacker-controlled: the bytes are checked to be ASCII and capped before any scanning
  if (pem.length > ENTRY_LIMITS.pemChars) malformed(path, "PEM text too large");
  if (!isAscii(pem)) malformed(path, "PEM text is not ASCII");
  const text = pem.toString("latin1").trim();
  const begin = /^-----BEGIN ([A-Z0-9 ]{1,64})-----\r?\n/.exec(text);
  if (!begin) malformed(path, "is not a PEM block");
  const label = begin[1]!;
  if (!(PEM_LABELS as readonly string[]).includes(label)) {
    throw entryError("ERR_ENTRY_KEY_UNSUPPORTED", `${path}: PEM label ${JSON.stringify(label)} is neither CERTIFICATE nor PUBLIC KEY`);
  }
  const footer = `-----END ${label}-----`;
  if (!text.endsWith(footer)) malformed(path, "must hold exactly one PEM block with a matching END line");
  const body = text.slice(begin[0].length, text.length - footer.length).replace(/[\r\n]/g, "");
  const maxDer = label === "CERTIFICATE" ? ENTRY_LIMITS.certificateBytes : ENTRY_LIMITS.spkiBytes;
  const der = decodeBase64Strict(body, `${path} (PEM body)`, maxDer);
  if (der.length === 0) malformed(path, "PEM block is empty");
  return { label: label as PemLabel, der };
}

/** PEM-encode DER the way Go's pem.Encode does (64-character lines, final newline): Rekor's canonical key form. */
export function toPem(der: Uint8Array, label: PemLabel): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64");
  let out = `-----BEGIN ${label}-----\n`;
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + "\n";
  return out + `-----END ${label}-----\n`;
}

const LOWER_HEX = /^[0-9a-f]*$/;

/** Lower-case hex of exactly `bytes` bytes, else ERR_ENTRY_DIGEST_INVALID. */
export function decodeDigestHex(text: string, path: string, bytes: number): Buffer {
  // attacker-controlled: length compared before the regex runs
  if (text.length !== bytes * 2) throw entryError("ERR_ENTRY_DIGEST_INVALID", `${path}: must be ${bytes * 2} hex characters`);
  if (!LOWER_HEX.test(text)) throw entryError("ERR_ENTRY_DIGEST_INVALID", `${path}: must be lower-case hex`);
  return Buffer.from(text, "hex");
}
