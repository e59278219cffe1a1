/**
 * Embedded Signed Certificate Timestamps (RFC 6962 §3.2–3.3): parse the SCT
 * list extension and verify each SCT over the reconstructed precertificate.
 */
import { SignetCryptoError } from "../errors.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { bytesEqual, concatBytes, toBytes } from "../encoding/bytes.ts";
import { toHex } from "../encoding/hex.ts";
import { TAG, contextTag, derRaw, encodeTlv, parseDer, readOctetString } from "../asn1/der.ts";
import { OID } from "../asn1/oid.ts";
import { sha256 } from "../digest.ts";
import { isValidSignature, type PublicKeyInfo, type SignatureAlgorithm } from "../keys.ts";
import { isWithin, type TimeRange } from "../trust/time-range.ts";
import type { Certificate } from "./certificate.ts";

/** Cap on SCTs per certificate (SECURITY.md D12). */
export const SCT_MAX_COUNT = 32;

/** One parsed SCT (RFC 6962 §3.2 SignedCertificateTimestamp). */
export interface Sct {
  readonly logId: Bytes;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly extensions: Bytes;
  readonly hashAlgorithm: number;
  readonly signatureAlgorithm: number;
  readonly signature: Bytes;
}

/** A CT log from the trusted root. */
export interface CtLogKey {
  readonly logId: Bytes;
  readonly publicKey: PublicKeyInfo | undefined;
  readonly validFor: TimeRange;
  readonly baseUrl: string;
}

/** One SCT that verified against a trusted CT log. */
export interface VerifiedSct {
  readonly logId: Bytes;
  readonly timestamp: number;
  readonly baseUrl: string;
}

function malformed(message: string): SignetCryptoError {
  return new SignetCryptoError("ERR_SCT_MALFORMED", message);
}

