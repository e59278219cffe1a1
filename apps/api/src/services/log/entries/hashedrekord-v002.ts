/**
 * hashedrekord 0.0.2 (sigstore/rekor-tiles pkg/types/hashedrekord, api/proto/rekor/v2): the digest
 * as bytes, the signer as DER (certificate or SPKI) with an explicit keyDetails that fixes the digest
 * algorithm. Canonical body (INTEROP.md §3):
 * {"apiVersion":"0.0.2","kind":"hashedrekord","spec":{"hashedRekordV002":{"data":{"algorithm","digest"},
 *  "signature":{"content","verifier":{"keyDetails","x509Certificate"|"publicKey":{"rawBytes"}}}}}}
 */
import { entryError, malformed } from "./errors.ts";
import { base64Length, decodeBase64Strict } from "./encoding.ts";
import { readCertificateSigner, readPublicKeySigner, verifyOverDigest, type DigestName, type SignerKey } from "./keys.ts";
import { readObject, requireObject, requireString, type JsonObject } from "./strict-json.ts";
import { toPreparedEntry } from "./canonical.ts";
import { ENTRY_LIMITS, type EntryVerifier, type PreparedEntry, type ProtoHashName, type StoredBody } from "./types.ts";

interface KeyDetails {
  key: { kind: "ecdsa"; curve: "P-256" | "P-384" | "P-521" } | { kind: "rsa"; bits: number };
  digest: DigestName;
  proto: ProtoHashName;
}

/**
 * The PublicKeyDetails this log accepts (protobuf-specs sigstore_common.proto): rekor-tiles'
 * default AllowedClientSigningAlgorithms minus PKIX_ED25519_PH, which OpenSSL cannot verify here.
 */
const KEY_DETAILS: Readonly<Record<string, KeyDetails>> = {
  PKIX_ECDSA_P256_SHA_256: { key: { kind: "ecdsa", curve: "P-256" }, digest: "sha256", proto: "SHA2_256" },
  PKIX_ECDSA_P384_SHA_384: { key: { kind: "ecdsa", curve: "P-384" }, digest: "sha384", proto: "SHA2_384" },
  PKIX_ECDSA_P521_SHA_512: { key: { kind: "ecdsa", curve: "P-521" }, digest: "sha512", proto: "SHA2_512" },
  PKIX_RSA_PKCS1V15_2048_SHA256: { key: { kind: "rsa", bits: 2048 }, digest: "sha256", proto: "SHA2_256" },
  PKIX_RSA_PKCS1V15_3072_SHA256: { key: { kind: "rsa", bits: 3072 }, digest: "sha256", proto: "SHA2_256" },
  PKIX_RSA_PKCS1V15_4096_SHA256: { key: { kind: "rsa", bits: 4096 }, digest: "sha256", proto: "SHA2_256" },
};
const DIGEST_BYTES: Record<DigestName, number> = { sha256: 32, sha384: 48, sha512: 64 };
const PROTO_HASHES: readonly ProtoHashName[] = ["SHA2_256", "SHA2_384", "SHA2_512"];

function describeDetails(d: KeyDetails): string {
  return d.key.kind === "ecdsa" ? `an ECDSA ${d.key.curve} key` : `a ${d.key.bits}-bit RSA key`;
}

function keyMatches(signer: SignerKey, d: KeyDetails): boolean {
  const k = signer.key;
  if (d.key.kind === "ecdsa") return k.kind === "ecdsa" && k.curve === d.key.curve;
  return k.kind === "rsa" && k.modulusBits === d.key.bits;
}

interface Fields {
  digestB64: string;
  digest: Buffer;
  signatureB64: string;
  signature: Buffer;
  keyDetails: string;
  verifierField: "x509Certificate" | "publicKey";
  rawBytesB64: string;
  rawBytes: Buffer;
}

function readSignatureFields(sig: JsonObject, path: string): Omit<Fields, "digestB64" | "digest"> {
  const signatureB64 = requireString(sig, "content", path, base64Length(ENTRY_LIMITS.signatureBytes));
  const signature = decodeBase64Strict(signatureB64, `${path}.content`, ENTRY_LIMITS.signatureBytes);
  const ver = requireObject(sig, "verifier", path, ["x509Certificate", "publicKey", "keyDetails"]);
  const keyDetails = requireString(ver, "keyDetails", `${path}.verifier`, 64);
  const hasCert = Object.hasOwn(ver, "x509Certificate");
  const hasKey = Object.hasOwn(ver, "publicKey");
  if (hasCert === hasKey) malformed(`${path}.verifier`, "needs exactly one of x509Certificate and publicKey");
  const verifierField = hasCert ? "x509Certificate" : "publicKey";
  const holder = requireObject(ver, verifierField, `${path}.verifier`, ["rawBytes"]);
  const max = hasCert ? ENTRY_LIMITS.certificateBytes : ENTRY_LIMITS.spkiBytes;
  const rawBytesB64 = requireString(holder, "rawBytes", `${path}.verifier.${verifierField}`, base64Length(max));
  const rawBytes = decodeBase64Strict(rawBytesB64, `${path}.verifier.${verifierField}.rawBytes`, max);
  return { signatureB64, signature, keyDetails, verifierField, rawBytesB64, rawBytes };
}

