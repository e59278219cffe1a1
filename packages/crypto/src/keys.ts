/**
 * Public keys and signature checks: SubjectPublicKeyInfo parsing (RFC 5280
 * §4.1.2.7, RFC 5480, RFC 8017 A.1, RFC 8410), weak-key rejection, WebCrypto
 * import, and verification over a message or over a precomputed digest.
 */
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { SignetCryptoError } from "./errors.ts";
import type { Bytes } from "./encoding/bytes.ts";
import { bytesEqual, concatBytes, toBytes } from "./encoding/bytes.ts";
import {
  TAG,
  derContent,
  ecdsaDerToRaw,
  encodeTlv,
  expectChildren,
  parseDer,
  readOctetAlignedBitString,
  readOid,
  readUnsignedInteger,
  type DerNode,
} from "./asn1/der.ts";
import { OID, encodeOidContent } from "./asn1/oid.ts";
import { digestSync, type HashName } from "./digest.ts";
import { parsePem } from "./pem.ts";

/** Curves Signet accepts (Fulcio profile: P-256/384/521). */
export type Curve = "P-256" | "P-384" | "P-521";

/** A parsed, policy-checked public key. */
export type PublicKeyInfo =
  | { readonly kind: "ecdsa"; readonly spki: Bytes; readonly curve: Curve; readonly point: Bytes }
  | { readonly kind: "rsa"; readonly spki: Bytes; readonly modulusBits: number; readonly modulus: Bytes; readonly exponent: Bytes }
  | { readonly kind: "ed25519"; readonly spki: Bytes; readonly point: Bytes };

/** How a signature was made. */
export type SignatureAlgorithm =
  | { readonly kind: "ecdsa"; readonly hash: HashName }
  | { readonly kind: "rsa-pkcs1"; readonly hash: HashName }
  | { readonly kind: "rsa-pss"; readonly hash: HashName; readonly saltLength: number }
  | { readonly kind: "ed25519" };

/** Minimum RSA modulus (SECURITY.md B2; Fulcio allows 2048–4096). */
export const RSA_MIN_BITS = 2048;
/** Maximum RSA modulus we spend time on (verification cost grows with size). */
export const RSA_MAX_BITS = 8192;
/** Cap on SPKI size before parsing. */
export const SPKI_MAX_BYTES = 4096;

const CURVE_BY_OID: Record<string, Curve> = {
  [OID.prime256v1]: "P-256",
  [OID.secp384r1]: "P-384",
  [OID.secp521r1]: "P-521",
};
const FIELD_BYTES: Record<Curve, number> = { "P-256": 32, "P-384": 48, "P-521": 66 };

function malformedKey(message: string, cause?: unknown): SignetCryptoError {
  return new SignetCryptoError("ERR_KEY_MALFORMED", message, cause === undefined ? undefined : { cause });
}

/**
 * Parse a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). Throws ERR_KEY_MALFORMED,
 * ERR_KEY_WEAK (P-192/P-224, RSA < 2048) or ERR_KEY_UNSUPPORTED.
 */
export function parseSpki(der: Uint8Array): PublicKeyInfo {
  // attacker-controlled: size capped, DER parsed strictly
  if (der.length > SPKI_MAX_BYTES) throw malformedKey("public key too large");
  let root: DerNode;
  try {
    root = parseDer(der, { maxDepth: 4, maxNodes: 16 });
  } catch (cause) {
    throw malformedKey("public key is not valid DER", cause);
  }
  return parseSpkiNode(root);
}

