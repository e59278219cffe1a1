/**
 * RFC 3161 timestamps as Sigstore uses them (INTEROP.md §5): a DER
 * TimeStampResp whose token countersigns the bundle's signature bytes.
 * Only the trusted root's TSA chains are trusted; certificates embedded in
 * the token are ignored (SECURITY.md F8).
 */
import { SignetCryptoError } from "../errors.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { bytesEqual, concatBytes, toBytes } from "../encoding/bytes.ts";
import {
  TAG,
  contextTag,
  derContent,
  derRaw,
  expectChildren,
  expectTag,
  parseDer,
  readIntegerBytes,
  readOctetString,
  readOid,
  readSmallInteger,
  readTime,
  type DerNode,
} from "../asn1/der.ts";
import { OID } from "../asn1/oid.ts";
import { digestSync, type HashName } from "../digest.ts";
import { isValidSignature, type SignatureAlgorithm } from "../keys.ts";
import { parseDigestAlgorithm, parseSignatureAlgorithm } from "../x509/certificate.ts";
import { verifyCertificateChain } from "../x509/chain.ts";
import { isWithin } from "../trust/time-range.ts";
import type { CertificateAuthority } from "../trust/trusted-root.ts";

/** Cap on a TimeStampResp (a token with a few embedded certificates is ~5 KB). */
export const TIMESTAMP_MAX_BYTES = 64 * 1024;

/** The signer identifier of a SignerInfo (RFC 5652 §5.3). */
export type SignerId = { readonly kind: "issuerSerial"; readonly issuer: Bytes; readonly serialNumber: Bytes } | { readonly kind: "subjectKeyId"; readonly keyId: Bytes };

/** A parsed, unverified timestamp token. */
export interface UnverifiedTimestamp {
  readonly status: number;
  /** TSTInfo (RFC 3161 §2.4.2). */
  readonly policy: string;
  readonly messageImprint: { readonly algorithm: HashName; readonly digest: Bytes };
  readonly serialNumber: Bytes;
  /** genTime in milliseconds since the epoch. */
  readonly genTime: number;
  readonly nonce: Bytes | undefined;
  /** DER of TSTInfo (the encapsulated content). */
  readonly tstInfo: Bytes;
  /** SignerInfo (RFC 5652 §5.3). */
  readonly signerId: SignerId;
  readonly digestAlgorithm: HashName;
  readonly signedAttributes: Bytes;
  readonly contentTypeAttr: string;
  readonly messageDigestAttr: Bytes;
  readonly signingCertificateV2Hash: { readonly algorithm: HashName; readonly hash: Bytes } | undefined;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly signature: Bytes;
  readonly embeddedCertificateCount: number;
}

function malformed(message: string, cause?: unknown): SignetCryptoError {
  return new SignetCryptoError("ERR_TIMESTAMP_MALFORMED", message, cause === undefined ? undefined : { cause });
}

function parseSignerId(node: DerNode | undefined): SignerId {
  if (node?.tag === TAG.SEQUENCE) {
    const [issuer, serial] = expectChildren(node, TAG.SEQUENCE, "IssuerAndSerialNumber", 2, 2);
    return { kind: "issuerSerial", issuer: toBytes(derRaw(expectTag(issuer, TAG.SEQUENCE, "issuer"))), serialNumber: toBytes(readIntegerBytes(serial)) };
  }
  if (node?.tag === contextTag(0, false)) return { kind: "subjectKeyId", keyId: toBytes(derContent(node)) };
  throw malformed("bad SignerIdentifier");
}

function cmsSignatureAlgorithm(node: DerNode | undefined, digest: HashName): SignatureAlgorithm {
  // CMS signers often name the key type and take the hash from digestAlgorithm (RFC 5754 §3).
  const oid = readOid(expectChildren(node, TAG.SEQUENCE, "signatureAlgorithm", 1, 2)[0]);
  if (oid === OID.ecPublicKey) return { kind: "ecdsa", hash: digest };
  if (oid === OID.rsaEncryption) return { kind: "rsa-pkcs1", hash: digest };
  return parseSignatureAlgorithm(node);
}

/**
 * Parse a DER TimeStampResp (RFC 3161 §2.4.2) whose token is CMS SignedData
 * (RFC 5652 §5) over a TSTInfo. Throws ERR_TIMESTAMP_MALFORMED.
 */
export function parseTimestampResponse(der: Uint8Array): UnverifiedTimestamp {
  // attacker-controlled: size capped, strict DER with depth caps, every field checked
  if (der.length > TIMESTAMP_MAX_BYTES) throw malformed("timestamp response too large");
  try {
    return parseResponse(parseDer(der));
  } catch (e) {
    if (e instanceof SignetCryptoError && (e.code === "ERR_TIMESTAMP_MALFORMED" || e.code === "ERR_ALGORITHM_UNSUPPORTED")) throw e;
    throw malformed("malformed timestamp response", e);
  }
}

