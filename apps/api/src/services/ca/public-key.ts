/**
 * The key policy for certificates the CA issues (SECURITY.md B2; Fulcio's allowed keys, INTEROP.md §1):
 * ECDSA P-256/384/521 with a point on the curve, RSA 2048–4096, Ed25519, in strict SPKI DER.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { isSignetCryptoError } from "@signet/crypto/errors";
import { parseSpki, type Curve, type PublicKeyInfo } from "@signet/crypto/keys";
import { DomainError } from "../../errors.ts";

/** Largest RSA modulus Fulcio certifies. */
export const LEAF_RSA_MAX_BITS = 4096;

/** A public key that passed the policy, with its Node key object for signature checks. */
export interface CheckedPublicKey {
  readonly spki: Uint8Array;
  readonly info: PublicKeyInfo;
  /** Created on first use: canonical EC keys are checked and verified without one (it costs ~0.15 ms). */
  readonly key: KeyObject;
}

/**
 * Short-Weierstrass parameters (a = −3 on all three) and the canonical SPKI prefix up to the point
 * (RFC 5480 §2: AlgorithmIdentifier ecPublicKey + namedCurve, BIT STRING with 0 unused bits).
 * @see https://nvlpubs.nist.gov/nistpubs/SpecialPublications/NIST.SP.800-186.pdf §3.2.1 (P-256, P-384, P-521)
 */
const EC: Readonly<Record<Curve, { p: bigint; b: bigint; prefix: Buffer; coordinateBytes: number }>> = {
  "P-256": {
    p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    prefix: Buffer.from("3059301306072a8648ce3d020106082a8648ce3d030107034200", "hex"),
    coordinateBytes: 32,
  },
  "P-384": {
    p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    prefix: Buffer.from("3076301006072a8648ce3d020106052b81040022036200", "hex"),
    coordinateBytes: 48,
  },
  "P-521": {
    p: 2n ** 521n - 1n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
    prefix: Buffer.from("30819b301006072a8648ce3d020106052b8104002303818600", "hex"),
    coordinateBytes: 66,
  },
};

function toBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`);
}

/**
 * True when `point` (04‖X‖Y) has both coordinates in the field and satisfies y² = x³ − 3x + b (mod p)
 * (SEC 1 v2 §3.2.2.1 steps 2–3; the curves have cofactor 1, so this is the whole public-key validation).
 */
export function isPointOnCurve(curve: Curve, point: Uint8Array): boolean {
  const { p, b, coordinateBytes: n } = EC[curve];
  if (point.length !== 1 + 2 * n || point[0] !== 0x04) return false;
  const x = toBigInt(point.subarray(1, 1 + n));
  const y = toBigInt(point.subarray(1 + n));
  if (x >= p || y >= p) return false;
  return (y * y - (x * x * x - 3n * x + b)) % p === 0n;
}

/**
 * True when `spki` is byte for byte the canonical DER of a named-curve P-256/384/521 key with an
 * uncompressed point: exactly what OpenSSL re-exports, so no round trip through it is needed.
 */
export function isCanonicalEcSpki(spki: Uint8Array): boolean {
  return (Object.keys(EC) as Curve[]).some((curve) => hasCanonicalLayout(curve, spki));
}

function hasCanonicalLayout(curve: Curve, spki: Uint8Array): boolean {
  const { prefix, coordinateBytes } = EC[curve];
  return spki.length === prefix.length + 1 + 2 * coordinateBytes && prefix.equals(spki.subarray(0, prefix.length)) && spki[prefix.length] === 0x04;
}

function withLazyKey(spki: Uint8Array, info: PublicKeyInfo, key?: KeyObject): CheckedPublicKey {
  let cached = key;
  return {
    spki,
    info,
    get key() {
      cached ??= createPublicKey({ key: Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength), format: "der", type: "spki" });
      return cached;
    },
  };
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
  const own = new Uint8Array(spki);
  // The common case (every sigstore client's ephemeral key): the canonical encoding, checked here in
  // a few microseconds; OpenSSL's decoder and encoder would cost ~0.3 ms for the same answer.
  if (info.kind === "ecdsa" && hasCanonicalLayout(info.curve, own)) {
    if (!isPointOnCurve(info.curve, info.point)) throw new DomainError("BAD_REQUEST", "ERR_CA_PUBLIC_KEY_INVALID", "public key is not a valid point or key");
    return withLazyKey(own, info);
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
  return withLazyKey(own, info, key);
}