/** Parse an SPKI from an already-parsed DER node (inside a certificate). */
export function parseSpkiNode(root: DerNode): PublicKeyInfo {
  try {
    const [algId, keyBits] = expectChildren(root, TAG.SEQUENCE, "SubjectPublicKeyInfo", 2, 2);
    const alg = expectChildren(algId, TAG.SEQUENCE, "AlgorithmIdentifier", 1, 2);
    const algOid = readOid(alg[0], "key algorithm");
    const key = readOctetAlignedBitString(keyBits, "subjectPublicKey");
    const spki = toBytes(root.buffer.subarray(root.start, root.end));
    switch (algOid) {
      case OID.ecPublicKey: {
        if (alg[1] === undefined || alg[1].tag !== TAG.OID) throw malformedKey("EC key without namedCurve");
        const curveOid = readOid(alg[1], "namedCurve");
        const curve = CURVE_BY_OID[curveOid];
        if (curve === undefined) {
          if (curveOid === OID.secp192r1 || curveOid === OID.secp224r1) throw new SignetCryptoError("ERR_KEY_WEAK", `weak curve ${curveOid}`);
          throw new SignetCryptoError("ERR_KEY_UNSUPPORTED", `unsupported curve ${curveOid}`);
        }
        const n = FIELD_BYTES[curve];
        if (key.length !== 1 + 2 * n || key[0] !== 0x04) throw malformedKey("EC point must be uncompressed and of the curve's size");
        return { kind: "ecdsa", spki, curve, point: toBytes(key) };
      }
      case OID.rsaEncryption: {
        if (alg[1] === undefined || alg[1].tag !== TAG.NULL) throw malformedKey("RSA key parameters must be NULL");
        const rsa = expectChildren(parseDer(key, { maxDepth: 2, maxNodes: 3 }), TAG.SEQUENCE, "RSAPublicKey", 2, 2);
        const modulus = readUnsignedInteger(rsa[0], "modulus");
        const exponent = readUnsignedInteger(rsa[1], "publicExponent");
        const modulusBits = bitLength(modulus);
        if (modulusBits < RSA_MIN_BITS) throw new SignetCryptoError("ERR_KEY_WEAK", `RSA modulus of ${modulusBits} bits`);
        if (modulusBits > RSA_MAX_BITS) throw new SignetCryptoError("ERR_KEY_UNSUPPORTED", `RSA modulus of ${modulusBits} bits`);
        if (exponent.length > 4 || (exponent[exponent.length - 1]! & 1) === 0 || (exponent.length === 1 && exponent[0]! < 3)) {
          throw malformedKey("bad RSA public exponent");
        }
        return { kind: "rsa", spki, modulusBits, modulus: toBytes(modulus), exponent: toBytes(exponent) };
      }
      case OID.ed25519: {
        if (alg.length !== 1) throw malformedKey("Ed25519 key must have absent parameters");
        if (key.length !== 32) throw malformedKey("Ed25519 key must be 32 bytes");
        return { kind: "ed25519", spki, point: toBytes(key) };
      }
      default:
        throw new SignetCryptoError("ERR_KEY_UNSUPPORTED", `unsupported key algorithm ${algOid}`);
    }
  } catch (e) {
    if (e instanceof SignetCryptoError && e.code !== "ERR_DER_MALFORMED") throw e;
    throw malformedKey("malformed SubjectPublicKeyInfo", e);
  }
}

/** Parse a PEM `PUBLIC KEY` block (RFC 7468 §13). */
export function parsePublicKeyPem(text: string): PublicKeyInfo {
  return parseSpki(parsePem(text, "PUBLIC KEY"));
}

/** Wrap a PKCS#1 RSAPublicKey (RFC 8017 A.1.1) in an SPKI, as old trusted roots ship CT keys. */
export function rsaPublicKeyToSpki(pkcs1: Uint8Array): Bytes {
  const algId = encodeTlv(TAG.SEQUENCE, concatBytes(encodeTlv(TAG.OID, encodeOidContent(OID.rsaEncryption)), encodeTlv(TAG.NULL, new Uint8Array())));
  const bits = encodeTlv(TAG.BIT_STRING, concatBytes(Uint8Array.of(0), pkcs1));
  return encodeTlv(TAG.SEQUENCE, concatBytes(algId, bits));
}

function bitLength(magnitude: Uint8Array): number {
  if (magnitude.length === 0 || (magnitude.length === 1 && magnitude[0] === 0)) return 0;
  return (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0]!));
}

/** The customary algorithm for a key when the container does not say (Sigstore defaults). */
export function defaultSignatureAlgorithm(key: PublicKeyInfo, hash?: HashName): SignatureAlgorithm {
  switch (key.kind) {
    case "ecdsa":
      return { kind: "ecdsa", hash: hash ?? (key.curve === "P-256" ? "SHA-256" : key.curve === "P-384" ? "SHA-384" : "SHA-512") };
    case "rsa":
      return { kind: "rsa-pkcs1", hash: hash ?? "SHA-256" };
    case "ed25519":
      return { kind: "ed25519" };
  }
}

// ---- WebCrypto import ------------------------------------------------------

