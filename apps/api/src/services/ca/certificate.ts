/**
 * A fixed-layout DER encoder for the certificates Signet issues (RFC 5280 §4.1): the Fulcio leaf
 * profile (sigstore/fulcio docs/certificate-specification.md, INTEROP.md §1 and last section) with its
 * RFC 6962 §3.1 precertificate, and the CA certificates of the key ceremony (root, intermediate, TSA).
 *
 * Everything that does not depend on the request (version, algorithm, issuer Name, key usages, AKI) is
 * encoded once per issuing CA; an issuance only encodes its serial, validity, key, SKI, SAN and Fulcio
 * extensions and concatenates. Identity values are validated and placed in typed TLVs (SECURITY.md B3).
 */
import { createHash, randomBytes } from "node:crypto";
import { parseDer, readOctetAlignedBitString, expectChildren, TAG } from "@signet/crypto/asn1/der";
import { OID } from "@signet/crypto/asn1/oid";
import { parseSpki } from "@signet/crypto/keys";
import { DomainError } from "../../errors.ts";
import { NULL, T, TRUE, bitString, cat, ctx, octetString, oid, seq, setOf, smallInt, tlv, uint, utf8, utf8String, x509Time } from "./der-writer.ts";

/** Curves of the CA keys (the HSM signs ECDSA over SHA-256 for P-256, SHA-384 for P-384). */
export type CaKeyAlgorithm = "P-256" | "P-384";

/** The one identity a leaf certifies: an email (rfc822Name) or a URI (uniformResourceIdentifier). */
export type SubjectAltName = { readonly kind: "email"; readonly value: string } | { readonly kind: "uri"; readonly value: string };

/** Fulcio leaf lifetime: 10 minutes (SECURITY.md B4). */
export const LEAF_MAX_VALIDITY_MS = 10 * 60 * 1000;
/** Longest SAN accepted: RFC 5321 §4.5.3.1.3 bounds a mailbox path at 256 octets; URIs get 2 KiB. */
export const SAN_MAX_EMAIL_BYTES = 254;
export const SAN_MAX_URI_BYTES = 2048;
/** Longest value of one Fulcio extension. */
export const EXTENSION_MAX_BYTES = 4096;
/** Fulcio OIDs live under this arc (sigstore/fulcio docs/oid-info.md). */
export const FULCIO_OID_PREFIX = "1.3.6.1.4.1.57264.1.";

/** AlgorithmIdentifier for the signature each CA key makes (RFC 5758 §3.2: parameters absent). */
export const SIGNATURE_ALGORITHM: Readonly<Record<CaKeyAlgorithm, Uint8Array>> = {
  "P-256": seq(oid(OID.ecdsaWithSha256)),
  "P-384": seq(oid(OID.ecdsaWithSha384)),
};

const VERSION_3 = tlv(ctx(0, true), smallInt(2));
const EMPTY_NAME = seq();

function ext(oidBytes: Uint8Array, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? seq(oidBytes, TRUE, octetString(value)) : seq(oidBytes, octetString(value));
}

const OID_KU = oid(OID.keyUsage);
const OID_EKU = oid(OID.extKeyUsage);
const OID_BC = oid(OID.basicConstraints);
const OID_SKI = oid(OID.subjectKeyIdentifier);
const OID_AKI = oid(OID.authorityKeyIdentifier);
const OID_SAN = oid(OID.subjectAltName);
const OID_SCT_LIST = oid(OID.ctSctList);

// KeyUsage named bits (RFC 5280 §4.2.1.3); DER drops trailing zero bits (X.690 §11.2.2).
const KU_DIGITAL_SIGNATURE = ext(OID_KU, true, Uint8Array.of(T.BIT_STRING, 2, 7, 0x80));
const KU_CERT_SIGN_CRL_SIGN = ext(OID_KU, true, Uint8Array.of(T.BIT_STRING, 2, 1, 0x06));
const EKU_CODE_SIGNING = ext(OID_EKU, false, seq(oid(OID.ekuCodeSigning)));
// RFC 3161 §2.3: the TSA certificate carries exactly one, critical, EKU.
const EKU_TIME_STAMPING = ext(OID_EKU, true, seq(oid(OID.ekuTimeStamping)));
const BC_END_ENTITY = ext(OID_BC, true, seq());
/** CT precertificate poison (RFC 6962 §3.1): critical, value NULL. */
const CT_POISON = ext(oid(OID.ctPoison), true, NULL);