/**
 * Validate a HashedRekordRequestV002, check keyDetails against the actual key and the digest length
 * against keyDetails, verify the signature over the digest, and rebuild the canonical body.
 */
export function prepareHashedRekordV002(requestValue: unknown): PreparedEntry {
  const path = "hashedRekordRequestV002";
  const req = readObject(requestValue, path, ["digest", "signature"]);
  const digestB64 = requireString(req, "digest", path, base64Length(64));
  const digest = decodeBase64Strict(digestB64, `${path}.digest`, 64);
  const sigFields = readSignatureFields(requireObject(req, "signature", path, ["content", "verifier"]), `${path}.signature`);
  const details = Object.hasOwn(KEY_DETAILS, sigFields.keyDetails) ? KEY_DETAILS[sigFields.keyDetails] : undefined;
  if (details === undefined) {
    throw entryError("ERR_ENTRY_KEY_UNSUPPORTED", `${path}.signature.verifier.keyDetails: ${JSON.stringify(sigFields.keyDetails.slice(0, 64))} is not supported (${Object.keys(KEY_DETAILS).join(", ")})`);
  }
  const verifierPath = `${path}.signature.verifier.${sigFields.verifierField}.rawBytes`;
  const signer = sigFields.verifierField === "x509Certificate" ? readCertificateSigner(sigFields.rawBytes, verifierPath) : readPublicKeySigner(sigFields.rawBytes, verifierPath);
  if (!keyMatches(signer, details)) {
    throw entryError("ERR_ENTRY_KEY_UNSUPPORTED", `${path}.signature.verifier.keyDetails: ${sigFields.keyDetails} names ${describeDetails(details)}, which the verifier's key is not`);
  }
  if (digest.length !== DIGEST_BYTES[details.digest]) {
    throw entryError("ERR_ENTRY_DIGEST_INVALID", `${path}.digest: ${sigFields.keyDetails} needs a ${DIGEST_BYTES[details.digest]}-byte ${details.digest} digest, got ${digest.length} bytes`);
  }
  verifyOverDigest(signer, digest, details.digest, sigFields.signature, `${path}.signature.content`);
  const spec = {
    hashedRekordV002: {
      data: { algorithm: details.proto, digest: digestB64 },
      signature: {
        content: sigFields.signatureB64,
        verifier: { keyDetails: sigFields.keyDetails, [sigFields.verifierField]: { rawBytes: sigFields.rawBytesB64 } },
      },
    },
  };
  return toPreparedEntry("hashedrekord", "0.0.2", spec, { ...signer.search, artifactDigest: `${details.digest}:${digest.toString("hex")}` });
}

/** Decode the spec of a stored hashedrekord 0.0.2 body (no signature check). */
export function parseHashedRekordV002Spec(spec: JsonObject): StoredBody {
  const path = "body.spec.hashedRekordV002";
  const inner = requireObject(spec, "hashedRekordV002", "body.spec", ["data", "signature"]);
  const data = requireObject(inner, "data", path, ["algorithm", "digest"]);
  const algorithm = requireString(data, "algorithm", `${path}.data`, 16) as ProtoHashName;
  if (!PROTO_HASHES.includes(algorithm)) throw entryError("ERR_ENTRY_DIGEST_INVALID", `${path}.data.algorithm: unsupported ${JSON.stringify(algorithm)}`);
  const digest = decodeBase64Strict(requireString(data, "digest", `${path}.data`, base64Length(64)), `${path}.data.digest`, 64);
  const f = readSignatureFields(requireObject(inner, "signature", path, ["content", "verifier"]), `${path}.signature`);
  const verifier: EntryVerifier = f.verifierField === "x509Certificate" ? { kind: "certificate", der: f.rawBytes } : { kind: "publicKey", spki: f.rawBytes };
  return { kind: "hashedrekord", apiVersion: "0.0.2", digest: { algorithm, value: digest }, signature: f.signature, verifier, keyDetails: f.keyDetails };
}
