/**
 * RFC 3161 client (sigstore/timestamp-authority; INTEROP.md §5): Sigstore
 * timestamps the signature bytes. The request is a DER TimeStampReq with a
 * random nonce and certReq; the answer is checked (status, imprint, nonce,
 * trusted TSA) before it goes in a bundle.
 */
import {
  OID,
  TAG,
  bytesEqual,
  concatBytes,
  encodeOidContent,
  encodeTlv,
  parseTimestampResponse,
  sha256,
  verifyTimestamp,
  type Bytes,
  type TrustedRoot,
  type VerifiedTimestamp,
} from "@signet/crypto";
import { encodeUnsignedInteger } from "@signet/crypto/asn1/der";
import { SignError } from "./errors.ts";
import { sendRequest, type Fetch } from "./http.ts";

/**
 * DER TimeStampReq (RFC 3161 §2.4.1): version 1, a SHA-256 messageImprint of
 * `data`, the nonce, certReq TRUE. No policy, no extensions.
 */
export function createTimestampRequest(data: Uint8Array, nonce: Uint8Array): Bytes {
  const algorithm = encodeTlv(TAG.SEQUENCE, concatBytes(encodeTlv(TAG.OID, encodeOidContent(OID.sha256)), encodeTlv(TAG.NULL, new Uint8Array(0))));
  const imprint = encodeTlv(TAG.SEQUENCE, concatBytes(algorithm, encodeTlv(TAG.OCTET_STRING, sha256(data))));
  return encodeTlv(
    TAG.SEQUENCE,
    concatBytes(encodeUnsignedInteger(Uint8Array.of(1)), imprint, encodeUnsignedInteger(nonce), encodeTlv(TAG.BOOLEAN, Uint8Array.of(0xff))),
  );
}

/** A positive 64-bit nonce (RFC 3161 §2.4.1: a large random number). */
export function createNonce(): Bytes {
  const n = crypto.getRandomValues(new Uint8Array(8)) as Bytes;
  // Never zero: a zero nonce would encode as the one-byte INTEGER 0 and tell nothing.
  n[0] = (n[0]! & 0x7f) | 0x01;
  return n;
}

function stripZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

/**
 * Check a TimeStampResp (DER) for `data`: granted, imprint = SHA-256(data),
 * our nonce echoed, and signed by a TSA of the trusted root (verifyTimestamp).
 * Throws ERR_SIGN_TIMESTAMP_MISMATCH or ERR_SIGN_TIMESTAMP_UNTRUSTED.
 */
export async function verifyTimestampResponse(der: Uint8Array, data: Uint8Array, nonce: Uint8Array, trustedRoot: TrustedRoot): Promise<VerifiedTimestamp> {
  let token;
  try {
    // attacker-controlled: parseTimestampResponse caps size and depth and parses strict DER
    token = parseTimestampResponse(der);
  } catch (cause) {
    throw new SignError("ERR_SIGN_RESPONSE_MALFORMED", "timestamp authority: the answer is not a TimeStampResp", { cause });
  }
  if (token.status !== 0 && token.status !== 1) throw new SignError("ERR_SIGN_TIMESTAMP_MISMATCH", `timestamp authority: status ${token.status}, not granted`);
  if (token.messageImprint.algorithm !== "SHA-256" || !bytesEqual(token.messageImprint.digest, sha256(data))) {
    throw new SignError("ERR_SIGN_TIMESTAMP_MISMATCH", "timestamp authority: the token timestamps something other than our signature");
  }
  if (token.nonce === undefined || !bytesEqual(stripZeros(token.nonce), stripZeros(nonce))) {
    throw new SignError("ERR_SIGN_TIMESTAMP_MISMATCH", "timestamp authority: the token does not echo our nonce (a replayed answer?)");
  }
  try {
    return await verifyTimestamp(token, data, trustedRoot.timestampAuthorities);
  } catch (cause) {
    throw new SignError("ERR_SIGN_TIMESTAMP_UNTRUSTED", `timestamp authority: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** POST a TimeStampReq for `data` to `tsaUrl` (a full URL, per SigningConfig) and check the answer. */
export async function requestTimestamp(fetchFn: Fetch, tsaUrl: string, data: Uint8Array, trustedRoot: TrustedRoot): Promise<{ response: Bytes; verified: VerifiedTimestamp }> {
  const nonce = createNonce();
  const res = await sendRequest(fetchFn, {
    url: tsaUrl,
    method: "POST",
    headers: { "content-type": "application/timestamp-query", accept: "application/timestamp-reply" },
    body: createTimestampRequest(data, nonce),
    what: "timestamp authority",
    maxBytes: 64 * 1024,
  });
  const response = Uint8Array.from(res.body) as Bytes;
  return { response, verified: await verifyTimestampResponse(response, data, nonce, trustedRoot) };
}