const imported = new WeakMap<PublicKeyInfo, Map<string, Promise<CryptoKey>>>();

function importParams(key: PublicKeyInfo, alg: SignatureAlgorithm): { id: string; params: AlgorithmIdentifier | RsaHashedImportParams | EcKeyImportParams } {
  if (key.kind === "ecdsa" && alg.kind === "ecdsa") return { id: "ecdsa", params: { name: "ECDSA", namedCurve: key.curve } };
  if (key.kind === "rsa" && alg.kind === "rsa-pkcs1") return { id: `pkcs1:${alg.hash}`, params: { name: "RSASSA-PKCS1-v1_5", hash: alg.hash } };
  if (key.kind === "rsa" && alg.kind === "rsa-pss") return { id: `pss:${alg.hash}`, params: { name: "RSA-PSS", hash: alg.hash } };
  if (key.kind === "ed25519" && alg.kind === "ed25519") return { id: "ed25519", params: { name: "Ed25519" } };
  throw new SignetCryptoError("ERR_KEY_ALGORITHM_MISMATCH", `a ${key.kind} key cannot verify ${alg.kind} signatures`);
}

/** Import (and cache per key object) a WebCrypto verification key. */
export function importVerifyKey(key: PublicKeyInfo, alg: SignatureAlgorithm): Promise<CryptoKey> {
  const { id, params } = importParams(key, alg);
  let perKey = imported.get(key);
  if (perKey === undefined) {
    perKey = new Map();
    imported.set(key, perKey);
  }
  let p = perKey.get(id);
  if (p === undefined) {
    p = crypto.subtle.importKey("spki", key.spki, params, false, ["verify"]).catch((cause: unknown) => {
      throw new SignetCryptoError("ERR_KEY_MALFORMED", "public key rejected by WebCrypto", { cause });
    });
    perKey.set(id, p);
  }
  return p;
}

/**
 * True when `signature` is valid over `data` (the message, hashed by the
 * algorithm). ECDSA signatures are DER (RFC 5480 §2.2), converted strictly to
 * the raw form WebCrypto wants. Malformed signatures and keys return false.
 */
export async function isValidSignature(key: PublicKeyInfo, alg: SignatureAlgorithm, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  try {
    const cryptoKey = await importVerifyKey(key, alg);
    const msg = toBytes(data);
    switch (alg.kind) {
      case "ecdsa": {
        if (key.kind !== "ecdsa") return false;
        const raw = ecdsaDerToRaw(signature, FIELD_BYTES[key.curve]);
        return await crypto.subtle.verify({ name: "ECDSA", hash: alg.hash }, cryptoKey, raw, msg);
      }
      case "rsa-pkcs1":
        return await crypto.subtle.verify({ name: "RSASSA-PKCS1-v1_5" }, cryptoKey, toBytes(signature), msg);
      case "rsa-pss":
        return await crypto.subtle.verify({ name: "RSA-PSS", saltLength: alg.saltLength }, cryptoKey, toBytes(signature), msg);
      case "ed25519":
        return await crypto.subtle.verify({ name: "Ed25519" }, cryptoKey, toBytes(signature), msg);
    }
  } catch (e) {
    // WebCrypto without Ed25519 (older engines): fall back to @noble/curves.
    if (alg.kind === "ed25519" && key.kind === "ed25519" && e instanceof SignetCryptoError && e.code === "ERR_KEY_MALFORMED") {
      try {
        return signature.length === 64 && ed25519.verify(signature, data, key.point);
      } catch {
        return false;
      }
    }
    return false;
  }
}

/** Verify `signature` over `data`; throws `code` (default ERR_SIGNATURE_INVALID) when it does not verify. */
export async function verifySignature(
  key: PublicKeyInfo,
  alg: SignatureAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
  code: `ERR_${string}` = "ERR_SIGNATURE_INVALID",
): Promise<void> {
  if (!(await isValidSignature(key, alg, data, signature))) throw new SignetCryptoError(code, "signature does not verify");
}

// ---- verification over a precomputed digest ----------------------------------

