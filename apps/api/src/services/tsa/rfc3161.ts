/**
 * An RFC 3161 Time-Stamp Authority, as Sigstore's timestamp-authority serves it (INTEROP.md §5): a
 * strict parser for TimeStampReq (DER, ≤ 1 KiB) and for the JSON request form, and TimeStampResp
 * tokens as CMS SignedData (RFC 5652 §5) over a TSTInfo, with the contentType, signingTime,
 * messageDigest and ESS signingCertificateV2 (RFC 5035) signed attributes, signed through the Signer
 * (the HSM's `tsa` key) and self-verified against the TSA certificate before they leave.
 */
import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import type { Signer } from "@signet/hsm/signer";
import {
  TAG,
  contextTag,
  derRaw,
  expectChildren,
  parseDer,
  readBoolean,
  readIntegerBytes,
  readOctetString,
  readOid,
  readSmallInteger,
  type DerNode,
} from "@signet/crypto/asn1/der";
import { OID, encodeOidContent } from "@signet/crypto/asn1/oid";
import { fromBase64 } from "@signet/crypto/encoding/base64";
import { toPem } from "@signet/crypto/pem";
import { parseCertificate, type Certificate } from "@signet/crypto/x509/certificate";
import { DomainError, type DomainKind } from "../../errors.ts";
import { randomSerialNumber } from "../ca/certificate.ts";
import { T, ctx, generalizedTime, octetString, oid, seq, setOf, smallInt, tlv, uint, utf8String, x509Time } from "../ca/der-writer.ts";

/** Sigstore's TSA policy OID (sigstore/fulcio docs/oid-info.md). */
export const SIGSTORE_TSA_POLICY = "1.3.6.1.4.1.57264.2";
/** Request caps (SECURITY.md G-S2), checked before parsing. */
export const TIMESTAMP_REQUEST_MAX_BYTES = 1024;
export const TIMESTAMP_JSON_MAX_BYTES = 1024;
/** Longest nonce echoed: 160 bits. */
export const NONCE_MAX_BYTES = 20;
/** Media types of RFC 3161 §3.4. */
export const TIMESTAMP_QUERY_TYPE = "application/timestamp-query";
export const TIMESTAMP_REPLY_TYPE = "application/timestamp-reply";

/** PKIFailureInfo bit numbers (RFC 3161 §2.4.2). */
export const FAILURE_INFO = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  systemFailure: 25,
} as const;

/** Hash algorithms accepted for the message imprint. */
export type ImprintAlgorithm = "sha256" | "sha384" | "sha512";
const IMPRINT: Record<ImprintAlgorithm, { oid: string; bytes: number }> = {
  sha256: { oid: OID.sha256, bytes: 32 },
  sha384: { oid: OID.sha384, bytes: 48 },
  sha512: { oid: OID.sha512, bytes: 64 },
};
const IMPRINT_BY_OID = new Map<string, ImprintAlgorithm>(Object.entries(IMPRINT).map(([k, v]) => [v.oid, k as ImprintAlgorithm]));

/** A validated request, from either wire form. */
export interface TimestampRequest {
  readonly hashAlgorithm: ImprintAlgorithm;
  readonly hashedMessage: Uint8Array;
  /** The request's AlgorithmIdentifier bytes, echoed as is (RFC 3161 §2.4.2: same value as the request). */
  readonly hashAlgorithmDer: Uint8Array;
  readonly reqPolicy?: string;
  /** INTEGER content octets (two's complement, minimal), echoed as is. */
  readonly nonce?: Uint8Array;
  readonly certReq: boolean;
}

/** A request the TSA refuses: carries the PKIFailureInfo bit for the rejection response. */
export class TimestampRequestError extends DomainError {
  override name = "TimestampRequestError";
  constructor(
    readonly failInfo: number,
    code: `ERR_TSA_${string}`,
    message: string,
    kind: DomainKind = "BAD_REQUEST",
  ) {
    super(kind, code, message);
  }
}

function malformed(message: string, failInfo: number = FAILURE_INFO.badDataFormat): TimestampRequestError {
  return new TimestampRequestError(failInfo, "ERR_TSA_REQUEST_MALFORMED", message);
}

