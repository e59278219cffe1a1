/**
 * Assemble a Sigstore bundle v0.3 (sigstore/protobuf-specs sigstore_bundle.proto;
 * INTEROP.md §6 and "What @sigstore/verify checks byte for byte") from the
 * pieces the signing flow gathered. The key material is the leaf certificate
 * alone: never the chain, never a root (SECURITY.md B8).
 */
import {
  BUNDLE_MEDIA_TYPE_V03,
  INTOTO_PAYLOAD_TYPE,
  isSelfIssued,
  parseCertificate,
  preAuthEncoding,
  toBase64,
  toBundleJson,
  type Bytes,
  type DsseEnvelope,
  type UnverifiedBundle,
  type UnverifiedTlogEntry,
} from "@signet/crypto";
import { SignError } from "./errors.ts";

/** The parts common to both bundle kinds. */
export interface BundleParts {
  /** DER of the leaf certificate. */
  readonly certificate: Bytes;
  readonly tlogEntries: readonly UnverifiedTlogEntry[];
  /** DER TimeStampResp values (RFC 3161 §2.4.2). */
  readonly rfc3161Timestamps: readonly Bytes[];
}

function keyMaterial(certificate: Bytes): UnverifiedBundle["key"] {
  // A root in a bundle is rejected by every verifier (conformance bundle-with-root-cert_fail).
  if (isSelfIssued(parseCertificate(certificate))) throw new SignError("ERR_SIGN_CERT_UNTRUSTED", "refusing to put a self-issued (root) certificate in a bundle");
  return { kind: "certificate", certificate };
}

/** A v0.3 bundle of the certificate, log entries and timestamps around one signed content. */
function bundleV03(parts: BundleParts, content: UnverifiedBundle["content"]): UnverifiedBundle {
  return {
    kind: "sigstore-bundle",
    mediaType: BUNDLE_MEDIA_TYPE_V03,
    version: "0.3",
    key: keyMaterial(parts.certificate),
    tlogEntries: [...parts.tlogEntries],
    rfc3161Timestamps: [...parts.rfc3161Timestamps],
    content,
  };
}

/** A message-signature bundle: SHA-256 of the artifact and the DER ECDSA signature over it. */
export function createMessageSignatureBundle(parts: BundleParts & { readonly digest: Bytes; readonly signature: Bytes }): UnverifiedBundle {
  if (parts.digest.length !== 32) throw new SignError("ERR_SIGN_RESPONSE_MALFORMED", "the message digest must be a SHA-256 digest");
  return bundleV03(parts, { kind: "messageSignature", messageDigest: { algorithm: "SHA-256", digest: parts.digest }, signature: parts.signature });
}

/** A DSSE bundle: one envelope with one signature (keyid empty, as sigstore clients write it). */
export function createDsseBundle(parts: BundleParts & { readonly envelope: DsseEnvelope }): UnverifiedBundle {
  if (parts.envelope.signatures.length !== 1) throw new SignError("ERR_SIGN_RESPONSE_MALFORMED", "a keyless DSSE bundle carries exactly one signature");
  return bundleV03(parts, { kind: "dsseEnvelope", envelope: parts.envelope });
}

/** The bytes a DSSE signature covers: PAE(payloadType, payload) (secure-systems-lab/dsse protocol.md). */
export function dsseSigningInput(payload: Uint8Array, payloadType = INTOTO_PAYLOAD_TYPE): Bytes {
  return preAuthEncoding(payloadType, payload);
}

/**
 * The envelope JSON text as submitted to Rekor's dsse 0.0.1 (the log hashes
 * this exact text). Field order matches what sigstore clients send.
 */
export function toEnvelopeJson(envelope: DsseEnvelope): string {
  return JSON.stringify({
    payload: toBase64(envelope.payload),
    payloadType: envelope.payloadType,
    signatures: envelope.signatures.map((s) => ({ keyid: s.keyid, sig: toBase64(s.sig) })),
  });
}

/** The bundle as `.sigstore.json` text: protobuf-JSON (int64 as strings, standard base64), two-space indented, final newline. */
export function toBundleText(bundle: UnverifiedBundle): string {
  return `${JSON.stringify(toBundleJson(bundle), null, 2)}\n`;
}