const DIGEST_INFO_PREFIX: Record<HashName, Bytes> = {
  // RFC 8017 §9.2 note 1: DER of DigestInfo up to the digest bytes.
  "SHA-256": Uint8Array.from([0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]) as Bytes,
  "SHA-384": Uint8Array.from([0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30]) as Bytes,
  "SHA-512": Uint8Array.from([0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40]) as Bytes,
};
const HASH_BYTES: Record<HashName, number> = { "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 };

function toBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function toFixedBytes(v: bigint, len: number): Bytes {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out as Bytes;
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

function mgf1(hash: HashName, seed: Uint8Array, len: number): Bytes {
  const out = new Uint8Array(len);
  let off = 0;
  for (let counter = 0; off < len; counter++) {
    const c = Uint8Array.of(counter >>> 24, (counter >>> 16) & 255, (counter >>> 8) & 255, counter & 255);
    const block = digestSync(hash, concatBytes(seed, c));
    out.set(block.subarray(0, Math.min(block.length, len - off)), off);
    off += block.length;
  }
  return out as Bytes;
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2) over a message hash `mHash`. */
function pssVerify(hash: HashName, mHash: Uint8Array, em: Uint8Array, emBits: number, saltLength: number): boolean {
  const hLen = HASH_BYTES[hash];
  const emLen = Math.ceil(emBits / 8);
  if (mHash.length !== hLen || emLen < hLen + saltLength + 2 || em.length !== emLen) return false;
  if (em[emLen - 1] !== 0xbc) return false;
  const maskedDB = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const zeroBits = 8 * emLen - emBits;
  if (zeroBits > 0 && (maskedDB[0]! >> (8 - zeroBits)) !== 0) return false;
  const db = mgf1(hash, h, maskedDB.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= maskedDB[i]!;
  if (zeroBits > 0) db[0]! &= 0xff >> zeroBits;
  const psLen = emLen - hLen - saltLength - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 0x01) return false;
  const salt = db.subarray(db.length - saltLength);
  const mPrime = concatBytes(new Uint8Array(8), mHash, salt);
  return bytesEqual(digestSync(hash, mPrime), h);
}

/**
 * True when `signature` is valid over a precomputed digest (Sigstore's
 * "verify by digest" mode). ECDSA (SEC 1 §4.1.4) and RSA (RFC 8017 §8.2.2,
 * §8.1.2) work over a digest; Ed25519 signs the message itself, so it cannot.
 */
export function isValidSignatureOverDigest(key: PublicKeyInfo, alg: SignatureAlgorithm, messageDigest: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (alg.kind !== "ed25519" && messageDigest.length !== HASH_BYTES[alg.hash]) return false;
    if (alg.kind === "ecdsa" && key.kind === "ecdsa") {
      const raw = ecdsaDerToRaw(signature, FIELD_BYTES[key.curve]);
      const curve = key.curve === "P-256" ? p256 : key.curve === "P-384" ? p384 : p521;
      return curve.verify(raw, messageDigest, key.point, { prehash: false, lowS: false, format: "compact" });
    }
    if ((alg.kind === "rsa-pkcs1" || alg.kind === "rsa-pss") && key.kind === "rsa") {
      const k = Math.ceil(key.modulusBits / 8);
      if (signature.length !== k) return false;
      const n = toBigInt(key.modulus);
      const s = toBigInt(signature);
      if (s >= n) return false;
      const m = modPow(s, toBigInt(key.exponent), n);
      if (alg.kind === "rsa-pss") {
        const emBits = key.modulusBits - 1;
        return pssVerify(alg.hash, messageDigest, toFixedBytes(m, Math.ceil(emBits / 8)), emBits, alg.saltLength);
      }
      const em = toFixedBytes(m, k);
      const t = concatBytes(DIGEST_INFO_PREFIX[alg.hash], messageDigest);
      if (k < t.length + 11) return false;
      const expected = new Uint8Array(k);
      expected[1] = 0x01;
      expected.fill(0xff, 2, k - t.length - 1);
      expected.set(t, k - t.length);
      return bytesEqual(em, expected);
    }
    return false;
  } catch {
    return false;
  }
}

/** SHA-256 of the SPKI DER: Sigstore's log ID / key hint for a key (RFC 6962 §3.2). */
export function keyId(key: PublicKeyInfo): Bytes {
  return digestSync("SHA-256", key.spki);
}

/** Content of the SPKI BIT STRING (EC point / RSAPublicKey / Ed25519 key). */
export function spkiKeyBytes(key: PublicKeyInfo): Bytes {
  const root = parseDer(key.spki);
  return toBytes(derContent(root.children[1]!).subarray(1));
}
