/**
 * X.509 v3 certificate parsing (RFC 5280 §4.1) over the strict DER reader:
 * the fields and extensions a Sigstore verifier needs, nothing more.
 */
import { SignetCryptoError } from "../errors.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { bytesEqual, fromUtf8, toBytes } from "../encoding/bytes.ts";
import { toHex } from "../encoding/hex.ts";
import {
  TAG,
  contextTag,
  derContent,
  derRaw,
  expectChildren,
  expectTag,
  parseDer,
  readBitString,
  readBoolean,
  readIntegerBytes,
  readOctetAlignedBitString,
  readOctetString,
  readOid,
  readSmallInteger,
  readString,
  readTime,
  type DerNode,
} from "../asn1/der.ts";
import { OID } from "../asn1/oid.ts";
import type { HashName } from "../digest.ts";
import { parseSpkiNode, type PublicKeyInfo, type SignatureAlgorithm } from "../keys.ts";
import { parsePemBlocks } from "../pem.ts";

/** Caps checked before parsing (SECURITY.md D12, F10). */
export const CERT_MAX_BYTES = 64 * 1024;
export const CERT_MAX_EXTENSIONS = 128;
export const CERT_MAX_SANS = 64;

/** One extension: `value` is the content of extnValue (RFC 5280 §4.1). */
export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Bytes;
  /** The full Extension TLV, needed to rebuild a precertificate TBS (RFC 6962 §3.2). */
  readonly raw: Bytes;
}

/** A GeneralName (RFC 5280 §4.2.1.6) in the forms Sigstore uses. */
export type GeneralName =
  | { readonly kind: "email"; readonly value: string }
  | { readonly kind: "dns"; readonly value: string }
  | { readonly kind: "uri"; readonly value: string }
  | { readonly kind: "ip"; readonly value: string }
  | { readonly kind: "otherName"; readonly typeId: string; readonly value: string | undefined; readonly raw: Bytes }
  | { readonly kind: "directoryName"; readonly value: string }
  | { readonly kind: "other"; readonly tag: number };

/** KeyUsage bits (RFC 5280 §4.2.1.3). */
export interface KeyUsage {
  readonly digitalSignature: boolean;
  readonly keyCertSign: boolean;
  readonly cRLSign: boolean;
}

/** A parsed certificate. Nothing here is trusted until chain verification says so. */
export interface Certificate {
  readonly der: Bytes;
  readonly tbs: Bytes;
  readonly version: number;
  readonly serialNumber: Bytes;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly signature: Bytes;
  /** Raw DER of the issuer and subject Names (compared byte for byte). */
  readonly issuer: Bytes;
  readonly subject: Bytes;
  readonly issuerName: string;
  readonly subjectName: string;
  /** Validity in milliseconds since the epoch (inclusive both ends, RFC 5280 §4.1.2.5). */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly publicKey: PublicKeyInfo;
  readonly extensions: readonly Extension[];
  readonly basicConstraints: { readonly ca: boolean; readonly pathLen: number | undefined } | undefined;
  readonly keyUsage: KeyUsage | undefined;
  readonly extKeyUsage: readonly string[] | undefined;
  readonly subjectKeyId: Bytes | undefined;
  readonly authorityKeyId: Bytes | undefined;
  readonly subjectAltNames: readonly GeneralName[];
  /** Parsed TBSCertificate element, for rebuilding the precertificate TBS. */
  readonly tbsNode: DerNode;
}

function malformed(message: string, cause?: unknown): SignetCryptoError {
  return new SignetCryptoError("ERR_CERT_MALFORMED", message, cause === undefined ? undefined : { cause });
}

const HASH_BY_OID: Record<string, HashName> = { [OID.sha256]: "SHA-256", [OID.sha384]: "SHA-384", [OID.sha512]: "SHA-512" };

