/**
 * The one signing interface the rest of Signet sees (CA certificates, log checkpoints, timestamps).
 * Production uses `createHsmSigner` from `@signet/hsm/client`; unit tests of other apps use
 * `createMemorySigner` below.
 */
import { createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { HsmError } from "./errors.ts";

export type SignerAlgorithm = "P-256" | "P-384";

export interface Signer {
  /** ECDSA curve; the signature hash is SHA-256 for P-256 and SHA-384 for P-384. */
  readonly algorithm: SignerAlgorithm;
  /** SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7). */
  publicKey(): Promise<Uint8Array>;
  /** Hash `data` and sign it; returns a DER ECDSA-Sig-Value (RFC 3279 §2.2.3), already verified against publicKey(). */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** The hash that pairs with each curve (RFC 5758 §3.2). */
export const SIGNER_HASH: Readonly<Record<SignerAlgorithm, "sha256" | "sha384">> = {
  "P-256": "sha256",
  "P-384": "sha384",
};

const NAMED_CURVE: Readonly<Record<SignerAlgorithm, string>> = { "P-256": "prime256v1", "P-384": "secp384r1" };

/** Verify a DER ECDSA signature over `data` with an SPKI key; false for any malformed input (fail closed). */
export function verifyEcdsaDer(
  spki: Uint8Array | KeyObject,
  algorithm: SignerAlgorithm,
  data: Uint8Array,
  der: Uint8Array,
): boolean {
  try {
    const key = spki instanceof Uint8Array ? createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" }) : spki;
    return nodeVerify(SIGNER_HASH[algorithm], data, { key, dsaEncoding: "der" }, der);
  } catch {
    return false;
  }
}

/**
 * TEST ONLY: a Signer over an in-memory software key, for unit tests of code that takes a Signer.
 * Never use it outside tests: the key lives in process memory, which is exactly what the HSM prevents.
 */
export function createMemorySigner(algorithm: SignerAlgorithm = "P-256"): Signer {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: NAMED_CURVE[algorithm] });
  const spki = new Uint8Array(publicKey.export({ format: "der", type: "spki" }));
  return {
    algorithm,
    publicKey: async () => spki.slice(),
    sign: async (data) => {
      const der = new Uint8Array(nodeSign(SIGNER_HASH[algorithm], data, { key: privateKey, dsaEncoding: "der" }));
      if (!verifyEcdsaDer(publicKey, algorithm, data, der)) {
        throw new HsmError("ERR_HSM_SIGNATURE_INVALID", "memory signer produced an invalid signature");
      }
      return der;
    },
  };
}
