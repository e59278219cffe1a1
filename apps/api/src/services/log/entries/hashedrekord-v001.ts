/**
 * hashedrekord 0.0.1 (sigstore/rekor pkg/types/hashedrekord/v0.0.1): a signature over an artifact
 * digest, with the signer as base64 of a PEM certificate or public key. The canonical body is the one
 * @sigstore/verify compares byte for byte (INTEROP.md, last sections):
 * {"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm","value"}},
 *  "signature":{"content","publicKey":{"content"}}}}
 */
import { entryError } from "./errors.ts";
import { base64Length, decodeBase64Strict, decodeDigestHex, decodePemBlock, toPem } from "./encoding.ts";
import { readPemSigner, verifyOverDigest, type DigestName } from "./keys.ts";
import { readObject, requireObject, requireString, type JsonObject } from "./strict-json.ts";
import { toPreparedEntry } from "./canonical.ts";
import { ENTRY_LIMITS, type EntryVerifier, type PreparedEntry, type StoredBody } from "./types.ts";

const DIGEST_BYTES: Record<DigestName, number> = { sha256: 32, sha384: 48, sha512: 64 };

interface Fields {
  algorithm: DigestName;
  valueHex: string;
  digest: Buffer;
  signatureB64: string;
  signature: Buffer;
  pem: Buffer;
}

function readFields(specValue: unknown, path: string): Fields {
  const spec = readObject(specValue, path, ["data", "signature"]);
  const data = requireObject(spec, "data", path, ["hash"]);
  const hashObj = requireObject(data, "hash", `${path}.data`, ["algorithm", "value"]);
  const algorithm = requireString(hashObj, "algorithm", `${path}.data.hash`, 16);
  if (!Object.hasOwn(DIGEST_BYTES, algorithm)) {
    throw entryError("ERR_ENTRY_DIGEST_INVALID", `${path}.data.hash.algorithm: ${JSON.stringify(algorithm)} is not sha256, sha384 or sha512`);
  }
  const alg = algorithm as DigestName;
  const valueHex = requireString(hashObj, "value", `${path}.data.hash`, 128);
  const digest = decodeDigestHex(valueHex, `${path}.data.hash.value`, DIGEST_BYTES[alg]);
  const sig = requireObject(spec, "signature", path, ["content", "publicKey"]);
  const signatureB64 = requireString(sig, "content", `${path}.signature`, base64Length(ENTRY_LIMITS.signatureBytes));
  const signature = decodeBase64Strict(signatureB64, `${path}.signature.content`, ENTRY_LIMITS.signatureBytes);
  const pk = requireObject(sig, "publicKey", `${path}.signature`, ["content"]);
  const pemB64 = requireString(pk, "content", `${path}.signature.publicKey`, base64Length(ENTRY_LIMITS.pemChars));
  const pem = decodeBase64Strict(pemB64, `${path}.signature.publicKey.content`, ENTRY_LIMITS.pemChars);
  return { algorithm: alg, valueHex, digest, signatureB64, signature, pem };
}

/**
 * Validate a proposed hashedrekord 0.0.1 spec, verify its signature over the digest, and rebuild
 * the canonical body (the key re-encoded as canonical PEM, as Rekor's CanonicalValue does).
 */
export function prepareHashedRekordV001(specValue: unknown): PreparedEntry {
  const f = readFields(specValue, "spec");
  const signer = readPemSigner(f.pem, "spec.signature.publicKey.content");
  verifyOverDigest(signer, f.digest, f.algorithm, f.signature, "spec.signature.content");
  const pem = signer.verifier.kind === "certificate" ? toPem(signer.verifier.der, "CERTIFICATE") : toPem(signer.verifier.spki, "PUBLIC KEY");
  const spec = {
    data: { hash: { algorithm: f.algorithm, value: f.valueHex } },
    signature: { content: f.signatureB64, publicKey: { content: Buffer.from(pem, "latin1").toString("base64") } },
  };
  return toPreparedEntry("hashedrekord", "0.0.1", spec, { ...signer.search, artifactDigest: `${f.algorithm}:${f.valueHex}` });
}

/** Decode the spec of a stored hashedrekord 0.0.1 body (no signature check: it was checked on the way in). */
export function parseHashedRekordV001Spec(spec: JsonObject): StoredBody {
  const f = readFields(spec, "body.spec");
  const { label, der } = decodePemBlock(f.pem, "body.spec.signature.publicKey.content");
  const verifier: EntryVerifier = label === "CERTIFICATE" ? { kind: "certificate", der } : { kind: "publicKey", spki: der };
  return { kind: "hashedrekord", apiVersion: "0.0.1", digest: { algorithm: f.algorithm, value: f.digest }, signature: f.signature, verifier };
}
