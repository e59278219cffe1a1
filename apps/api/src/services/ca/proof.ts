/**
 * Proof of possession of the key to be certified (SECURITY.md B1), in Fulcio's two forms
 * (INTEROP.md §1): a signature over the UTF-8 bytes of the token's challenge claim, or a PKCS#10
 * certification request whose self-signature verifies (RFC 2986 §4); of a CSR only the key is used.
 */
import { constants, hash, verify } from "node:crypto";
import { verifyPrehashed } from "@signet/native";
import { ecdsaDerToRaw, expectChildren, expectTag, parseDer, readSmallInteger, TAG, contextTag, derRaw, type DerNode } from "@signet/crypto/asn1/der";
import { isValidSignature } from "@signet/crypto/keys";
import { parsePem } from "@signet/crypto/pem";
import { parseSignatureAlgorithm } from "@signet/crypto/x509/certificate";
import { DomainError } from "../../errors.ts";
import type { CheckedPublicKey } from "./public-key.ts";
import { checkLeafPublicKey } from "./public-key.ts";

/** How the requester proves it holds the private key. */
export type ProofOfPossession =
  /** DER ECDSA, RSA PKCS#1 v1.5 or Ed25519 signature over the challenge claim's UTF-8 bytes. */
  | { readonly kind: "challenge"; readonly signature: Uint8Array }
  /** A PKCS#10 request, DER or PEM ("CERTIFICATE REQUEST"). */
  | { readonly kind: "csr"; readonly csr: Uint8Array };

/** Caps checked before parsing. */
export const PROOF_MAX_SIGNATURE_BYTES = 1024;
export const CSR_MAX_BYTES = 16 * 1024;

const FIELD_BYTES = { "P-256": 32, "P-384": 48, "P-521": 66 } as const;
const CURVE_HASH = { "P-256": "sha256", "P-384": "sha384", "P-521": "sha512" } as const;

function proofInvalid(message: string): DomainError {
  return new DomainError("BAD_REQUEST", "ERR_CA_PROOF_INVALID", message);
}

/**
 * Verify a challenge signature (Fulcio pkg/challenges CheckSignature): over exactly `challenge`'s UTF-8
 * bytes, by `key`. ECDSA signatures must be strict DER; SHA-256 is accepted for every curve (what Fulcio
 * and sigstore clients use) as well as the curve's own hash. Throws ERR_CA_PROOF_INVALID.
 */
export function verifyChallengeSignature(key: CheckedPublicKey, challenge: string, signature: Uint8Array): void {
  // attacker-controlled: the signature bytes
  if (signature.length === 0) throw new DomainError("BAD_REQUEST", "ERR_CA_PROOF_MISSING", "proof of possession is empty");
  if (signature.length > PROOF_MAX_SIGNATURE_BYTES) throw proofInvalid("proof of possession too long");
  const data = Buffer.from(challenge, "utf8");
  const sig = Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength);
  let ok = false;
  try {
    switch (key.info.kind) {
      case "ecdsa": {
        // Strict DER first (C1: exactly one encoding); it throws on raw r‖s, BER and trailing bytes.
        ecdsaDerToRaw(signature, FIELD_BYTES[key.info.curve]);
        // OpenSSL over the SPKI directly: no KeyObject to build for a key used once (~0.15 ms saved).
        const hashes = new Set(["sha256", CURVE_HASH[key.info.curve]] as const);
        for (const h of hashes) {
          if (verifyPrehashed(key.spki, hash(h, data, "buffer"), signature, h)) {
            ok = true;
            break;
          }
        }
        break;
      }
      case "rsa":
        // Fulcio's "RSA_PSS" algorithm name notwithstanding, the challenge is PKCS#1 v1.5 with SHA-256.
        ok = verify("sha256", data, { key: key.key, padding: constants.RSA_PKCS1_PADDING }, sig);
        break;
      case "ed25519":
        ok = sig.length === 64 && verify(null, data, key.key, sig);
        break;
    }
  } catch {
    ok = false;
  }
  if (!ok) throw proofInvalid("proof of possession does not verify for this key and identity");
}

function csrInvalid(message: string): DomainError {
  return new DomainError("BAD_REQUEST", "ERR_CA_CSR_INVALID", message);
}

function toDer(input: Uint8Array): Uint8Array {
  // A PEM starts with '-'; DER with 0x30.
  if (input[0] !== 0x2d) return input;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(input);
  } catch {
    throw csrInvalid("CSR PEM is not UTF-8");
  }
  try {
    return parsePem(text, "CERTIFICATE REQUEST");
  } catch {
    throw csrInvalid("CSR PEM is malformed or not a CERTIFICATE REQUEST");
  }
}

/**
 * Parse a PKCS#10 CertificationRequest (RFC 2986 §4), verify its self-signature, and return its key
 * after the key policy (checkLeafPublicKey). Every other field is ignored, as Fulcio does.
 * Throws ERR_CA_CSR_INVALID, ERR_CA_PROOF_INVALID or an ERR_CA_PUBLIC_KEY_* code.
 */
export async function verifyCertificationRequest(input: Uint8Array): Promise<CheckedPublicKey> {
  // attacker-controlled: the whole request
  if (input.length === 0) throw csrInvalid("CSR is empty");
  if (input.length > CSR_MAX_BYTES) throw csrInvalid("CSR too large");
  const der = toDer(input);
  let info: DerNode;
  let algNode: DerNode | undefined;
  let sigNode: DerNode | undefined;
  let spkiNode: DerNode;
  try {
    const root = parseDer(der, { maxDepth: 16, maxNodes: 4096 });
    [info, algNode, sigNode] = expectChildren(root, TAG.SEQUENCE, "CertificationRequest", 3, 3) as [DerNode, DerNode, DerNode];
    const fields = expectChildren(info, TAG.SEQUENCE, "CertificationRequestInfo", 4, 4);
    if (readSmallInteger(fields[0], "version") !== 0) throw new Error("CSR version must be 0");
    expectTag(fields[1], TAG.SEQUENCE, "subject");
    spkiNode = expectTag(fields[2], TAG.SEQUENCE, "subjectPKInfo");
    expectTag(fields[3], contextTag(0, true), "attributes");
  } catch {
    throw csrInvalid("CSR is not a DER PKCS#10 CertificationRequest");
  }
  const key = checkLeafPublicKey(new Uint8Array(derRaw(spkiNode)));
  let ok: boolean;
  try {
    const alg = parseSignatureAlgorithm(algNode);
    const bits = expectTag(sigNode, TAG.BIT_STRING, "signature");
    const content = bits.buffer.subarray(bits.contentStart, bits.end);
    if (content[0] !== 0) throw new Error("signature BIT STRING not octet-aligned");
    ok = await isValidSignature(key.info, alg, derRaw(info), content.subarray(1));
  } catch {
    throw csrInvalid("CSR signature algorithm is malformed or unsupported");
  }
  if (!ok) throw proofInvalid("CSR self-signature does not verify");
  return key;
}
