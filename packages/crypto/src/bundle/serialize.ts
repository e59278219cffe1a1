/**
 * Serialise a bundle back to protobuf-JSON (sigstore_bundle.proto), the
 * inverse of parseBundle: int64 as strings, bytes as standard base64.
 */
import { toBase64 } from "../encoding/base64.ts";
import type { UnverifiedBundle, UnverifiedTlogEntry } from "./bundle.ts";

const HASH_NAMES = { "SHA-256": "SHA2_256", "SHA-384": "SHA2_384", "SHA-512": "SHA2_512" } as const;

function entryToJson(e: UnverifiedTlogEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {
    logIndex: e.logIndex.toString(),
    logId: { keyId: toBase64(e.logId) },
    kindVersion: { kind: e.kindVersion.kind, version: e.kindVersion.version },
    integratedTime: e.integratedTime.toString(),
  };
  if (e.inclusionPromise !== undefined) out.inclusionPromise = { signedEntryTimestamp: toBase64(e.inclusionPromise.signedEntryTimestamp) };
  if (e.inclusionProof !== undefined) {
    const p = e.inclusionProof;
    out.inclusionProof = {
      logIndex: p.logIndex.toString(),
      rootHash: toBase64(p.rootHash),
      treeSize: p.treeSize.toString(),
      hashes: p.hashes.map(toBase64),
      ...(p.checkpoint === undefined ? {} : { checkpoint: { envelope: p.checkpoint } }),
    };
  }
  out.canonicalizedBody = toBase64(e.canonicalizedBody);
  return out;
}

/** The protobuf-JSON value of a bundle (JSON.stringify it to write a `.sigstore.json`). */
export function toBundleJson(bundle: UnverifiedBundle): Record<string, unknown> {
  const vm: Record<string, unknown> = {};
  switch (bundle.key.kind) {
    case "certificate":
      vm.certificate = { rawBytes: toBase64(bundle.key.certificate) };
      break;
    case "x509CertificateChain":
      vm.x509CertificateChain = { certificates: bundle.key.certificates.map((c) => ({ rawBytes: toBase64(c) })) };
      break;
    case "publicKey":
      vm.publicKey = { hint: bundle.key.hint };
      break;
  }
  vm.tlogEntries = bundle.tlogEntries.map(entryToJson);
  if (bundle.rfc3161Timestamps.length > 0) {
    vm.timestampVerificationData = { rfc3161Timestamps: bundle.rfc3161Timestamps.map((t) => ({ signedTimestamp: toBase64(t) })) };
  }
  const out: Record<string, unknown> = { mediaType: bundle.mediaType, verificationMaterial: vm };
  if (bundle.content.kind === "messageSignature") {
    const c = bundle.content;
    out.messageSignature = {
      ...(c.messageDigest === undefined ? {} : { messageDigest: { algorithm: HASH_NAMES[c.messageDigest.algorithm], digest: toBase64(c.messageDigest.digest) } }),
      signature: toBase64(c.signature),
    };
  } else {
    const env = bundle.content.envelope;
    out.dsseEnvelope = {
      payload: toBase64(env.payload),
      payloadType: env.payloadType,
      signatures: env.signatures.map((s) => ({ sig: toBase64(s.sig), keyid: s.keyid })),
    };
  }
  return out;
}