/** AlgorithmIdentifier with parameters absent (RFC 5754 §2 prefers absent for SHA-2). */
function digestAlgorithmId(alg: ImprintAlgorithm): Uint8Array {
  return seq(oid(IMPRINT[alg].oid));
}

/**
 * Parse a DER TimeStampReq (RFC 3161 §2.4.1): version 1, a SHA-2 message imprint of the right length,
 * optional reqPolicy, nonce (≤ 20 octets) and certReq, in that order, and no extensions.
 * Throws TimestampRequestError (ERR_TSA_REQUEST_TOO_LARGE, _MALFORMED, _UNSUPPORTED_ALGORITHM, _EXTENSION_UNSUPPORTED).
 */
export function parseTimestampRequest(der: Uint8Array): TimestampRequest {
  // attacker-controlled: the whole request; size capped before parsing, DER parsed strictly
  if (der.length > TIMESTAMP_REQUEST_MAX_BYTES) {
    throw new TimestampRequestError(FAILURE_INFO.badRequest, "ERR_TSA_REQUEST_TOO_LARGE", `timestamp request larger than ${TIMESTAMP_REQUEST_MAX_BYTES} bytes`, "PAYLOAD_TOO_LARGE");
  }
  let fields: readonly DerNode[];
  try {
    fields = expectChildren(parseDer(der, { maxDepth: 6, maxNodes: 64 }), TAG.SEQUENCE, "TimeStampReq", 2, 6);
  } catch {
    throw malformed("timestamp request is not a DER TimeStampReq");
  }
  try {
    if (readSmallInteger(fields[0], "version") !== 1) throw malformed("TimeStampReq version must be 1", FAILURE_INFO.badRequest);
    const [algNode, hashed] = expectChildren(fields[1], TAG.SEQUENCE, "MessageImprint", 2, 2);
    const alg = expectChildren(algNode, TAG.SEQUENCE, "hashAlgorithm", 1, 2);
    const hashAlgorithm = IMPRINT_BY_OID.get(readOid(alg[0]));
    if (hashAlgorithm === undefined || (alg[1] !== undefined && alg[1].tag !== TAG.NULL)) {
      throw new TimestampRequestError(FAILURE_INFO.badAlg, "ERR_TSA_UNSUPPORTED_ALGORITHM", "message imprint must be SHA-256, SHA-384 or SHA-512");
    }
    const hashedMessage = new Uint8Array(readOctetString(hashed, "hashedMessage"));
    if (hashedMessage.length !== IMPRINT[hashAlgorithm].bytes) throw malformed("hashedMessage length does not match its algorithm");

    let i = 2;
    let reqPolicy: string | undefined;
    let nonce: Uint8Array | undefined;
    let certReq = false;
    if (fields[i]?.tag === TAG.OID) reqPolicy = readOid(fields[i++], "reqPolicy");
    if (fields[i]?.tag === TAG.INTEGER) {
      nonce = new Uint8Array(readIntegerBytes(fields[i++], "nonce"));
      if (nonce.length > NONCE_MAX_BYTES) throw malformed(`nonce longer than ${NONCE_MAX_BYTES} octets`, FAILURE_INFO.badRequest);
    }
    // certReq is BOOLEAN DEFAULT FALSE; an explicit FALSE is tolerated (it changes nothing).
    if (fields[i]?.tag === TAG.BOOLEAN) certReq = readBoolean(fields[i++], "certReq");
    if (fields[i]?.tag === contextTag(0, true)) {
      throw new TimestampRequestError(FAILURE_INFO.unacceptedExtension, "ERR_TSA_EXTENSION_UNSUPPORTED", "request extensions are not supported");
    }
    if (i !== fields.length) throw malformed("unexpected field in TimeStampReq");
    return {
      hashAlgorithm,
      hashedMessage,
      hashAlgorithmDer: new Uint8Array(derRaw(algNode!)),
      ...(reqPolicy !== undefined ? { reqPolicy } : {}),
      ...(nonce !== undefined ? { nonce } : {}),
      certReq,
    };
  } catch (e) {
    if (e instanceof TimestampRequestError) throw e;
    throw malformed("timestamp request has a malformed field");
  }
}

