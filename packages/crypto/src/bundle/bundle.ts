/**
 * The Sigstore bundle (sigstore/protobuf-specs protos/sigstore_bundle.proto),
 * v0.1–v0.3, as parsed values. Nothing in a bundle is trusted until verified:
 * hence the `Unverified` prefix on the types a verifier consumes.
 */
import type { Bytes } from "../encoding/bytes.ts";
import type { HashName } from "../digest.ts";

/** Media type Signet emits (INTEROP.md §6). */
export const BUNDLE_MEDIA_TYPE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json";

/** Accepted media types and the version each denotes. */
export const BUNDLE_MEDIA_TYPES: Readonly<Record<string, BundleVersion>> = {
  "application/vnd.dev.sigstore.bundle+json;version=0.1": "0.1",
  "application/vnd.dev.sigstore.bundle+json;version=0.2": "0.2",
  "application/vnd.dev.sigstore.bundle+json;version=0.3": "0.3",
  [BUNDLE_MEDIA_TYPE_V03]: "0.3",
};

/** Hard caps checked before any crypto (SECURITY.md D12). */
export const BUNDLE_LIMITS = {
  maxBytes: 16 * 1024 * 1024,
  tlogEntries: 32,
  timestamps: 32,
  certificates: 32,
  proofHashes: 64,
  dsseSignatures: 32,
  checkpointBytes: 64 * 1024,
} as const;

/** Bundle format version. */
export type BundleVersion = "0.1" | "0.2" | "0.3";

/** protobuf-specs HashAlgorithm names we accept, mapped to WebCrypto names. */
export const HASH_ALGORITHMS: Readonly<Record<string, HashName>> = { SHA2_256: "SHA-256", SHA2_384: "SHA-384", SHA2_512: "SHA-512" };

/** What identifies the signer. */
export type UnverifiedKeyMaterial =
  | { readonly kind: "certificate"; readonly certificate: Bytes }
  | { readonly kind: "x509CertificateChain"; readonly certificates: readonly Bytes[] }
  | { readonly kind: "publicKey"; readonly hint: string };

/** InclusionProof (sigstore_rekor.proto); `checkpoint` is the signed-note envelope text. */
export interface UnverifiedInclusionProof {
  readonly logIndex: bigint;
  readonly rootHash: Bytes;
  readonly treeSize: bigint;
  readonly hashes: readonly Bytes[];
  readonly checkpoint: string | undefined;
}

/** TransparencyLogEntry (sigstore_rekor.proto). */
export interface UnverifiedTlogEntry {
  readonly logIndex: bigint;
  readonly logId: Bytes;
  readonly kindVersion: { readonly kind: string; readonly version: string };
  /** Seconds since the epoch; 0 when absent (Rekor v2). */
  readonly integratedTime: bigint;
  readonly inclusionPromise: { readonly signedEntryTimestamp: Bytes } | undefined;
  readonly inclusionProof: UnverifiedInclusionProof | undefined;
  readonly canonicalizedBody: Bytes;
}

/** A DSSE envelope (secure-systems-lab/dsse envelope.md). */
export interface DsseEnvelope {
  readonly payload: Bytes;
  readonly payloadType: string;
  readonly signatures: readonly { readonly sig: Bytes; readonly keyid: string }[];
}

/** What was signed. */
export type UnverifiedBundleContent =
  | {
      readonly kind: "messageSignature";
      readonly messageDigest: { readonly algorithm: HashName; readonly digest: Bytes } | undefined;
      readonly signature: Bytes;
    }
  | { readonly kind: "dsseEnvelope"; readonly envelope: DsseEnvelope };

/** A parsed bundle. */
export interface UnverifiedBundle {
  readonly kind: "sigstore-bundle";
  readonly mediaType: string;
  readonly version: BundleVersion;
  readonly key: UnverifiedKeyMaterial;
  readonly tlogEntries: readonly UnverifiedTlogEntry[];
  /** DER TimeStampResp values (RFC 3161 §2.4.2), still undecoded. */
  readonly rfc3161Timestamps: readonly Bytes[];
  readonly content: UnverifiedBundleContent;
}

/** The bytes that were signed: what RFC 3161 timestamps and log bodies bind to. */
export function signatureBytes(bundle: UnverifiedBundle): Bytes {
  return bundle.content.kind === "messageSignature" ? bundle.content.signature : bundle.content.envelope.signatures[0]!.sig;
}