/** Hash algorithm from a digest AlgorithmIdentifier (parameters absent or NULL). */
export function parseDigestAlgorithm(node: DerNode | undefined): HashName {
  const alg = expectChildren(node, TAG.SEQUENCE, "digest AlgorithmIdentifier", 1, 2);
  if (alg[1] !== undefined && alg[1].tag !== TAG.NULL) throw malformed("digest algorithm parameters must be absent or NULL");
  const oid = readOid(alg[0]);
  const hash = HASH_BY_OID[oid];
  if (hash === undefined) throw new SignetCryptoError("ERR_ALGORITHM_UNSUPPORTED", `unsupported digest ${oid}`);
  return hash;
}

/**
 * Signature AlgorithmIdentifier → algorithm (RFC 5758 §3.2, RFC 4055 §3.1, RFC 8410 §3).
 * Unknown or weak algorithms (SHA-1, MD5) throw ERR_ALGORITHM_UNSUPPORTED.
 */
export function parseSignatureAlgorithm(node: DerNode | undefined): SignatureAlgorithm {
  const alg = expectChildren(node, TAG.SEQUENCE, "signature AlgorithmIdentifier", 1, 2);
  const oid = readOid(alg[0]);
  const params = alg[1];
  const noParams = () => {
    if (params !== undefined) throw malformed(`${oid} must have absent parameters`);
  };
  const nullOrAbsent = () => {
    if (params !== undefined && params.tag !== TAG.NULL) throw malformed(`${oid} parameters must be NULL`);
  };
  switch (oid) {
    case OID.ecdsaWithSha256:
      noParams();
      return { kind: "ecdsa", hash: "SHA-256" };
    case OID.ecdsaWithSha384:
      noParams();
      return { kind: "ecdsa", hash: "SHA-384" };
    case OID.ecdsaWithSha512:
      noParams();
      return { kind: "ecdsa", hash: "SHA-512" };
    case OID.sha256WithRsa:
      nullOrAbsent();
      return { kind: "rsa-pkcs1", hash: "SHA-256" };
    case OID.sha384WithRsa:
      nullOrAbsent();
      return { kind: "rsa-pkcs1", hash: "SHA-384" };
    case OID.sha512WithRsa:
      nullOrAbsent();
      return { kind: "rsa-pkcs1", hash: "SHA-512" };
    case OID.ed25519:
      noParams();
      return { kind: "ed25519" };
    case OID.rsassaPss:
      return parsePssParams(params);
    default:
      throw new SignetCryptoError("ERR_ALGORITHM_UNSUPPORTED", `unsupported signature algorithm ${oid}`);
  }
}

function parsePssParams(params: DerNode | undefined): SignatureAlgorithm {
  // RSASSA-PSS-params (RFC 4055 §3.1); SHA-1 defaults are refused, so every field must be explicit.
  const fields = expectChildren(params, TAG.SEQUENCE, "RSASSA-PSS-params", 0, 4);
  let hash: HashName | undefined;
  let mgfHash: HashName | undefined;
  let saltLength = 20;
  for (const f of fields) {
    const inner = f.children[0];
    if (f.tag === contextTag(0, true)) hash = parseDigestAlgorithm(inner);
    else if (f.tag === contextTag(1, true)) {
      const mgf = expectChildren(inner, TAG.SEQUENCE, "maskGenAlgorithm", 2, 2);
      if (readOid(mgf[0]) !== OID.mgf1) throw new SignetCryptoError("ERR_ALGORITHM_UNSUPPORTED", "PSS mask generation must be MGF1");
      mgfHash = parseDigestAlgorithm(mgf[1]);
    } else if (f.tag === contextTag(2, true)) saltLength = readSmallInteger(inner, "saltLength");
    else if (f.tag === contextTag(3, true)) {
      if (readSmallInteger(inner, "trailerField") !== 1) throw malformed("PSS trailerField must be 1");
    } else throw malformed("unexpected field in RSASSA-PSS-params");
  }
  if (hash === undefined || mgfHash !== hash) throw new SignetCryptoError("ERR_ALGORITHM_UNSUPPORTED", "PSS must name one SHA-2 hash for both digest and MGF1");
  return { kind: "rsa-pss", hash, saltLength };
}