function parseResponse(root: DerNode): UnverifiedTimestamp {
  const [statusInfo, token] = expectChildren(root, TAG.SEQUENCE, "TimeStampResp", 1, 2);
  const status = readSmallInteger(expectChildren(statusInfo, TAG.SEQUENCE, "PKIStatusInfo", 1, 3)[0], "status");
  if (token === undefined) throw malformed(`no timeStampToken (status ${status})`);
  const [contentType, wrapped] = expectChildren(token, TAG.SEQUENCE, "ContentInfo", 2, 2);
  if (readOid(contentType) !== OID.signedData) throw malformed("token is not CMS SignedData");
  const signedData = expectChildren(expectChildren(wrapped, contextTag(0, true), "content", 1, 1)[0], TAG.SEQUENCE, "SignedData", 4, 6);
  let i = 0;
  readSmallInteger(signedData[i++], "SignedData version");
  expectTag(signedData[i++], TAG.SET, "digestAlgorithms");
  const [eContentType, eContentWrapped] = expectChildren(signedData[i++], TAG.SEQUENCE, "encapContentInfo", 2, 2);
  if (readOid(eContentType) !== OID.tstInfo) throw malformed("encapsulated content is not TSTInfo");
  const tstInfoNode = expectChildren(eContentWrapped, contextTag(0, true), "eContent", 1, 1)[0];
  const tstInfo = toBytes(readOctetString(tstInfoNode, "eContent"));
  let embeddedCertificateCount = 0;
  if (signedData[i]?.tag === contextTag(0, true)) embeddedCertificateCount = signedData[i++]!.children.length;
  if (signedData[i]?.tag === contextTag(1, true)) i++;
  const signerInfos = expectTag(signedData[i++], TAG.SET, "signerInfos").children;
  if (i !== signedData.length) throw malformed("unexpected field in SignedData");
  if (signerInfos.length !== 1) throw malformed("timestamp token must have exactly one SignerInfo");

  const si = expectChildren(signerInfos[0], TAG.SEQUENCE, "SignerInfo", 5, 7);
  let k = 0;
  readSmallInteger(si[k++], "SignerInfo version");
  const signerId = parseSignerId(si[k++]);
  const digestAlgorithm = parseDigestAlgorithm(si[k++]);
  const attrsNode = expectTag(si[k++], contextTag(0, true), "signedAttrs (required for TSTInfo)");
  const signatureAlgorithm = cmsSignatureAlgorithm(si[k++], digestAlgorithm);
  const signature = toBytes(readOctetString(si[k++], "signature"));
  if (si[k] !== undefined && si[k]!.tag !== contextTag(1, true)) throw malformed("unexpected field in SignerInfo");

  let contentTypeAttr: string | undefined;
  let messageDigestAttr: Bytes | undefined;
  let signingCertificateV2Hash: UnverifiedTimestamp["signingCertificateV2Hash"];
  for (const attr of attrsNode.children) {
    const [type, values] = expectChildren(attr, TAG.SEQUENCE, "Attribute", 2, 2);
    const oid = readOid(type);
    const vals = expectTag(values, TAG.SET, "attrValues").children;
    const once = () => {
      if (vals.length !== 1) throw malformed(`attribute ${oid} must have one value`);
      return vals[0]!;
    };
    if (oid === OID.contentType) {
      if (contentTypeAttr !== undefined) throw malformed("duplicate contentType attribute");
      contentTypeAttr = readOid(once());
    } else if (oid === OID.messageDigest) {
      if (messageDigestAttr !== undefined) throw malformed("duplicate messageDigest attribute");
      messageDigestAttr = toBytes(readOctetString(once()));
    } else if (oid === OID.signingCertificateV2) {
      // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, ... } (RFC 5035 §3)
      const certs = expectTag(expectTag(once(), TAG.SEQUENCE, "SigningCertificateV2").children[0], TAG.SEQUENCE, "certs").children;
      const first = expectTag(certs[0], TAG.SEQUENCE, "ESSCertIDv2").children;
      let algorithm: HashName = "SHA-256";
      let f = 0;
      if (first[f]?.tag === TAG.SEQUENCE) algorithm = parseDigestAlgorithm(first[f++]);
      signingCertificateV2Hash = { algorithm, hash: toBytes(readOctetString(first[f], "certHash")) };
    }
  }
  if (contentTypeAttr === undefined || messageDigestAttr === undefined) throw malformed("contentType and messageDigest attributes are required");
  // The signature covers the attributes re-tagged as SET OF (RFC 5652 §5.4).
  const signedAttributes = concatBytes(Uint8Array.of(TAG.SET), derRaw(attrsNode).subarray(1));

  const tst = expectChildren(parseDer(tstInfo), TAG.SEQUENCE, "TSTInfo", 5, 10);
  if (readSmallInteger(tst[0], "TSTInfo version") !== 1) throw malformed("TSTInfo version must be 1");
  const policy = readOid(tst[1], "policy");
  const [imprintAlg, hashed] = expectChildren(tst[2], TAG.SEQUENCE, "MessageImprint", 2, 2);
  const messageImprint = { algorithm: parseDigestAlgorithm(imprintAlg), digest: toBytes(readOctetString(hashed, "hashedMessage")) };
  const serialNumber = toBytes(readIntegerBytes(tst[3], "serialNumber"));
  const genTime = readTime(expectTag(tst[4], TAG.GENERALIZED_TIME, "genTime"), "genTime");
  let nonce: Bytes | undefined;
  for (const f of tst.slice(5)) if (f.tag === TAG.INTEGER) nonce = toBytes(readIntegerBytes(f, "nonce"));

  return {
    status,
    policy,
    messageImprint,
    serialNumber,
    genTime,
    nonce,
    tstInfo,
    signerId,
    digestAlgorithm,
    signedAttributes,
    contentTypeAttr,
    messageDigestAttr,
    signingCertificateV2Hash,
    signatureAlgorithm,
    signature,
    embeddedCertificateCount,
  };
}