/** Random 160-bit positive serial (CA/B BR §7.1: ≥ 64 bits of CSPRNG output), 20 bytes, minimal DER. */
export function randomSerialNumber(): Uint8Array {
  const serial = new Uint8Array(randomBytes(20));
  // High bit clear keeps it positive; a non-zero first octet keeps the INTEGER exactly 20 octets long.
  serial[0]! &= 0x7f;
  if (serial[0] === 0) serial[0] = 0x01;
  return serial;
}

/** SubjectKeyIdentifier per RFC 7093 §2 method 1: leftmost 160 bits of SHA-256 of the subjectPublicKey bits. */
export function subjectKeyIdentifier(spki: Uint8Array): Uint8Array {
  const [, bits] = expectChildren(parseDer(spki, { maxDepth: 4, maxNodes: 16 }), TAG.SEQUENCE, "SubjectPublicKeyInfo", 2, 2);
  const key = readOctetAlignedBitString(bits, "subjectPublicKey");
  return new Uint8Array(createHash("sha256").update(key).digest().subarray(0, 20));
}

/** A distinguished name of the CA certificates: O and CN as UTF8String (RFC 5280 §4.1.2.4, §4.1.2.6). */
export function encodeName(name: { organization: string; commonName: string }): Uint8Array {
  const attr = (type: string, value: string) => {
    if (value.length === 0 || value.length > 64 || /[\p{Cc}\p{Cs}]/u.test(value)) throw new RangeError(`bad name attribute ${JSON.stringify(value)}`);
    return setOf([seq(oid(type), utf8String(value))]);
  };
  return seq(attr("2.5.4.10", name.organization), attr("2.5.4.3", name.commonName));
}

function identityError(message: string): DomainError {
  return new DomainError("BAD_REQUEST", "ERR_CA_IDENTITY_INVALID", message);
}

const EMAIL =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
// RFC 3986 §2: only unreserved, reserved and '%' (valid escapes only) may appear in a URI.
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;

/**
 * Check that a SAN can be encoded exactly as given: IA5String admits ASCII only, so anything else is
 * refused rather than transcoded (a verifier compares the SAN byte for byte with a policy). Throws
 * ERR_CA_IDENTITY_INVALID (SECURITY.md B3).
 */
export function validateSubjectAltName(san: SubjectAltName): void {
  // attacker-controlled: the value comes from an identity token's claims
  const v: unknown = san.value;
  if (typeof v !== "string" || v.length === 0) throw identityError("empty identity");
  if (san.kind === "email") {
    if (v.length > SAN_MAX_EMAIL_BYTES) throw identityError("email identity too long");
    const at = v.lastIndexOf("@");
    if (!EMAIL.test(v) || at > 64) throw identityError("email identity is not a plain ASCII mailbox");
    return;
  }
  if (san.kind === "uri") {
    if (v.length > SAN_MAX_URI_BYTES) throw identityError("URI identity too long");
    if (!URI.test(v) || /%(?![0-9A-Fa-f]{2})/.test(v) || !URL.canParse(v)) throw identityError("URI identity is not an ASCII RFC 3986 URI");
    return;
  }
  throw identityError("unsupported identity kind");
}

/**
 * Signet's own leaf extension (docs/signing.md): present, with the value `passkey`, when the portal
 * session that asked for the certificate passed a passkey check. A UUID OID (ITU-T X.667 §6.3),
 * generated once for Signet; its one arc is 128 bits, beyond what `oid()` encodes.
 */