class Reader {
  pos = 0;
  readonly b: Bytes;
  constructor(b: Bytes) {
    this.b = b;
  }
  take(n: number): Bytes {
    if (this.pos + n > this.b.length) throw malformed("truncated SCT data");
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  u8(): number {
    return this.take(1)[0]!;
  }
  u16(): number {
    const t = this.take(2);
    return (t[0]! << 8) | t[1]!;
  }
  u64ms(): number {
    const t = this.take(8);
    let v = 0n;
    for (const x of t) v = (v << 8n) | BigInt(x);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed("SCT timestamp out of range");
    return Number(v);
  }
  done(): boolean {
    return this.pos === this.b.length;
  }
}

/** Parse the SCT list extension value (RFC 6962 §3.3: OCTET STRING around a TLS list). */
export function parseSctList(extnValue: Uint8Array): Sct[] {
  // attacker-controlled: every length is checked against the remaining bytes
  let list: Bytes;
  try {
    list = toBytes(readOctetString(parseDer(extnValue, { maxDepth: 1, maxNodes: 1 }), "SCT list"));
  } catch {
    throw malformed("SCT list extension is not an OCTET STRING");
  }
  const r = new Reader(list);
  const total = r.u16();
  if (total !== list.length - 2) throw malformed("SCT list length mismatch");
  const out: Sct[] = [];
  while (!r.done()) {
    if (out.length >= SCT_MAX_COUNT) throw malformed("too many SCTs");
    const len = r.u16();
    const s = new Reader(toBytes(r.take(len)));
    if (s.u8() !== 0) throw malformed("unsupported SCT version");
    const logId = toBytes(s.take(32));
    const timestamp = s.u64ms();
    const extensions = toBytes(s.take(s.u16()));
    const hashAlgorithm = s.u8();
    const signatureAlgorithm = s.u8();
    const signature = toBytes(s.take(s.u16()));
    if (!s.done()) throw malformed("trailing bytes in SCT");
    out.push({ logId, timestamp, extensions, hashAlgorithm, signatureAlgorithm, signature });
  }
  if (out.length === 0) throw malformed("empty SCT list");
  return out;
}

/** The TBSCertificate with the SCT list extension removed (RFC 6962 §3.2 precert TBS). */
export function precertificateTbs(cert: Certificate): Bytes {
  const fields = cert.tbsNode.children;
  const sctRaw = findSctRaw(cert);
  const parts: Uint8Array[] = [];
  for (const f of fields) {
    if (f.tag !== contextTag(3, true)) {
      parts.push(derRaw(f));
      continue;
    }
    const kept = f.children[0]!.children.filter((ext) => !bytesEqual(derRaw(ext), sctRaw));
    if (kept.length > 0) parts.push(encodeTlv(contextTag(3, true), encodeTlv(TAG.SEQUENCE, concatBytes(...kept.map(derRaw)))));
  }
  return encodeTlv(TAG.SEQUENCE, concatBytes(...parts));
}

function findSctRaw(cert: Certificate): Bytes {
  const ext = cert.extensions.find((e) => e.oid === OID.ctSctList);
  if (ext === undefined) throw malformed("certificate has no SCT list");
  return ext.raw;
}

function u64(ms: number): Bytes {
  const out = new Uint8Array(8);
  let v = BigInt(ms);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out as Bytes;
}

function sctAlgorithm(sct: Sct, key: PublicKeyInfo): SignatureAlgorithm | undefined {
  // RFC 5246 §7.4.1.4.1: hash 4 = sha256; signature 1 = rsa, 3 = ecdsa.
  if (sct.hashAlgorithm !== 4) return undefined;
  if (sct.signatureAlgorithm === 3 && key.kind === "ecdsa") return { kind: "ecdsa", hash: "SHA-256" };
  if (sct.signatureAlgorithm === 1 && key.kind === "rsa") return { kind: "rsa-pkcs1", hash: "SHA-256" };
  return undefined;
}

/**
 * Verify the embedded SCTs of `cert` (issued by `issuer`) against trusted CT
 * logs (RFC 6962 §3.2). SCTs from logs the trusted root does not know are
 * ignored; an SCT from a known log that fails to verify is an error
 * (ERR_SCT_INVALID). Returns the verified SCTs (possibly none).
 */
export async function verifyEmbeddedScts(cert: Certificate, issuer: Certificate, ctlogs: readonly CtLogKey[]): Promise<VerifiedSct[]> {
  const ext = cert.extensions.find((e) => e.oid === OID.ctSctList);
  if (ext === undefined) return [];
  const scts = parseSctList(ext.value);
  const tbs = precertificateTbs(cert);
  const tbsLen = Uint8Array.of((tbs.length >> 16) & 0xff, (tbs.length >> 8) & 0xff, tbs.length & 0xff);
  const issuerKeyHash = sha256(issuer.publicKey.spki);
  const out: VerifiedSct[] = [];
  for (const sct of scts) {
    const logs = ctlogs.filter((l) => bytesEqual(l.logId, sct.logId) && isWithin(l.validFor, sct.timestamp));
    if (logs.length === 0) continue;
    const extLen = Uint8Array.of((sct.extensions.length >> 8) & 0xff, sct.extensions.length & 0xff);
    const signed = concatBytes(Uint8Array.of(0, 0), u64(sct.timestamp), Uint8Array.of(0, 1), issuerKeyHash, tbsLen, tbs, extLen, sct.extensions);
    let ok = false;
    for (const log of logs) {
      if (log.publicKey === undefined) continue;
      const alg = sctAlgorithm(sct, log.publicKey);
      if (alg !== undefined && (await isValidSignature(log.publicKey, alg, signed, sct.signature))) {
        ok = true;
        out.push({ logId: sct.logId, timestamp: sct.timestamp, baseUrl: log.baseUrl });
        break;
      }
    }
    if (!ok) throw new SignetCryptoError("ERR_SCT_INVALID", `SCT from CT log ${toHex(sct.logId)} does not verify`);
  }
  return out;
}
