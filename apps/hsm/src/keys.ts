/** Key algorithms and labels the sidecar accepts. */

export type KeyAlgorithm = "P-256" | "P-384" | "Ed25519";
/** The algorithms reachable over the socket: ECDSA over a caller-computed digest. */
export type EcdsaAlgorithm = "P-256" | "P-384";

export interface CurveInfo {
  algorithm: KeyAlgorithm;
  /** DER of the curve OID as PKCS#11 CKA_EC_PARAMS carries it (namedCurve). */
  ecParams: Uint8Array;
  /** Bytes of one coordinate (ECDSA) or of the whole public key (EdDSA). */
  size: number;
  /** Digest that pairs with the curve in Signet (FIPS 186-5 §6.4, RFC 5758 §3.2); none for pure EdDSA. */
  hash: "sha256" | "sha384" | undefined;
}

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));

/** Curves Signet keys may use; OIDs from RFC 5480 §2.1.1.1 and RFC 8410 §3. */
export const CURVES: Readonly<Record<KeyAlgorithm, CurveInfo>> = {
  "P-256": { algorithm: "P-256", ecParams: hex("06082a8648ce3d030107"), size: 32, hash: "sha256" },
  "P-384": { algorithm: "P-384", ecParams: hex("06052b81040022"), size: 48, hash: "sha384" },
  Ed25519: { algorithm: "Ed25519", ecParams: hex("06032b6570"), size: 32, hash: undefined },
};

// PKCS#11 3.0 §2.3.5 also allows CKA_EC_PARAMS as PrintableString "edwards25519".
const EDWARDS25519_PRINTABLE = hex("130c656477617264733235353139");

/** Map CKA_EC_PARAMS bytes to a supported curve, or undefined. */
export function curveFromEcParams(params: Uint8Array): CurveInfo | undefined {
  for (const c of Object.values(CURVES)) if (bytesEqual(c.ecParams, params)) return c;
  if (bytesEqual(params, EDWARDS25519_PRINTABLE)) return CURVES.Ed25519;
  return undefined;
}

/** Type guard for the ECDSA algorithms of the wire protocol. */
export function isEcdsaAlgorithm(v: unknown): v is EcdsaAlgorithm {
  return v === "P-256" || v === "P-384";
}

const KEY_LABEL_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** A key label (CKA_LABEL): 1-64 characters from [A-Za-z0-9._:-], starting with a letter or digit. */
export function isKeyLabel(v: unknown): v is string {
  return typeof v === "string" && KEY_LABEL_RE.test(v);
}

/** Byte equality (not constant time: only for public values). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