export const SIGNET_PASSKEY_OID = "2.25.149194864563520997185944822368741744203";

/** The OBJECT IDENTIFIER TLV of a `2.25.<uuid>` OID (X.690 §8.19: base-128, high bit = more). */
function uuidOid(dotted: string): Uint8Array {
  let v = BigInt(dotted.slice("2.25.".length));
  const groups: number[] = [];
  do {
    groups.unshift(Number(v & 0x7fn));
    v >>= 7n;
  } while (v > 0n);
  return tlv(T.OID, Uint8Array.of(2 * 40 + 25, ...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g))));
}

/** Signet OIDs the encoder accepts besides Fulcio's: OID → its encoded TLV. */
const SIGNET_EXTENSION_OIDS: ReadonlyMap<string, Uint8Array> = new Map([[SIGNET_PASSKEY_OID, uuidOid(SIGNET_PASSKEY_OID)]]);

/** The extension for one `identity.extensions` entry: Fulcio OIDs by arc, Signet's own as DER UTF8String. */
function identityExtension(dotted: string, value: string): Uint8Array {
  const signet = SIGNET_EXTENSION_OIDS.get(dotted);
  if (signet === undefined) return ext(oid(dotted), false, encodeFulcioExtensionValue(dotted, value));
  // The same value rules as Fulcio's .8+ arcs, checked through that encoder with the issuer arc.
  return ext(signet, false, encodeFulcioExtensionValue(`${FULCIO_OID_PREFIX}8`, value));
}

/** The arc number of a Fulcio OID, or undefined for any other OID. */
export function fulcioArc(dotted: string): number | undefined {
  if (!dotted.startsWith(FULCIO_OID_PREFIX)) return undefined;
  const rest = dotted.slice(FULCIO_OID_PREFIX.length);
  if (!/^[1-9][0-9]{0,2}$/.test(rest)) return undefined;
  return Number(rest);
}

/**
 * Encode the extnValue of one Fulcio extension: arcs .1–.6 are the raw UTF-8 bytes (deprecated form),
 * arcs .8 and above a DER UTF8String (docs/oid-info.md). Values with control characters or over
 * EXTENSION_MAX_BYTES are refused.
 */
export function encodeFulcioExtensionValue(dotted: string, value: string): Uint8Array {
  // attacker-controlled: values are token claims
  const arc = fulcioArc(dotted);
  if (arc === undefined || arc === 7 || arc > 64) throw identityError(`unsupported Fulcio extension ${dotted}`);
  if (typeof value !== "string" || value.length === 0) throw identityError(`empty value for ${dotted}`);
  if (/[\p{Cc}\p{Cs}]/u.test(value)) throw identityError(`control character in ${dotted}`);
  const bytes = utf8(value);
  if (bytes.length > EXTENSION_MAX_BYTES) throw identityError(`value of ${dotted} too long`);
  return arc <= 6 ? bytes : tlv(T.UTF8_STRING, bytes);
}

/** The issuing CA as the encoder needs it. */
export interface IssuingCa {
  /** Subject Name DER of the issuing certificate; becomes the issuer of what it signs, byte for byte. */
  readonly subject: Uint8Array;
  /** Its SubjectKeyIdentifier; becomes the AuthorityKeyIdentifier. */
  readonly subjectKeyId: Uint8Array;
  /** Its key's curve, which fixes the signature algorithm. */
  readonly algorithm: CaKeyAlgorithm;
}

/** What varies from one leaf to the next. */
export interface LeafFields {
  /** 1–20 octets, positive, minimal (see randomSerialNumber). */
  readonly serialNumber: Uint8Array;
  /** Milliseconds since the epoch, whole seconds. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** SubjectPublicKeyInfo DER, already checked against the key policy. */
  readonly publicKey: Uint8Array;
  readonly san: SubjectAltName;
  /** Fulcio OID (dotted) → value; encoded in arc order. */
  readonly extensions: Readonly<Record<string, string>>;
}