const JSON_KEYS = new Set(["artifactHash", "hashAlgorithm", "certificates", "nonce", "tsaPolicyOID"]);

function nonceBytes(value: unknown): Uint8Array {
  let n: bigint;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) n = BigInt(value);
  else if (typeof value === "string" && /^(0|[1-9][0-9]{0,47})$/.test(value)) n = BigInt(value);
  else throw malformed("nonce must be a non-negative integer", FAILURE_INFO.badRequest);
  const hex = n.toString(16);
  const bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
  // As an INTEGER's content: a leading 0x00 when the high bit is set.
  const content = bytes[0]! & 0x80 ? Buffer.concat([Buffer.of(0), bytes]) : bytes;
  if (content.length > NONCE_MAX_BYTES) throw malformed(`nonce longer than ${NONCE_MAX_BYTES} octets`, FAILURE_INFO.badRequest);
  return new Uint8Array(content);
}

/**
 * Parse the JSON request form of sigstore/timestamp-authority (`{artifactHash, hashAlgorithm,
 * certificates, nonce, tsaPolicyOID}`, ≤ 1 KiB). `artifactHash` is standard base64 of the digest.
 */
export function parseTimestampJsonRequest(body: string | Uint8Array): TimestampRequest {
  // attacker-controlled: size capped before decoding and JSON.parse
  if (body.length > TIMESTAMP_JSON_MAX_BYTES) {
    throw new TimestampRequestError(FAILURE_INFO.badRequest, "ERR_TSA_REQUEST_TOO_LARGE", `timestamp request larger than ${TIMESTAMP_JSON_MAX_BYTES} bytes`, "PAYLOAD_TOO_LARGE");
  }
  let o: unknown;
  try {
    o = JSON.parse(typeof body === "string" ? body : new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    throw malformed("timestamp request is not JSON");
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) throw malformed("timestamp request must be a JSON object");
  const r = o as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!JSON_KEYS.has(k)) throw malformed(`unknown field ${JSON.stringify(k.slice(0, 40))}`, FAILURE_INFO.badRequest);
  const algName = r.hashAlgorithm ?? "sha256";
  if (typeof algName !== "string" || !Object.hasOwn(IMPRINT, algName.toLowerCase())) {
    throw new TimestampRequestError(FAILURE_INFO.badAlg, "ERR_TSA_UNSUPPORTED_ALGORITHM", "hashAlgorithm must be sha256, sha384 or sha512");
  }
  const hashAlgorithm = algName.toLowerCase() as ImprintAlgorithm;
  let hashedMessage: Uint8Array;
  try {
    if (typeof r.artifactHash !== "string") throw new Error("missing");
    hashedMessage = fromBase64(r.artifactHash);
  } catch {
    throw malformed("artifactHash must be standard base64");
  }
  if (hashedMessage.length !== IMPRINT[hashAlgorithm].bytes) throw malformed("artifactHash length does not match hashAlgorithm");
  if (r.certificates !== undefined && typeof r.certificates !== "boolean") throw malformed("certificates must be a boolean", FAILURE_INFO.badRequest);
  let reqPolicy: string | undefined;
  if (r.tsaPolicyOID !== undefined) {
    try {
      if (typeof r.tsaPolicyOID !== "string" || r.tsaPolicyOID.length > 128) throw new Error("bad");
      encodeOidContent(r.tsaPolicyOID);
      reqPolicy = r.tsaPolicyOID;
    } catch {
      throw malformed("tsaPolicyOID must be a dotted OID", FAILURE_INFO.badRequest);
    }
  }
  return {
    hashAlgorithm,
    hashedMessage,
    hashAlgorithmDer: digestAlgorithmId(hashAlgorithm),
    ...(reqPolicy !== undefined ? { reqPolicy } : {}),
    ...(r.nonce !== undefined && r.nonce !== null ? { nonce: nonceBytes(r.nonce) } : {}),
    certReq: r.certificates === true,
  };
}

