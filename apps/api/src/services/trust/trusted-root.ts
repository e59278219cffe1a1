/**
 * The instance's trust material as Sigstore clients read it: a TrustedRoot (protobuf-specs
 * sigstore_trustroot.proto, JSON mapping) with the log key, the CT log key, the CA chain and the
 * TSA chain, each with its validity. Verifiers pin this document; nothing at verify time is taken
 * from the API itself (SECURITY.md F9).
 */
import { createHash } from "node:crypto";

export interface TransparencyLogInstance {
  baseUrl: string;
  spki: Uint8Array;
  validFrom: Date;
}

export interface CertificateAuthorityInstance {
  uri: string;
  commonName: string;
  organization: string;
  /** DER certificates from the issuing certificate up to the root. */
  chain: Uint8Array[];
  validFrom: Date;
  validTo?: Date;
}

export interface TrustMaterial {
  tlogs: TransparencyLogInstance[];
  ctlogs: TransparencyLogInstance[];
  certificateAuthorities: CertificateAuthorityInstance[];
  timestampAuthorities: CertificateAuthorityInstance[];
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const iso = (d: Date) => d.toISOString();
/**
 * Validity starts are floored to the second: integrated times and SCT/TSA times are compared with
 * them, and an entry integrated in the key's first second (integratedTime has second precision)
 * must not fall before the start.
 */
const isoStart = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString();

function logInstance(l: TransparencyLogInstance) {
  return {
    baseUrl: l.baseUrl,
    hashAlgorithm: "SHA2_256",
    publicKey: { rawBytes: b64(l.spki), keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: { start: isoStart(l.validFrom) } },
    // Rekor-v1-style log: logId is SHA-256 of the SPKI; checkpointKeyId stays unset (INTEROP.md).
    logId: { keyId: createHash("sha256").update(l.spki).digest("base64") },
  };
}

function authority(a: CertificateAuthorityInstance) {
  return {
    subject: { organization: a.organization, commonName: a.commonName },
    uri: a.uri,
    certChain: { certificates: a.chain.map((c) => ({ rawBytes: b64(c) })) },
    validFor: { start: isoStart(a.validFrom), ...(a.validTo ? { end: iso(a.validTo) } : {}) },
  };
}

/** TrustedRoot JSON, media type v0.1 (accepted by sigstore-js 3.x/4.x and by @signet/crypto). */
export function buildTrustedRoot(m: TrustMaterial) {
  return {
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: m.tlogs.map(logInstance),
    certificateAuthorities: m.certificateAuthorities.map(authority),
    ctlogs: m.ctlogs.map(logInstance),
    timestampAuthorities: m.timestampAuthorities.map(authority),
  };
}