/** One leaf's encoded parts, from which each TBS variant is concatenated. */
export interface PreparedLeaf {
  readonly fields: LeafFields;
  /** RFC 6962 §3.1 precertificate TBS: the final extensions plus the critical poison. */
  precertificateTbs(): Uint8Array;
  /** The TBS an SCT signs (RFC 6962 §3.2): the final certificate's TBS without the SCT list. */
  tbsWithoutSct(): Uint8Array;
  /** The final TBS: identical serial, dates and extensions, with the SCT list appended last. */
  finalTbs(scts: readonly Uint8Array[]): Uint8Array;
}

/** Encoder of leaves under one issuing CA. */
export interface LeafEncoder {
  readonly issuer: IssuingCa;
  /** The AlgorithmIdentifier in the TBS and around the signature. */
  readonly signatureAlgorithm: Uint8Array;
  /** Validate and encode a leaf's variable parts. Throws ERR_CA_IDENTITY_INVALID or RangeError. */
  prepare(fields: LeafFields): PreparedLeaf;
}

function checkSerial(serial: Uint8Array): void {
  if (serial.length < 1 || serial.length > 20) throw new RangeError("serial must be 1–20 octets");
  if ((serial[0]! & 0x80) !== 0) throw new RangeError("serial must be positive");
  if (serial.length > 1 && serial[0] === 0) throw new RangeError("serial must be minimal");
}

function checkValidity(notBefore: number, notAfter: number): void {
  if (!(notBefore < notAfter)) throw new RangeError("notAfter must be after notBefore");
}

function encodeSan(san: SubjectAltName): Uint8Array {
  validateSubjectAltName(san);
  const bytes = utf8(san.value);
  // GeneralName rfc822Name [1] / uniformResourceIdentifier [6], IMPLICIT IA5String (RFC 5280 §4.2.1.6).
  const name = tlv(ctx(san.kind === "email" ? 1 : 6, false), bytes);
  return ext(OID_SAN, true, seq(name));
}

/** The SignedCertificateTimestampList extension value (RFC 6962 §3.3): TLS vector of u16-prefixed SCTs. */
export function encodeSctList(scts: readonly Uint8Array[]): Uint8Array {
  if (scts.length === 0) throw new RangeError("an SCT list needs at least one SCT");
  let total = 0;
  for (const s of scts) {
    if (s.length === 0 || s.length > 0xffff) throw new RangeError("bad SCT length");
    total += 2 + s.length;
  }
  if (total > 0xffff) throw new RangeError("SCT list too long");
  const list = new Uint8Array(2 + total);
  list[0] = total >> 8;
  list[1] = total & 0xff;
  let at = 2;
  for (const s of scts) {
    list[at] = s.length >> 8;
    list[at + 1] = s.length & 0xff;
    list.set(s, at + 2);
    at += 2 + s.length;
  }
  // extnValue holds an OCTET STRING whose content is the TLS-encoded list.
  return octetString(list);
}

