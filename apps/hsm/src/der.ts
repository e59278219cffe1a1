/**
 * The few DER structures the sidecar needs: SubjectPublicKeyInfo from PKCS#11 EC attributes,
 * and ECDSA signatures between raw r‖s (PKCS#11, WebCrypto) and DER (X.509, Sigstore).
 */
import { HsmError } from "./errors.ts";
import type { CurveInfo } from "./keys.ts";

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));

// OID id-ecPublicKey (RFC 5480 §2.1.1), followed by the namedCurve OID inside the AlgorithmIdentifier.
const ID_EC_PUBLIC_KEY = hex("06072a8648ce3d0201");

/**
 * Turn CKA_EC_POINT into the bare public point: 04‖X‖Y for Weierstrass curves, the 32-byte key for Ed25519.
 * PKCS#11 v2.40 §2.3.3 wraps it in a DER OCTET STRING; some modules return it unwrapped, told apart by length.
 */
export function toPublicPoint(curve: CurveInfo, ecPoint: Uint8Array): Uint8Array {
  const bare = curve.algorithm === "Ed25519" ? curve.size : 1 + 2 * curve.size;
  let point: Uint8Array;
  if (ecPoint.length === bare) point = ecPoint;
  else if (ecPoint.length === bare + 2 && ecPoint[0] === 0x04 && ecPoint[1] === bare) point = ecPoint.subarray(2);
  else throw new HsmError("ERR_HSM_UNAVAILABLE", `token returned a malformed CKA_EC_POINT (${ecPoint.length} bytes)`);
  if (curve.algorithm !== "Ed25519" && point[0] !== 0x04) {
    throw new HsmError("ERR_HSM_UNAVAILABLE", "token returned a compressed or invalid EC point");
  }
  return point;
}

/** Build SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7; RFC 5480 §2 for EC, RFC 8410 §4 for Ed25519). */
export function toSpki(curve: CurveInfo, point: Uint8Array): Uint8Array {
  const algId =
    curve.algorithm === "Ed25519"
      ? tlv(0x30, curve.ecParams) // id-Ed25519 with absent parameters
      : tlv(0x30, concat(ID_EC_PUBLIC_KEY, curve.ecParams));
  return tlv(0x30, concat(algId, tlv(0x03, concat(Uint8Array.of(0), point))));
}

/** Convert an IEEE P1363 raw r‖s signature to DER `ECDSA-Sig-Value` (RFC 3279 §2.2.3). */
export function rawToDerSignature(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0 || raw.length > 132) {
    throw new HsmError("ERR_HSM_SIGNATURE_INVALID", `raw ECDSA signature has bad length ${raw.length}`);
  }
  const half = raw.length / 2;
  return tlv(0x30, concat(derUnsignedInteger(raw.subarray(0, half)), derUnsignedInteger(raw.subarray(half))));
}

/** Convert DER `ECDSA-Sig-Value` to raw r‖s of `size` bytes per half, rejecting non-minimal encodings. */
export function derToRawSignature(der: Uint8Array, size: number): Uint8Array {
  const bad = (why: string): never => {
    throw new HsmError("ERR_HSM_SIGNATURE_INVALID", `DER ECDSA signature ${why}`);
  };
  // attacker-controlled: callers may pass signatures they did not produce; every length is checked before use.
  if (der.length < 8 || der[0] !== 0x30) bad("does not start with a SEQUENCE");
  const seqLen = der[1]!;
  let off = 2;
  if (seqLen === 0x81) {
    if (der[2]! < 0x80) bad("uses a non-minimal length");
    off = 3;
  } else if (seqLen > 0x80) bad("has an unsupported length form");
  const bodyLen = seqLen === 0x81 ? der[2]! : seqLen;
  if (off + bodyLen !== der.length) bad("has trailing or missing bytes");
  const out = new Uint8Array(2 * size);
  for (let i = 0; i < 2; i++) {
    if (der[off] !== 0x02) bad("lacks an INTEGER");
    const len = der[off + 1]!;
    if (len === 0 || len > size + 1 || off + 2 + len > der.length) bad("has a bad INTEGER length");
    let v = der.subarray(off + 2, off + 2 + len);
    if (v[0]! & 0x80) bad("has a negative INTEGER");
    if (v.length > 1 && v[0] === 0 && !(v[1]! & 0x80)) bad("has a non-minimal INTEGER");
    if (v[0] === 0 && v.length > 1) v = v.subarray(1);
    if (v.length > size) bad("has an INTEGER wider than the curve");
    out.set(v, (i + 1) * size - v.length);
    off += 2 + len;
  }
  if (off !== der.length) bad("has trailing bytes");
  return out;
}

function derUnsignedInteger(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  if (v.length === 1 && v[0] === 0) throw new HsmError("ERR_HSM_SIGNATURE_INVALID", "ECDSA r or s is zero");
  return tlv(0x02, v[0]! & 0x80 ? concat(Uint8Array.of(0), v) : v);
}

function tlv(tag: number, body: Uint8Array): Uint8Array {
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return concat(Uint8Array.of(tag, ...len), body);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
