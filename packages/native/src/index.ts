/**
 * Verify a signature over a digest the caller did not compute (hashedrekord entries carry only the
 * artifact digest). Uses the native addon over Node's own OpenSSL when it is built (about 16k P-256
 * verifications/s per core) and falls back to @noble/curves (about 460/s) when it is not, so a
 * missing build costs speed, never correctness.
 */
import { createRequire } from "node:module";
import { createPublicKey } from "node:crypto";
import { p256, p384, p521 } from "@noble/curves/nist.js";

export type DigestName = "sha256" | "sha384" | "sha512";

interface NativeBinding {
  verifyPrehashed(spki: Uint8Array, digest: Uint8Array, signature: Uint8Array, md: string): boolean;
}

function loadNative(): NativeBinding | undefined {
  try {
    return createRequire(import.meta.url)("../build/Release/signet_native.node") as NativeBinding;
  } catch {
    return undefined;
  }
}

const native = loadNative();

/** Which implementation verifies: "native" (OpenSSL) or "js" (@noble/curves fallback). */
export const prehashedBackend: "native" | "js" = native ? "native" : "js";

const DIGEST_SIZE: Record<DigestName, number> = { sha256: 32, sha384: 48, sha512: 64 };

/**
 * True when `signature` (DER ECDSA, or RSA PKCS#1 v1.5) verifies over `digest` for the public key
 * `spkiDer`. Any malformed input is simply false: callers treat false as "invalid".
 */
export function verifyPrehashed(spkiDer: Uint8Array, digest: Uint8Array, signature: Uint8Array, digestName: DigestName): boolean {
  if (digest.length !== DIGEST_SIZE[digestName]) return false;
  if (native) return native.verifyPrehashed(spkiDer, digest, signature, digestName);
  return verifyPrehashedJs(spkiDer, digest, signature);
}

function verifyPrehashedJs(spkiDer: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(spkiDer), format: "der", type: "spki" });
    if (key.asymmetricKeyType !== "ec") return false;
    const jwk = key.export({ format: "jwk" });
    const curve = jwk.crv === "P-256" ? p256 : jwk.crv === "P-384" ? p384 : jwk.crv === "P-521" ? p521 : undefined;
    if (!curve || !jwk.x || !jwk.y) return false;
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")]);
    return curve.verify(signature, digest, point, { prehash: false, format: "der", lowS: false });
  } catch {
    return false;
  }
}
