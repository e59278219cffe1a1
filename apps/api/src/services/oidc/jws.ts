/**
 * JWS signature verification for ID tokens (RFC 7515 §5.2 step 8, algorithms of RFC 7518 §3 and
 * RFC 8037 §3.1) with Node's crypto on a KeyObject, instead of jose's WebCrypto path: an RS256 check
 * costs ~34 µs this way against ~92 µs through `compactVerify`. The keys still come from jose's JWKS
 * selection (kid, alg, kty, use), imported once per key and converted once per key here.
 */
import { constants, KeyObject, verify } from "node:crypto";
import type { TokenAlgorithm } from "./issuers.ts";

const HASH = { "256": "sha256", "384": "sha384", "512": "sha512" } as const;
const EC_CURVE = { ES256: "prime256v1", ES384: "secp384r1", ES512: "secp521r1" } as const;
const EC_SIGNATURE_BYTES = { ES256: 64, ES384: 96, ES512: 132 } as const;
/** RFC 7518 §3.3 and §3.5: 2048 bits or larger. */
const RSA_MIN_BITS = 2048;

const keyObjects = new WeakMap<CryptoKey, KeyObject>();

/** The Node KeyObject of a WebCrypto key, converted once per key (jose's JWKS cache keeps the CryptoKey). */
export function toKeyObject(key: CryptoKey | KeyObject): KeyObject {
  if (key instanceof KeyObject) return key;
  let ko = keyObjects.get(key);
  if (ko === undefined) {
    ko = KeyObject.from(key);
    keyObjects.set(key, ko);
  }
  return ko;
}

/**
 * True when `signature` is a valid `alg` signature by `key` over the JWS signing input (the ASCII
 * `header.payload`). False for a wrong signature, a signature of the wrong size, or a key that does
 * not fit the algorithm (type, curve, RSA below 2048 bits). Never throws on attacker input.
 */
export function isValidJwsSignature(alg: TokenAlgorithm, key: CryptoKey | KeyObject, signingInput: Uint8Array, signature: Uint8Array): boolean {
  // attacker-controlled: signature (and signingInput); the key is the provider's
  let ko: KeyObject;
  try {
    ko = toKeyObject(key);
  } catch {
    return false;
  }
  if (ko.type !== "public") return false;
  const details = ko.asymmetricKeyDetails ?? {};
  try {
    switch (alg) {
      case "RS256":
      case "RS384":
      case "RS512":
        if (ko.asymmetricKeyType !== "rsa" || (details.modulusLength ?? 0) < RSA_MIN_BITS) return false;
        return verify(HASH[alg.slice(2) as keyof typeof HASH], signingInput, { key: ko, padding: constants.RSA_PKCS1_PADDING }, signature);
      case "PS256":
      case "PS384":
      case "PS512": {
        if ((ko.asymmetricKeyType !== "rsa" && ko.asymmetricKeyType !== "rsa-pss") || (details.modulusLength ?? 0) < RSA_MIN_BITS) return false;
        const bits = alg.slice(2) as keyof typeof HASH;
        // RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash output.
        return verify(HASH[bits], signingInput, { key: ko, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(bits) / 8 }, signature);
      }
      case "ES256":
      case "ES384":
      case "ES512":
        // RFC 7518 §3.4: R‖S, each exactly the curve's size (not DER).
        if (ko.asymmetricKeyType !== "ec" || details.namedCurve !== EC_CURVE[alg] || signature.length !== EC_SIGNATURE_BYTES[alg]) return false;
        return verify(HASH[alg.slice(2) as keyof typeof HASH], signingInput, { key: ko, dsaEncoding: "ieee-p1363" }, signature);
      case "EdDSA":
        // RFC 8037 §3.1: Ed25519 (64-byte signatures) or Ed448 (114).
        if (ko.asymmetricKeyType === "ed25519") return signature.length === 64 && verify(null, signingInput, ko, signature);
        if (ko.asymmetricKeyType === "ed448") return signature.length === 114 && verify(null, signingInput, ko, signature);
        return false;
      default:
        return false;
    }
  } catch {
    return false;
  }
}
