/**
 * The key policy for certificates the CA issues (SECURITY.md B2; Fulcio's allowed keys, INTEROP.md §1):
 * ECDSA P-256/384/521 with a point on the curve, RSA 2048–4096, Ed25519, in strict SPKI DER.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { isSignetCryptoError } from "@signet/crypto/errors";
import { parseSpki, type PublicKeyInfo } from "@signet/crypto/keys";
import { DomainError } from "../../errors.ts";

/** Largest RSA modulus Fulcio certifies. */
export const LEAF_RSA_MAX_BITS = 4096;

/** A public key that passed the policy, with its Node key object for signature checks. */
export interface CheckedPublicKey {
  readonly spki: Uint8Array;
  readonly info: PublicKeyInfo;
  readonly key: KeyObject;
}

/**
 * Check a submitted SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). Throws BAD_REQUEST with
 * ERR_CA_PUBLIC_KEY_INVALID (malformed, trailing bytes, non-minimal DER, point not on the curve),
 * ERR_CA_PUBLIC_KEY_WEAK (P-192/P-224, RSA < 2048) or ERR_CA_PUBLIC_KEY_UNSUPPORTED.
 */
export function checkLeafPublicKey(spki: Uint8Array): CheckedPublicKey {
  // attacker-controlled: the key comes from the request (or its CSR)
  let info: PublicKeyInfo;
  try {
    info = parseSpki(spki);
  } catch (e) {
    if (isSignetCryptoError(e, "ERR_KEY_WEAK")) throw new DomainError("BAD_REQUEST", "ERR_CA_PUBLIC_KEY_WEAK", e.message);
    if (isSignetCryptoError(e, "ERR_KEY_UNSUPPORTED")) throw new DomainError("BAD_REQUEST", "ERR_CA_PUBLIC_KEY_UNSUPPORTED", e.message);
    throw new DomainError("BAD_REQUEST", "ERR_CA_PUBLIC_KEY_INVALID", "public key is not a strict DER SubjectPublicKeyInfo");
  }
  if (info.kind === "rsa" && info.modulusBits > LEAF_RSA_MAX_BITS) {
    throw new DomainError("BAD_REQUEST", "ERR_CA_PUBLIC_KEY_UNSUPPORTED", `RSA keys of ${info.modulusBits} bits are not certified (max ${LEAF_RSA_MAX_BITS})`);
  }
  let key: KeyObject;
  try {
    // OpenSSL decodes the EC point and refuses one that is not on the named curve.
    key = createPublicKey({ key: Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength), format: "der", type: "spki" });
  } catch {
    throw new DomainError("BAD_REQUEST", "ERR_CA_PUBLIC_KEY_INVALID", "public key is not a valid point or key");
  }
  // One encoding per key: what we certify is exactly what OpenSSL would re-encode.
  const canonical = key.export({ type: "spki", format: "der" });
  if (!canonical.equals(Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength))) {
    throw new DomainError("BAD_REQUEST", "ERR_CA_PUBLIC_KEY_INVALID", "public key encoding is not canonical");
  }
  return { spki: new Uint8Array(spki), info, key };
}