const ATTR_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.5": "serialNumber",
  "1.2.840.113549.1.9.1": "emailAddress",
};

/** A Name (RFC 5280 §4.1.2.4) as `O=…, CN=…` for display; comparisons use raw DER. */
export function describeName(node: DerNode): string {
  const parts: string[] = [];
  for (const rdn of expectTag(node, TAG.SEQUENCE, "Name").children) {
    for (const atv of expectTag(rdn, TAG.SET, "RelativeDistinguishedName").children) {
      const [type, value] = expectChildren(atv, TAG.SEQUENCE, "AttributeTypeAndValue", 2, 2);
      const oid = readOid(type);
      let text: string;
      try {
        text = readString(value);
      } catch {
        text = `#${toHex(derRaw(value!))}`;
      }
      parts.push(`${ATTR_NAMES[oid] ?? oid}=${text}`);
    }
  }
  return parts.join(", ");
}

function parseIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
    return groups.join(":");
  }
  throw malformed("bad iPAddress length");
}

function ia5(node: DerNode): string {
  const c = derContent(node);
  for (const b of c) if (b > 0x7f) throw malformed("non-ASCII byte in IA5String name");
  return fromUtf8(c);
}

/** GeneralNames SEQUENCE (RFC 5280 §4.2.1.6). */
export function parseGeneralNames(node: DerNode): GeneralName[] {
  const names = expectTag(node, TAG.SEQUENCE, "GeneralNames").children;
  if (names.length === 0) throw malformed("empty GeneralNames");
  if (names.length > CERT_MAX_SANS) throw malformed("too many subject alternative names");
  return names.map((n): GeneralName => {
    switch (n.tag) {
      case contextTag(1, false):
        return { kind: "email", value: ia5(n) };
      case contextTag(2, false):
        return { kind: "dns", value: ia5(n) };
      case contextTag(6, false):
        return { kind: "uri", value: ia5(n) };
      case contextTag(7, false):
        return { kind: "ip", value: parseIp(derContent(n)) };
      case contextTag(4, true):
        return { kind: "directoryName", value: describeName(n.children[0]!) };
      case contextTag(0, true): {
        // OtherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY } (IMPLICIT [0] here).
        if (n.children.length !== 2) throw malformed("bad otherName");
        const typeId = readOid(n.children[0]);
        const wrapped = expectTag(n.children[1], contextTag(0, true), "otherName value");
        let value: string | undefined;
        try {
          value = readString(wrapped.children[0]);
        } catch {
          value = undefined;
        }
        return { kind: "otherName", typeId, value, raw: toBytes(derRaw(n)) };
      }
      default:
        return { kind: "other", tag: n.tag };
    }
  });
}

/** Parse a DER certificate (RFC 5280 §4.1). Throws ERR_CERT_MALFORMED. */
export function parseCertificate(der: Uint8Array): Certificate {
  // attacker-controlled: size capped, DER parsed strictly with depth caps
  if (der.length > CERT_MAX_BYTES) throw malformed("certificate too large");
  const bytes = toBytes(der);
  let root: DerNode;
  try {
    root = parseDer(bytes);
  } catch (cause) {
    throw malformed("certificate is not valid DER", cause);
  }
  try {
    return parseCertificateNode(root, bytes);
  } catch (e) {
    if (e instanceof SignetCryptoError && (e.code === "ERR_CERT_MALFORMED" || e.code.startsWith("ERR_KEY_") || e.code === "ERR_ALGORITHM_UNSUPPORTED")) throw e;
    throw malformed("malformed certificate", e);
  }
}

