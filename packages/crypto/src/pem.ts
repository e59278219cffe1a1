/**
 * PEM armour (RFC 7468): strict decode of one labelled block, and encode.
 */
import { SignetCryptoError } from "./errors.ts";
import type { Bytes } from "./encoding/bytes.ts";
import { fromBase64, toBase64 } from "./encoding/base64.ts";

/** Cap on PEM text we are willing to scan (a certificate chain is a few KB). */
export const PEM_MAX_LENGTH = 256 * 1024;

/** All PEM blocks with their labels, in order (RFC 7468 §2, strict base64 lines). */
export function parsePemBlocks(text: string): { label: string; der: Bytes }[] {
  // attacker-controlled: size capped before scanning, base64 decoded strictly
  if (typeof text !== "string" || text.length > PEM_MAX_LENGTH) throw new SignetCryptoError("ERR_PEM_MALFORMED", "PEM text too large");
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const out: { label: string; der: Bytes }[] = [];
  let label: string | undefined;
  let body = "";
  for (const raw of lines) {
    const line = raw.trim();
    if (label === undefined) {
      const m = /^-----BEGIN ([A-Z0-9 ]{1,64})-----$/.exec(line);
      if (m) {
        label = m[1]!;
        body = "";
      } else if (line !== "" && out.length === 0 && !/^[\x20-\x7e]*$/.test(line)) {
        throw new SignetCryptoError("ERR_PEM_MALFORMED", "non-text data before PEM block");
      }
      continue;
    }
    if (line === `-----END ${label}-----`) {
      try {
        out.push({ label, der: fromBase64(body) });
      } catch (cause) {
        throw new SignetCryptoError("ERR_PEM_MALFORMED", "bad base64 in PEM block", { cause });
      }
      label = undefined;
      continue;
    }
    if (line.startsWith("-----")) throw new SignetCryptoError("ERR_PEM_MALFORMED", "mismatched PEM boundary");
    if (/:/.test(line)) throw new SignetCryptoError("ERR_PEM_MALFORMED", "PEM headers are not supported");
    body += line;
  }
  if (label !== undefined) throw new SignetCryptoError("ERR_PEM_MALFORMED", "unterminated PEM block");
  return out;
}

/** Exactly one PEM block with the given label (RFC 7468). */
export function parsePem(text: string, label: string): Bytes {
  const blocks = parsePemBlocks(text);
  if (blocks.length !== 1 || blocks[0]!.label !== label) {
    throw new SignetCryptoError("ERR_PEM_MALFORMED", `expected exactly one ${label} PEM block`);
  }
  return blocks[0]!.der;
}

/** PEM-encode DER with 64-character lines (RFC 7468 §2). */
export function toPem(der: Uint8Array, label: string): string {
  const b64 = toBase64(der);
  let out = `-----BEGIN ${label}-----\n`;
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + "\n";
  return out + `-----END ${label}-----\n`;
}