/** Build the leaf encoder for an issuing CA (its constant parts are encoded here, once). */
export function createLeafEncoder(issuer: IssuingCa): LeafEncoder {
  const signatureAlgorithm = SIGNATURE_ALGORITHM[issuer.algorithm];
  // version, serial goes between; then signature alg + issuer Name.
  const afterSerial = cat(signatureAlgorithm, issuer.subject);
  const constantExtensions = cat(KU_DIGITAL_SIGNATURE, BC_END_ENTITY, EKU_CODE_SIGNING);
  const akiExtension = ext(OID_AKI, false, seq(tlv(ctx(0, false), issuer.subjectKeyId)));

  return {
    issuer,
    signatureAlgorithm,
    prepare(fields) {
      checkSerial(fields.serialNumber);
      checkValidity(fields.notBefore, fields.notAfter);
      try {
        parseSpki(fields.publicKey);
      } catch (cause) {
        throw new DomainError("BAD_REQUEST", "ERR_CA_PUBLIC_KEY_INVALID", `public key is not a valid SubjectPublicKeyInfo (${(cause as Error).message})`);
      }
      const head = cat(
        VERSION_3,
        uint(fields.serialNumber),
        afterSerial,
        seq(x509Time(fields.notBefore), x509Time(fields.notAfter)),
        EMPTY_NAME,
        fields.publicKey,
      );
      const ski = ext(OID_SKI, false, octetString(subjectKeyIdentifier(fields.publicKey)));
      const oids = Object.keys(fields.extensions)
        .map((o) => ({ o, arc: fulcioArc(o) }))
        // Signet's own OIDs (no Fulcio arc) after Fulcio's.
        .sort((a, b) => (a.arc ?? 1000) - (b.arc ?? 1000));
      const fulcio = oids.map(({ o }) => identityExtension(o, fields.extensions[o]!));
      // Fulcio's order: KU, BC, EKU, SKI, AKI, SAN, then its own OIDs; CT extensions come last.
      const body = cat(constantExtensions, ski, akiExtension, encodeSan(fields.san), ...fulcio);
      const tbs = (...tail: Uint8Array[]) => seq(head, tlv(ctx(3, true), seq(body, ...tail)));
      return {
        fields,
        precertificateTbs: () => tbs(CT_POISON),
        tbsWithoutSct: () => tbs(),
        finalTbs: (scts) => tbs(ext(OID_SCT_LIST, false, encodeSctList(scts))),
      };
    },
  };
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue } (RFC 5280 §4.1). */
export function encodeCertificate(tbs: Uint8Array, signatureAlgorithm: Uint8Array, signature: Uint8Array): Uint8Array {
  return seq(tbs, signatureAlgorithm, bitString(signature));
}

/** Which CA certificate of the ceremony is being encoded. */
export type CaCertificateKind = "root" | "intermediate" | "timestamping";

/** Fields of a root, intermediate or TSA certificate. */
export interface CaCertificateFields {
  readonly kind: CaCertificateKind;
  readonly serialNumber: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
  /** Subject Name DER (encodeName). */
  readonly subject: Uint8Array;
  readonly publicKey: Uint8Array;
  /** The signer: for a root, itself (its own subject, SKI and curve). */
  readonly issuer: IssuingCa;
}

/**
 * TBS of a ceremony certificate. Root: CA, pathLen 1, keyCertSign|cRLSign. Intermediate: CA, pathLen 0,
 * keyCertSign|cRLSign, EKU codeSigning (Fulcio's profile). TSA: end entity, digitalSignature, the single
 * critical EKU timeStamping (RFC 3161 §2.3).
 */
export function encodeCaTbs(f: CaCertificateFields): Uint8Array {
  checkSerial(f.serialNumber);
  checkValidity(f.notBefore, f.notAfter);
  parseSpki(f.publicKey);
  const ski = subjectKeyIdentifier(f.publicKey);
  const exts: Uint8Array[] = [];
  switch (f.kind) {
    case "root":
      exts.push(KU_CERT_SIGN_CRL_SIGN, ext(OID_BC, true, seq(TRUE, smallInt(1))));
      break;
    case "intermediate":
      exts.push(KU_CERT_SIGN_CRL_SIGN, ext(OID_BC, true, seq(TRUE, smallInt(0))), EKU_CODE_SIGNING);
      break;
    case "timestamping":
      exts.push(KU_DIGITAL_SIGNATURE, EKU_TIME_STAMPING);
      break;
  }
  exts.push(ext(OID_SKI, false, octetString(ski)));
  if (f.kind !== "root") exts.push(ext(OID_AKI, false, seq(tlv(ctx(0, false), f.issuer.subjectKeyId))));
  return seq(
    VERSION_3,
    uint(f.serialNumber),
    SIGNATURE_ALGORITHM[f.issuer.algorithm],
    f.issuer.subject,
    seq(x509Time(f.notBefore), x509Time(f.notAfter)),
    f.subject,
    f.publicKey,
    tlv(ctx(3, true), seq(...exts)),
  );
}