/** PKIFailureInfo as a DER named BIT STRING with one bit set (trailing zero bits dropped, X.690 §11.2.2). */
function failureBits(bit: number): Uint8Array {
  const bytes = new Uint8Array(Math.floor(bit / 8) + 1);
  bytes[bytes.length - 1] = 0x80 >> bit % 8;
  return tlv(T.BIT_STRING, Uint8Array.of(7 - (bit % 8)), bytes);
}

/** A TimeStampResp with status rejection (RFC 3161 §2.4.2), a reason text and one failure bit. */
export function encodeRejection(failInfo: number, text: string): Uint8Array {
  return seq(seq(smallInt(2), seq(utf8String(text.slice(0, 200))), failureBits(failInfo)));
}

export interface TimestampAuthorityOptions {
  /** The TSA key (HSM label `tsa`). */
  signer: Signer;
  /** DER: the TSA signing certificate first, then its chain (e.g. the root). */
  certificates: readonly Uint8Array[];
  clock?: () => number;
  /** Policies this TSA issues under; the first is used when a request names none (default Sigstore's). */
  policies?: readonly string[];
}

export interface TimestampAuthority {
  /** A granted TimeStampResp (DER) for a validated request; throws TimestampRequestError or UNAVAILABLE DomainError. */
  timestamp(request: TimestampRequest): Promise<Uint8Array>;
  /**
   * The HTTP handler body: parse by media type, then answer 200 with a granted TimeStampResp, or the
   * request's 4xx status with a *rejection* TimeStampResp (Sigstore's TSA answers bad requests with 400).
   * Throws DomainError UNSUPPORTED_MEDIA_TYPE (415) and UNAVAILABLE (503, HSM down).
   */
  handle(body: Uint8Array, contentType: string): Promise<{ status: number; contentType: string; body: Uint8Array }>;
  /** The chain as PEM (`GET /api/v1/timestamp/certchain`, `application/pem-certificate-chain`). */
  readonly certChainPem: string;
  readonly signingCertificate: Certificate;
}

const HASH = { "P-256": "sha256", "P-384": "sha384" } as const;
const SIG_ALG = { "P-256": seq(oid(OID.ecdsaWithSha256)), "P-384": seq(oid(OID.ecdsaWithSha384)) } as const;