function parseCertificateNode(root: DerNode, bytes: Bytes): Certificate {
  const [tbsNode, outerAlg, sigBits] = expectChildren(root, TAG.SEQUENCE, "Certificate", 3, 3);
  const tbsFields = expectTag(tbsNode, TAG.SEQUENCE, "TBSCertificate").children;
  let i = 0;
  let version = 0;
  if (tbsFields[0]?.tag === contextTag(0, true)) {
    version = readSmallInteger(tbsFields[0].children[0], "version");
    if (tbsFields[0].children.length !== 1 || version > 2) throw malformed("bad certificate version");
    if (version === 0) throw malformed("explicit default version is not DER");
    i = 1;
  }
  const serialNode = tbsFields[i++];
  const serialNumber = toBytes(readIntegerBytes(serialNode, "serialNumber"));
  if (serialNumber.length > 21) throw malformed("serialNumber longer than 20 octets");
  const innerAlg = tbsFields[i++];
  const issuerNode = expectTag(tbsFields[i++], TAG.SEQUENCE, "issuer");
  const validity = expectChildren(tbsFields[i++], TAG.SEQUENCE, "validity", 2, 2);
  const subjectNode = expectTag(tbsFields[i++], TAG.SEQUENCE, "subject");
  const spkiNode = tbsFields[i++];
  if (innerAlg === undefined || spkiNode === undefined) throw malformed("truncated TBSCertificate");
  // The outer and inner algorithm identifiers must be the same bytes (RFC 5280 §4.1.1.2).
  if (!bytesEqual(derRaw(innerAlg), derRaw(outerAlg!))) throw malformed("signatureAlgorithm differs from TBS signature field");
  const signatureAlgorithm = parseSignatureAlgorithm(outerAlg);
  const publicKey = parseSpkiNode(spkiNode);

  // Optional issuerUniqueID [1], subjectUniqueID [2], extensions [3], in order.
  let extNode: DerNode | undefined;
  for (; i < tbsFields.length; i++) {
    const f = tbsFields[i]!;
    if (f.tag === contextTag(1, false) || f.tag === contextTag(2, false)) {
      if (version < 1 || extNode !== undefined) throw malformed("unexpected unique identifier");
      continue;
    }
    if (f.tag === contextTag(3, true) && extNode === undefined && i === tbsFields.length - 1) {
      if (version !== 2) throw malformed("extensions require a v3 certificate");
      extNode = f;
      continue;
    }
    throw malformed("unexpected field in TBSCertificate");
  }

  const extensions: Extension[] = [];
  if (extNode !== undefined) {
    const list = expectChildren(extNode, contextTag(3, true), "extensions", 1, 1)[0]!;
    const items = expectTag(list, TAG.SEQUENCE, "Extensions").children;
    if (items.length === 0 || items.length > CERT_MAX_EXTENSIONS) throw malformed("bad number of extensions");
    const seen = new Set<string>();
    for (const ext of items) {
      const parts = expectChildren(ext, TAG.SEQUENCE, "Extension", 2, 3);
      const oid = readOid(parts[0]);
      if (seen.has(oid)) throw malformed(`duplicate extension ${oid}`);
      seen.add(oid);
      let critical = false;
      if (parts.length === 3) {
        critical = readBoolean(parts[1], "critical");
        if (!critical) throw malformed("explicit critical=FALSE is not DER");
      }
      const value = toBytes(readOctetString(parts[parts.length - 1], "extnValue"));
      extensions.push({ oid, critical, value, raw: toBytes(derRaw(ext)) });
    }
  }

  const find = (oid: string) => extensions.find((e) => e.oid === oid);
  const inner = (oid: string): DerNode | undefined => {
    const e = find(oid);
    return e === undefined ? undefined : parseDer(e.value);
  };

  let basicConstraints: Certificate["basicConstraints"];
  const bc = inner(OID.basicConstraints);
  if (bc !== undefined) {
    const f = expectChildren(bc, TAG.SEQUENCE, "basicConstraints", 0, 2);
    let ca = false;
    let k = 0;
    if (f[k]?.tag === TAG.BOOLEAN) {
      ca = readBoolean(f[k++]);
      if (!ca) throw malformed("explicit cA=FALSE is not DER");
    }
    const pathLen = f[k] === undefined ? undefined : readSmallInteger(f[k++], "pathLenConstraint");
    if (k !== f.length) throw malformed("bad basicConstraints");
    if (pathLen !== undefined && !ca) throw malformed("pathLenConstraint without cA");
    basicConstraints = { ca, pathLen };
  }

  let keyUsage: KeyUsage | undefined;
  const ku = inner(OID.keyUsage);
  if (ku !== undefined) {
    const { bytes: bits } = readBitString(ku, "keyUsage");
    const bit = (n: number) => ((bits[n >> 3] ?? 0) & (0x80 >> (n & 7))) !== 0;
    keyUsage = { digitalSignature: bit(0), keyCertSign: bit(5), cRLSign: bit(6) };
  }

  let extKeyUsage: string[] | undefined;
  const eku = inner(OID.extKeyUsage);
  if (eku !== undefined) {
    const list = expectTag(eku, TAG.SEQUENCE, "extKeyUsage").children;
    if (list.length === 0) throw malformed("empty extKeyUsage");
    extKeyUsage = list.map((n) => readOid(n, "KeyPurposeId"));
  }

  const skiNode = inner(OID.subjectKeyIdentifier);
  const subjectKeyId = skiNode === undefined ? undefined : toBytes(readOctetString(skiNode, "subjectKeyIdentifier"));

  let authorityKeyId: Bytes | undefined;
  const aki = inner(OID.authorityKeyIdentifier);
  if (aki !== undefined) {
    for (const f of expectTag(aki, TAG.SEQUENCE, "authorityKeyIdentifier").children) {
      if (f.tag === contextTag(0, false)) authorityKeyId = toBytes(derContent(f));
    }
  }

  const sanNode = inner(OID.subjectAltName);
  const subjectAltNames = sanNode === undefined ? [] : parseGeneralNames(sanNode);

  const signature = toBytes(readOctetAlignedBitString(sigBits, "signatureValue"));
  return {
    der: bytes,
    tbs: toBytes(derRaw(tbsNode!)),
    version: version + 1,
    serialNumber,
    signatureAlgorithm,
    signature,
    issuer: toBytes(derRaw(issuerNode)),
    subject: toBytes(derRaw(subjectNode)),
    issuerName: describeName(issuerNode),
    subjectName: describeName(subjectNode),
    notBefore: readTime(validity[0], "notBefore"),
    notAfter: readTime(validity[1], "notAfter"),
    publicKey,
    extensions,
    basicConstraints,
    keyUsage,
    extKeyUsage,
    subjectKeyId,
    authorityKeyId,
    subjectAltNames,
    tbsNode: tbsNode!,
  };
}

/** Parse every CERTIFICATE block of a PEM text (RFC 7468 §5). */
export function parseCertificatesPem(text: string): Certificate[] {
  return parsePemBlocks(text).map((b) => {
    if (b.label !== "CERTIFICATE") throw malformed(`unexpected PEM label ${b.label}`);
    return parseCertificate(b.der);
  });
}

/** The extension with `oid`, if present. */
export function findExtension(cert: Certificate, oid: string): Extension | undefined {
  return cert.extensions.find((e) => e.oid === oid);
}

/** True when subject and issuer Names are byte-identical (RFC 5280 §6.1: self-issued). */
export function isSelfIssued(cert: Certificate): boolean {
  return bytesEqual(cert.subject, cert.issuer);
}

/** True when `t` (ms) lies in [notBefore, notAfter] (RFC 5280 §4.1.2.5: inclusive). */
export function isValidAt(cert: Certificate, t: number): boolean {
  return cert.notBefore <= t && t <= cert.notAfter;
}
