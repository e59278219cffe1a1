/**
 * The signer of an entry: a certificate or a bare public key, checked against the key policy
 * (ECDSA P-256/384/521, RSA 2048–4096, Ed25519 for DSSE only; SECURITY.md B2) and turned into the
 * search columns. Signatures are verified here: over a given digest for hashedrekord (OpenSSL through
 * @signet/native) and over the DSSE PAE with node:crypto.
 */
import { createPublicKey, hash, verify, constants, type KeyObject } from "node:crypto";
import { verifyPrehashed } from "@signet/native";
import { parseCertificate, type Certificate } from "@signet/crypto/x509/certificate";
import { readFulcioIssuer, readSignerIdentity } from "@signet/crypto/x509/fulcio-extensions";
import { parseSpki, type PublicKeyInfo } from "@signet/crypto/keys";
import { ecdsaDerToRaw } from "@signet/crypto/asn1/der";
import { isSignetCryptoError } from "@signet/crypto/errors";
import { entryError, malformed } from "./errors.ts";
import { decodePemBlock } from "./encoding.ts";
import { ENTRY_LIMITS, type EntryVerifier, type SearchColumns } from "./types.ts";

/** Largest RSA modulus the log accepts (Fulcio profile: 2048–4096). */
export const RSA_MAX_BITS = 4096;

export type DigestName = "sha256" | "sha384" | "sha512";

/** A policy-checked signer with what the log indexes about it. */
export interface SignerKey {
  verifier: EntryVerifier;
  key: PublicKeyInfo;
  /** identity, issuer and certFingerprint (no artifactDigest). */
  search: SearchColumns;
}

type Curve = "P-256" | "P-384" | "P-521";

// Short Weierstrass parameters with a = -3 (SEC 2 §2.4.2, §2.5.1, §2.6.1; FIPS 186-4 D.1.2).
const CURVES: Record<Curve, { p: bigint; b: bigint; bytes: number }> = {
  "P-256": {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    bytes: 32,
  },
  "P-384": {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    bytes: 48,
  },
  "P-521": {
    p: (1n << 521n) - 1n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
    bytes: 66,
  },
};

/** True when the uncompressed point 04‖X‖Y lies on the curve (SEC 1 §3.2.2.1 steps 2–3). */
export function isPointOnCurve(curve: Curve, point: Uint8Array): boolean {
  const { p, b, bytes } = CURVES[curve];
  if (point.length !== 1 + 2 * bytes || point[0] !== 0x04) return false;
  const hex = Buffer.from(point.buffer, point.byteOffset, point.byteLength).toString("hex");
  const x = BigInt("0x" + hex.slice(2, 2 + 2 * bytes));
  const y = BigInt("0x" + hex.slice(2 + 2 * bytes));
  if (x >= p || y >= p) return false;
  const lhs = (y * y) % p;
  const rhs = (((((x * x) % p) * x - 3n * x + b) % p) + p) % p;
  return lhs === rhs;
}

function keyUnsupported(path: string, message: string): never {
  throw entryError("ERR_ENTRY_KEY_UNSUPPORTED", `${path}: ${message}`);
}

/**
 * Map parse failures on submitted DER to entry codes: key policy → KEY_UNSUPPORTED, anything else
 * (typed or not) → MALFORMED, so that no input can turn a parser's surprise into a 500.
 */
function rethrow(e: unknown, path: string, what: string): never {
  if (isSignetCryptoError(e) && e.code.startsWith("ERR_KEY_")) keyUnsupported(path, `${what}: ${e.message}`);
  if (isSignetCryptoError(e)) malformed(path, `${what}: ${e.message}`);
  malformed(path, `${what} could not be parsed`);
}

function checkKeyPolicy(key: PublicKeyInfo, path: string): void {
  if (key.kind === "rsa" && key.modulusBits > RSA_MAX_BITS) keyUnsupported(path, `RSA modulus of ${key.modulusBits} bits is over ${RSA_MAX_BITS}`);
  if (key.kind === "ecdsa" && !isPointOnCurve(key.curve, key.point)) keyUnsupported(path, `EC point is not on ${key.curve}`);
}

function hex256(bytes: Uint8Array): string {
  return hash("sha256", bytes, "hex");
}

function searchText(value: string | undefined, path: string, what: string): string | undefined {
  if (value === undefined) return undefined;
  // PostgreSQL text cannot hold NUL, and a B-tree index row must stay under ~2.7 kB: either would
  // otherwise fail the insert as a 500. Refusing (not truncating) keeps every entry findable by identity.
  if (value.includes("\0")) malformed(path, `certificate ${what} contains NUL`);
  if (Buffer.byteLength(value, "utf8") > ENTRY_LIMITS.searchTextBytes) malformed(path, `certificate ${what} longer than ${ENTRY_LIMITS.searchTextBytes} bytes`);
  return value;
}