/** A timestamp whose token verified against a trusted TSA. */
export interface VerifiedTimestamp {
  readonly genTime: number;
  readonly authority: CertificateAuthority;
}

function fail(message: string): never {
  throw new SignetCryptoError("ERR_TIMESTAMP_INVALID", message);
}

/**
 * Verify a timestamp over `data` (the bundle's signature bytes) against the
 * trusted TSAs (RFC 3161 §2.4.2, RFC 5652 §5.4/§5.6, INTEROP.md §5):
 * status granted, message imprint = hash(data), contentType/messageDigest
 * attributes, the SignerInfo names the TSA's signing certificate (its chain's
 * first certificate), the chain validates at genTime with a critical
 * timeStamping EKU, genTime is inside the TSA's validFor, and the signature
 * verifies. Throws ERR_TIMESTAMP_INVALID or ERR_TIMESTAMP_UNTRUSTED.
 */
export async function verifyTimestamp(
  token: UnverifiedTimestamp,
  data: Uint8Array,
  authorities: readonly CertificateAuthority[],
): Promise<VerifiedTimestamp> {
  if (token.status !== 0 && token.status !== 1) fail(`timestamp status ${token.status} is not granted`);
  if (token.contentTypeAttr !== OID.tstInfo) fail("contentType attribute is not TSTInfo");
  if (!bytesEqual(digestSync(token.messageImprint.algorithm, data), token.messageImprint.digest)) fail("message imprint does not match the signature");
  if (!bytesEqual(digestSync(token.digestAlgorithm, token.tstInfo), token.messageDigestAttr)) fail("messageDigest attribute does not match TSTInfo");

  const candidates = authorities.filter((a) => {
    const leaf = a.certChain[0];
    if (leaf === undefined || !isWithin(a.validFor, token.genTime)) return false;
    const sid = token.signerId;
    return sid.kind === "issuerSerial"
      ? bytesEqual(leaf.issuer, sid.issuer) && bytesEqual(leaf.serialNumber, sid.serialNumber)
      : leaf.subjectKeyId !== undefined && bytesEqual(leaf.subjectKeyId, sid.keyId);
  });
  if (candidates.length === 0) throw new SignetCryptoError("ERR_TIMESTAMP_UNTRUSTED", "no trusted TSA matches the token's signer at its genTime");

  let lastError: unknown;
  for (const authority of candidates) {
    const leaf = authority.certChain[0]!;
    try {
      if (token.signingCertificateV2Hash !== undefined) {
        const { algorithm, hash } = token.signingCertificateV2Hash;
        if (!bytesEqual(digestSync(algorithm, leaf.der), hash)) fail("ESS signingCertificateV2 names another certificate");
      }
      await verifyCertificateChain({
        leaf,
        authorities: [authority],
        times: [token.genTime],
        requiredEku: OID.ekuTimeStamping,
        ekuMustBeCritical: true,
      });
      if (!(await isValidSignature(leaf.publicKey, token.signatureAlgorithm, token.signedAttributes, token.signature))) fail("timestamp signature does not verify");
      return { genTime: token.genTime, authority };
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}
