import { toBase64 } from "@signet/crypto/encoding/base64";

/** Bytes of entropy per nonce: 128 bits, as CSP Level 3 §6.7.1 recommends ("at least 128 bits"). */
export const CSP_NONCE_BYTES = 16;

/** A fresh, unguessable CSP nonce (base64 of 16 random bytes); one per document response. */
export function createCspNonce(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(CSP_NONCE_BYTES)));
}