/** Create the TSA. Checks that the signing certificate is a timeStamping end entity for the signer's curve. */
export function createTimestampAuthority(options: TimestampAuthorityOptions): TimestampAuthority {
  const [leafDer] = options.certificates;
  if (leafDer === undefined) throw new Error("the TSA needs its signing certificate");
  const leaf = parseCertificate(leafDer);
  const eku = leaf.extensions.find((e) => e.oid === OID.extKeyUsage);
  if (!eku?.critical || leaf.extKeyUsage?.length !== 1 || leaf.extKeyUsage[0] !== OID.ekuTimeStamping) {
    throw new Error("the TSA certificate must carry the single critical EKU timeStamping (RFC 3161 §2.3)");
  }
  if (leaf.publicKey.kind !== "ecdsa" || leaf.publicKey.curve !== options.signer.algorithm) throw new Error("the TSA certificate is not for the signer's key");
  const pinned: KeyObject = createPublicKey({ key: Buffer.from(leaf.publicKey.spki), format: "der", type: "spki" });
  const policies = options.policies ?? [SIGSTORE_TSA_POLICY];
  if (policies.length === 0) throw new Error("the TSA needs at least one policy");
  policies.forEach((p) => encodeOidContent(p));
  const clock = options.clock ?? Date.now;
  const hash = HASH[options.signer.algorithm];
  const digestAlg = digestAlgorithmId(hash);
  const sigAlg = SIG_ALG[options.signer.algorithm];
  const certificateSet = tlv(ctx(0, true), ...[...options.certificates].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  // IssuerAndSerialNumber (RFC 5652 §10.2.4) and ESS IssuerSerial (RFC 5035 §4): how verifiers find the cert.
  const serial = tlv(T.INTEGER, leaf.serialNumber);
  const issuerAndSerial = seq(leaf.issuer, serial);
  const essCertId = seq(octetString(createHash("sha256").update(leafDer).digest()), seq(seq(tlv(ctx(4, true), leaf.issuer)), serial));
  const signingCertificateAttr = seq(oid(OID.signingCertificateV2), setOf([seq(seq(essCertId))]));
  const contentTypeAttr = seq(oid(OID.contentType), setOf([oid(OID.tstInfo)]));
  const chainPem = options.certificates.map((c) => toPem(c, "CERTIFICATE")).join("");

  async function timestamp(request: TimestampRequest): Promise<Uint8Array> {
    const policy = request.reqPolicy ?? policies[0]!;
    if (!policies.includes(policy)) {
      throw new TimestampRequestError(FAILURE_INFO.unacceptedPolicy, "ERR_TSA_POLICY_UNSUPPORTED", "the requested policy is not one this TSA issues under");
    }
    const genTime = Math.floor(clock() / 1000) * 1000;
    if (genTime < leaf.notBefore || genTime > leaf.notAfter) {
      throw new DomainError("UNAVAILABLE", "ERR_TSA_CERT_NOT_VALID", "the TSA certificate is not valid now; rotate it");
    }
    const tstInfo = seq(
      smallInt(1),
      oid(policy),
      seq(request.hashAlgorithmDer, octetString(request.hashedMessage)),
      uint(randomSerialNumber()),
      generalizedTime(genTime),
      seq(smallInt(1)), // accuracy: one second
      ...(request.nonce !== undefined ? [tlv(T.INTEGER, request.nonce)] : []),
    );
    const attrs = [
      contentTypeAttr,
      seq(oid(OID.signingTime), setOf([x509Time(genTime)])),
      seq(oid(OID.messageDigest), setOf([octetString(createHash(hash).update(tstInfo).digest())])),
      signingCertificateAttr,
    ];
    // The signature covers the attributes encoded as a DER SET OF (RFC 5652 §5.4); the SignerInfo carries
    // the same content under [0] IMPLICIT.
    const signedAttrsSet = setOf(attrs);
    let signature: Uint8Array;
    try {
      signature = await options.signer.sign(signedAttrsSet);
    } catch {
      throw new DomainError("UNAVAILABLE", "ERR_TSA_SIGNER_UNAVAILABLE", "the TSA signing key is unavailable", 5);
    }
    if (!verify(hash, signedAttrsSet, { key: pinned, dsaEncoding: "der" }, signature)) {
      throw new DomainError("UNAVAILABLE", "ERR_TSA_SIGNATURE_SELF_CHECK_FAILED", "the TSA signature does not verify under the TSA certificate", 5);
    }
    const signedAttrs = Uint8Array.from(signedAttrsSet);
    signedAttrs[0] = ctx(0, true);
    const signerInfo = seq(smallInt(1), issuerAndSerial, digestAlg, signedAttrs, sigAlg, octetString(signature));
    const signedData = seq(
      smallInt(3),
      setOf([digestAlg]),
      seq(oid(OID.tstInfo), tlv(ctx(0, true), octetString(tstInfo))),
      ...(request.certReq ? [certificateSet] : []),
      setOf([signerInfo]),
    );
    const token = seq(oid(OID.signedData), tlv(ctx(0, true), signedData));
    return seq(seq(smallInt(0)), token);
  }

  return {
    timestamp,
    certChainPem: chainPem,
    signingCertificate: leaf,
    async handle(body, contentType) {
      const mediaType = (contentType.split(";")[0] ?? "").trim().toLowerCase();
      try {
        let request: TimestampRequest;
        if (mediaType === TIMESTAMP_QUERY_TYPE) request = parseTimestampRequest(body);
        else if (mediaType === "application/json") request = parseTimestampJsonRequest(body);
        else throw new DomainError("UNSUPPORTED_MEDIA_TYPE", "ERR_TSA_MEDIA_TYPE", `use ${TIMESTAMP_QUERY_TYPE} or application/json`);
        return { status: 200, contentType: TIMESTAMP_REPLY_TYPE, body: await timestamp(request) };
      } catch (e) {
        if (e instanceof TimestampRequestError) return { status: e.status, contentType: TIMESTAMP_REPLY_TYPE, body: encodeRejection(e.failInfo, e.message) };
        throw e;
      }
    },
  };
}
