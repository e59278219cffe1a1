/**
 * OBJECT IDENTIFIER encoding (X.690 §8.19) and the OIDs Signet reads.
 */
import { SignetCryptoError } from "../errors.ts";
import type { Bytes } from "../encoding/bytes.ts";

/** Cap on arcs per OID: real OIDs have < 20; a 10k-arc OID is an attack (SECURITY.md D11). */
export const OID_MAX_ARCS = 64;
const ARC_LIMIT = 2 ** 32;
/**
 * The one exception to the 2^32 arc bound: the arc right under 2.25 is a UUID (ITU-T X.667), a
 * 128-bit number. It is still bounded (at most 19 content octets), so parsing stays linear.
 */
const UUID_ARC_LIMIT = 1n << 128n;
const isUuidArcPosition = (arcs: readonly (number | bigint)[]) => arcs.length === 2 && arcs[0] === 2 && arcs[1] === 25;

/**
 * Decode OID content octets to dotted form. Rejects empty content, non-minimal
 * arcs (leading 0x80), truncated arcs, arcs ≥ 2^32 (except a UUID arc directly under 2.25, ≤ 2^128)
 * and more than OID_MAX_ARCS arcs.
 */
export function decodeOidContent(content: Uint8Array): string {
  // attacker-controlled: every byte is checked, arc values are bounded before use
  if (content.length === 0) throw new SignetCryptoError("ERR_DER_MALFORMED", "empty OBJECT IDENTIFIER");
  if (content.length > OID_MAX_ARCS * 5) throw new SignetCryptoError("ERR_DER_MALFORMED", "OBJECT IDENTIFIER too long");
  const arcs: (number | bigint)[] = [];
  let value = 0;
  let big = 0n;
  let started = false;
  for (let i = 0; i < content.length; i++) {
    const b = content[i]!;
    if (!started && b === 0x80) throw new SignetCryptoError("ERR_DER_MALFORMED", "non-minimal OID arc");
    started = true;
    if (isUuidArcPosition(arcs)) {
      big = big * 128n + BigInt(b & 0x7f);
      if (big >= UUID_ARC_LIMIT) throw new SignetCryptoError("ERR_DER_MALFORMED", "OID arc too large");
      if ((b & 0x80) === 0) {
        arcs.push(big);
        big = 0n;
        started = false;
      }
      continue;
    }
    value = value * 128 + (b & 0x7f);
    if (value >= ARC_LIMIT * 2) throw new SignetCryptoError("ERR_DER_MALFORMED", "OID arc too large");
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        // First subidentifier packs two arcs (X.690 §8.19.4).
        if (value < 40) arcs.push(0, value);
        else if (value < 80) arcs.push(1, value - 40);
        else arcs.push(2, value - 80);
      } else {
        arcs.push(value);
      }
      if ((arcs[arcs.length - 1] as number) >= ARC_LIMIT) throw new SignetCryptoError("ERR_DER_MALFORMED", "OID arc too large");
      if (arcs.length > OID_MAX_ARCS) throw new SignetCryptoError("ERR_DER_MALFORMED", "OID has too many arcs");
      value = 0;
      started = false;
    }
  }
  if (started) throw new SignetCryptoError("ERR_DER_MALFORMED", "truncated OID arc");
  return arcs.join(".");
}

/** Encode a dotted OID to content octets (for building TLVs and tests). */
export function encodeOidContent(oid: string): Bytes {
  const uuidOid = /^2\.25\.(0|[1-9][0-9]{0,38})(\.(0|[1-9][0-9]{0,9}))*$/.test(oid);
  if (!uuidOid && !/^[0-2](\.(0|[1-9][0-9]{0,9}))+$/.test(oid)) throw new SignetCryptoError("ERR_OID_MALFORMED", `bad OID ${oid}`);
  const arcs = oid.split(".").map((a, i) => (uuidOid && i === 2 ? BigInt(a) : Number(a)));
  if (arcs.some((a, i) => (uuidOid && i === 2 ? (a as bigint) >= UUID_ARC_LIMIT : (a as number) >= ARC_LIMIT)) || arcs.length > OID_MAX_ARCS) {
    throw new SignetCryptoError("ERR_OID_MALFORMED", `bad OID ${oid}`);
  }
  if ((arcs[0] as number) < 2 && (arcs[1] as number) >= 40) throw new SignetCryptoError("ERR_OID_MALFORMED", `bad OID ${oid}`);
  const out: number[] = [];
  const sub = [BigInt((arcs[0] as number) * 40 + (arcs[1] as number)), ...arcs.slice(2).map((a) => BigInt(a))];
  for (const v of sub) {
    const groups: number[] = [];
    let x = v;
    do {
      groups.unshift(Number(x % 128n));
      x = x / 128n;
    } while (x > 0n);
    for (let i = 0; i < groups.length; i++) out.push(groups[i]! | (i < groups.length - 1 ? 0x80 : 0));
  }
  return Uint8Array.from(out) as Bytes;
}

/** OIDs used across X.509, CMS, RFC 3161, CT and Fulcio. */
export const OID = {
  // Public keys and curves (RFC 5480, RFC 8410, RFC 8017)
  ecPublicKey: "1.2.840.10045.2.1",
  secp192r1: "1.2.840.10045.3.1.1",
  secp224r1: "1.3.132.0.33",
  prime256v1: "1.2.840.10045.3.1.7",
  secp384r1: "1.3.132.0.34",
  secp521r1: "1.3.132.0.35",
  rsaEncryption: "1.2.840.113549.1.1.1",
  ed25519: "1.3.101.112",
  // Signature algorithms (RFC 5758, RFC 4055, RFC 8410)
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  ecdsaWithSha384: "1.2.840.10045.4.3.3",
  ecdsaWithSha512: "1.2.840.10045.4.3.4",
  sha256WithRsa: "1.2.840.113549.1.1.11",
  sha384WithRsa: "1.2.840.113549.1.1.12",
  sha512WithRsa: "1.2.840.113549.1.1.13",
  rsassaPss: "1.2.840.113549.1.1.10",
  mgf1: "1.2.840.113549.1.1.8",
  // Digests (NIST)
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
  // X.509 extensions (RFC 5280 §4.2)
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  ekuCodeSigning: "1.3.6.1.5.5.7.3.3",
  ekuTimeStamping: "1.3.6.1.5.5.7.3.8",
  // Certificate Transparency (RFC 6962 §3.3)
  ctSctList: "1.3.6.1.4.1.11129.2.4.2",
  ctPoison: "1.3.6.1.4.1.11129.2.4.3",
  // CMS (RFC 5652) and RFC 3161
  signedData: "1.2.840.113549.1.7.2",
  tstInfo: "1.2.840.113549.1.9.16.1.4",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
  signingCertificate: "1.2.840.113549.1.9.16.2.12",
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
  // Fulcio (sigstore/fulcio docs/oid-info.md)
  fulcioPrefix: "1.3.6.1.4.1.57264.1",
} as const;
