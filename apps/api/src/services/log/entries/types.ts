/**
 * Shapes shared by the log's entry kinds: what a validated submission becomes (PreparedEntry, handed
 * to the sequencer) and what a stored canonical body decodes to (StoredBody, for reads and search).
 */

/**
 * The (kind, apiVersion) pairs the log engine stores: Rekor kinds for the transparency log (INTEROP.md
 * §2, §3), and RFC 6962 precertificate leaves for the CT log (a second origin of the same engine).
 */
export type EntryKind = "hashedrekord" | "dsse" | "precert";
export type EntryApiVersion = "0.0.1" | "0.0.2" | "rfc6962";

/** Columns the log indexes for search (DESIGN.md "The log"). */
export interface SearchColumns {
  /** `<algorithm>:<lower-case hex>`, e.g. "sha256:…". For DSSE: the in-toto subject, else the payload hash. */
  artifactDigest?: string;
  /** Certificate SAN (URI first, then email), as sigstore-js `getSigner` reads it. Absent for bare keys. */
  identity?: string;
  /** OIDC issuer from Fulcio OID 1.3.6.1.4.1.57264.1.8 (falling back to .1.1). Absent for bare keys. */
  issuer?: string;
  /** SHA-256 hex of the certificate DER, or of the SPKI DER for a bare key. */
  certFingerprint?: string;
}

/** A submission that passed validation and signature verification, in the form the log stores. */
export interface PreparedEntry {
  kind: EntryKind;
  apiVersion: EntryApiVersion;
  /** The canonical body (RFC 8785 JSON) exactly as it is hashed into the leaf and stored. */
  body: Buffer;
  /** SHA-256(0x00 ‖ body) (RFC 6962 §2.1 leaf hash); hex of it is Rekor's entry UUID. */
  leafHash: Buffer;
  search: SearchColumns;
}

/** Who signed: a certificate (DER) or a bare public key (SPKI DER). */
export type EntryVerifier = { kind: "certificate"; der: Buffer } | { kind: "publicKey"; spki: Buffer };

/** Rekor v1 digest names (hashedrekord 0.0.1 `spec.data.hash.algorithm`). */
export type RekorV1HashName = "sha256" | "sha384" | "sha512";
/** Protobuf-specs HashAlgorithm names (hashedrekord 0.0.2 `data.algorithm`). */
export type ProtoHashName = "SHA2_256" | "SHA2_384" | "SHA2_512";

/** A decoded canonical body, dispatched on the (kind, apiVersion) found inside the body itself. */
export type StoredBody =
  | {
      kind: "hashedrekord";
      apiVersion: "0.0.1";
      digest: { algorithm: RekorV1HashName; value: Buffer };
      signature: Buffer;
      verifier: EntryVerifier;
    }
  | {
      kind: "hashedrekord";
      apiVersion: "0.0.2";
      digest: { algorithm: ProtoHashName; value: Buffer };
      signature: Buffer;
      verifier: EntryVerifier;
      keyDetails: string;
    }
  | {
      kind: "dsse";
      apiVersion: "0.0.1";
      /** SHA-256 of the envelope JSON text as it was submitted (Rekor dsse v0.0.1). */
      envelopeHash: { algorithm: "sha256"; value: Buffer };
      /** SHA-256 of the decoded DSSE payload. */
      payloadHash: { algorithm: "sha256"; value: Buffer };
      /** Sorted by signature text, as Rekor canonicalises them. */
      signatures: { signature: Buffer; verifier: EntryVerifier }[];
    };

/** Caps checked before any decoding or crypto work (SECURITY.md D11, D12). */
export const ENTRY_LIMITS = {
  /** Whole request, when prepare* is handed raw bytes (the HTTP layer also caps at this size). */
  requestBytes: 4 * 1024 * 1024,
  /** JSON nesting: the deepest legitimate request is 6 levels. */
  jsonDepth: 16,
  certificateBytes: 64 * 1024,
  /** A PEM around a 64 KiB certificate, with line breaks and armour. */
  pemChars: 96 * 1024,
  spkiBytes: 4 * 1024,
  signatureBytes: 1024,
  envelopePayloadBytes: 1024 * 1024,
  /** The envelope JSON text: the base64 payload plus signatures and some slack. */
  envelopeChars: Math.ceil((1024 * 1024) / 3) * 4 + 128 * 1024,
  dsseSignatures: 32,
  dsseVerifiers: 32,
  /** signatures × verifiers: bounds the verification attempts one request can cause. */
  dsseVerifyAttempts: 64,
  payloadTypeChars: 256,
  keyidChars: 1024,
  /** identity and issuer search columns (UTF-8 bytes), below PostgreSQL's B-tree row limit. */
  searchTextBytes: 2048,
} as const;