/** A certificate signer (DER, RFC 5280): strict parse, key policy, SAN identity and Fulcio issuer. */
export function readCertificateSigner(der: Buffer, path: string): SignerKey {
  // attacker-controlled: size capped here, then parsed by the strict DER reader
  if (der.length > ENTRY_LIMITS.certificateBytes) malformed(path, `certificate larger than ${ENTRY_LIMITS.certificateBytes} bytes`);
  let cert: Certificate;
  try {
    cert = parseCertificate(der);
  } catch (e) {
    rethrow(e, path, "certificate");
  }
  checkKeyPolicy(cert.publicKey, path);
  let issuer: string | undefined;
  try {
    issuer = readFulcioIssuer(cert);
  } catch (e) {
    rethrow(e, path, "certificate issuer extension");
  }
  const identity = searchText(readSignerIdentity(cert), path, "identity");
  const search: SearchColumns = { certFingerprint: hex256(der) };
  const issuerText = searchText(issuer, path, "issuer");
  if (identity !== undefined) search.identity = identity;
  if (issuerText !== undefined) search.issuer = issuerText;
  return { verifier: { kind: "certificate", der }, key: cert.publicKey, search };
}

/** A bare-key signer (SPKI DER, RFC 5280 §4.1.2.7): strict parse (no trailing bytes) and key policy. */
export function readPublicKeySigner(spki: Buffer, path: string): SignerKey {
  // attacker-controlled: size capped, then parsed by the strict DER reader
  if (spki.length > ENTRY_LIMITS.spkiBytes) keyUnsupported(path, `public key larger than ${ENTRY_LIMITS.spkiBytes} bytes`);
  let key: PublicKeyInfo;
  try {
    key = parseSpki(spki);
  } catch (e) {
    rethrow(e, path, "public key");
  }
  checkKeyPolicy(key, path);
  return { verifier: { kind: "publicKey", spki }, key, search: { certFingerprint: hex256(spki) } };
}

/** A signer given as PEM bytes (Rekor v1 `publicKey.content` and DSSE `verifiers[]`). */
export function readPemSigner(pem: Buffer, path: string): SignerKey {
  const { label, der } = decodePemBlock(pem, path);
  return label === "CERTIFICATE" ? readCertificateSigner(der, path) : readPublicKeySigner(der, path);
}

const FIELD_BYTES: Record<Curve, number> = { "P-256": 32, "P-384": 48, "P-521": 66 };

/** ECDSA signatures must be strict DER (RFC 5480 §2.2): raw r‖s and BER variants are refused (SECURITY.md C1). */
function checkEcdsaDer(key: PublicKeyInfo, signature: Uint8Array, path: string): void {
  if (key.kind !== "ecdsa") return;
  try {
    ecdsaDerToRaw(signature, FIELD_BYTES[key.curve]);
  } catch {
    throw entryError("ERR_ENTRY_SIGNATURE_INVALID", `${path}: ECDSA signature is not strict DER (raw r‖s is not accepted)`);
  }
}

/**
 * Verify `signature` over a digest the log did not compute (hashedrekord): ECDSA (SEC 1 §4.1.4) or
 * RSA PKCS#1 v1.5 (RFC 8017 §8.2.2). Ed25519 signs the message itself and cannot be checked over a
 * digest, so it is refused as Rekor refuses it for prehashed entries.
 */
export function verifyOverDigest(signer: SignerKey, digest: Buffer, digestName: DigestName, signature: Buffer, path: string): void {
  const key = signer.key;
  if (key.kind === "ed25519") keyUnsupported(path, "Ed25519 signatures cannot be verified over a digest (use a DSSE entry)");
  checkEcdsaDer(key, signature, path);
  if (key.kind === "rsa" && signature.length !== Math.ceil(key.modulusBits / 8)) {
    throw entryError("ERR_ENTRY_SIGNATURE_INVALID", `${path}: RSA signature length does not match the modulus`);
  }
  if (!verifyPrehashed(key.spki, digest, signature, digestName)) {
    throw entryError("ERR_ENTRY_SIGNATURE_INVALID", `${path}: signature does not verify over the digest with the given key`);
  }
}

const keyObjects = new WeakMap<SignerKey, KeyObject>();

/**
 * True when `signature` verifies over the DSSE PAE. Rekor's dsse v0.0.1 loads every verifier with
 * SHA-256 (ECDSA any curve, RSA PKCS#1 v1.5); Ed25519 signs the PAE itself.
 */
export function isValidDsseSignature(signer: SignerKey, pae: Uint8Array, signature: Buffer): boolean {
  const key = signer.key;
  if (key.kind === "ecdsa") {
    try {
      ecdsaDerToRaw(signature, FIELD_BYTES[key.curve]);
    } catch {
      return false;
    }
  }
  if (key.kind === "ed25519" && signature.length !== 64) return false;
  let keyObject = keyObjects.get(signer);
  if (keyObject === undefined) {
    try {
      keyObject = createPublicKey({ key: Buffer.from(key.spki), format: "der", type: "spki" });
    } catch {
      return false;
    }
    keyObjects.set(signer, keyObject);
  }
  try {
    if (key.kind === "ed25519") return verify(null, pae, keyObject, signature);
    if (key.kind === "rsa") return verify("sha256", pae, { key: keyObject, padding: constants.RSA_PKCS1_PADDING }, signature);
    return verify("sha256", pae, keyObject, signature);
  } catch {
    return false;
  }
}
