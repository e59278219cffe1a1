/**
 * Sigstore verification API of @signet/crypto: DER/X.509, bundles, trust
 * material, log entries, timestamps and verifyBundle. Re-exported from
 * `src/index.ts`; deep imports (`@signet/crypto/verify/verify-bundle`) work too.
 */
export { TAG, DER_MAX_DEPTH, parseDer, derContent, derRaw, encodeTlv, ecdsaDerToRaw, ecdsaRawToDer } from "./asn1/der.ts";
export type { DerNode } from "./asn1/der.ts";
export { OID, decodeOidContent, encodeOidContent } from "./asn1/oid.ts";
export { sha256, digest, digestSync } from "./digest.ts";
export type { HashName } from "./digest.ts";
export { parsePem, parsePemBlocks, toPem } from "./pem.ts";
export {
  RSA_MIN_BITS,
  defaultSignatureAlgorithm,
  isValidSignature,
  isValidSignatureOverDigest,
  keyId,
  parsePublicKeyPem,
  parseSpki,
  verifySignature,
} from "./keys.ts";
export type { Curve, PublicKeyInfo, SignatureAlgorithm } from "./keys.ts";
export {
  findExtension,
  isSelfIssued,
  isValidAt,
  parseCertificate,
  parseCertificatesPem,
  parseSignatureAlgorithm,
} from "./x509/certificate.ts";
export type { Certificate, Extension, GeneralName } from "./x509/certificate.ts";
export { FULCIO_OIDS, decodeFulcioExtension, readFulcioExtensions, readFulcioIssuer, readSignerIdentity } from "./x509/fulcio-extensions.ts";
export type { FulcioExtensionName } from "./x509/fulcio-extensions.ts";
export { CHAIN_MAX_LENGTH, verifyCertificateChain } from "./x509/chain.ts";
export type { ChainAuthority, VerifiedChain, VerifyChainOptions } from "./x509/chain.ts";
export { parseSctList, precertificateTbs, verifyEmbeddedScts } from "./x509/sct.ts";
export type { Sct, VerifiedSct } from "./x509/sct.ts";
export { canonicalize } from "./json/canonical.ts";
export { preAuthEncoding } from "./dsse/pae.ts";
export { INTOTO_PAYLOAD_TYPE, parseStatement } from "./intoto/statement.ts";
export type { Statement, StatementSubject } from "./intoto/statement.ts";
export { BUNDLE_LIMITS, BUNDLE_MEDIA_TYPE_V03, BUNDLE_MEDIA_TYPES, signatureBytes } from "./bundle/bundle.ts";
export type {
  BundleVersion,
  DsseEnvelope,
  UnverifiedBundle,
  UnverifiedBundleContent,
  UnverifiedInclusionProof,
  UnverifiedKeyMaterial,
  UnverifiedTlogEntry,
} from "./bundle/bundle.ts";
export { parseBundle } from "./bundle/parse.ts";
export { toBundleJson } from "./bundle/serialize.ts";
export { findLogsById, hostOf, parseTrustedRoot, TRUSTED_ROOT_MEDIA_TYPES } from "./trust/trusted-root.ts";
export type { CertificateAuthority, TransparencyLogInstance, TrustedRoot } from "./trust/trusted-root.ts";
export { parseSigningConfig, selectServices, SIGNING_CONFIG_MEDIA_TYPE } from "./trust/signing-config.ts";
export type { Service, ServiceConfiguration, SigningConfig } from "./trust/signing-config.ts";
export { isWithin, parseRfc3339 } from "./trust/time-range.ts";
export type { TimeRange } from "./trust/time-range.ts";
export { parseLogEntryBody, verifyLogEntryBinding } from "./tlog/entry-body.ts";
export type { EntryExpectation, EntryVerifier, LogEntryBody } from "./tlog/entry-body.ts";
export { signedEntryTimestampPayload, verifySignedEntryTimestamp } from "./tlog/set.ts";
export { noteVerifierForLog, verifyEntryCheckpoint, verifyEntryInclusion } from "./tlog/checkpoint.ts";
export { parseTimestampResponse, verifyTimestamp } from "./timestamp/rfc3161.ts";
export type { UnverifiedTimestamp, VerifiedTimestamp } from "./timestamp/rfc3161.ts";
export { normalizePolicy, sanValues, verifyCertificatePolicy } from "./verify/policy.ts";
export type { ExtensionPolicy, IdentityPolicy, StringMatcher, VerificationPolicy } from "./verify/policy.ts";
export { BundleVerificationError, CHECK_ERROR_CODES, formatTranscript } from "./verify/transcript.ts";
export type { CheckName, TranscriptStep } from "./verify/transcript.ts";
export { CHECKPOINT_MAX_SIGNATURES, verifyBundle } from "./verify/verify-bundle.ts";
export type { VerificationThresholds, VerifiedBundle, VerifiedSigner, VerifiedTime, VerifyBundleOptions } from "./verify/verify-bundle.ts";
