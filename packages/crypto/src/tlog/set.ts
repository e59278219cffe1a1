/**
 * Signed Entry Timestamps (Rekor v1 inclusion promises): the log's signature
 * over the JCS (RFC 8785) of {body, integratedTime, logID, logIndex}
 * (sigstore-js packages/verify/src/tlog/set.ts; INTEROP.md last section).
 */
import { SignetCryptoError } from "../errors.ts";
import { utf8 } from "../encoding/bytes.ts";
import { toBase64 } from "../encoding/base64.ts";
import { toHex } from "../encoding/hex.ts";
import type { UnverifiedTlogEntry } from "../bundle/bundle.ts";
import { defaultSignatureAlgorithm, isValidSignature } from "../keys.ts";
import { canonicalize } from "../json/canonical.ts";
import { findLogsById, type TransparencyLogInstance } from "../trust/trusted-root.ts";

/** The exact bytes a SET signs. Numbers stay exact because both fields are capped at 2^53−1. */
export function signedEntryTimestampPayload(entry: UnverifiedTlogEntry): Uint8Array {
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  if (entry.integratedTime > max || entry.logIndex > max) {
    throw new SignetCryptoError("ERR_TLOG_SET_INVALID", "integratedTime or logIndex too large for a JSON number");
  }
  return utf8(
    canonicalize({
      body: toBase64(entry.canonicalizedBody),
      integratedTime: Number(entry.integratedTime),
      logID: toHex(entry.logId),
      logIndex: Number(entry.logIndex),
    }),
  );
}

/**
 * Verify an entry's SET against the trusted log with its log ID whose key is
 * valid at the integrated time (closed interval). Returns that log; throws
 * ERR_TLOG_UNKNOWN_LOG or ERR_TLOG_SET_INVALID.
 */
export async function verifySignedEntryTimestamp(
  entry: UnverifiedTlogEntry,
  tlogs: readonly TransparencyLogInstance[],
): Promise<TransparencyLogInstance> {
  if (entry.inclusionPromise === undefined) throw new SignetCryptoError("ERR_TLOG_SET_INVALID", "entry has no signed entry timestamp");
  const time = Number(entry.integratedTime) * 1000;
  const logs = findLogsById(tlogs, entry.logId, time);
  if (logs.length === 0) throw new SignetCryptoError("ERR_TLOG_UNKNOWN_LOG", `no trusted log ${toBase64(entry.logId)} valid at ${new Date(time).toISOString()}`);
  const payload = signedEntryTimestampPayload(entry);
  for (const log of logs) {
    if (log.publicKey === undefined) continue;
    if (await isValidSignature(log.publicKey, defaultSignatureAlgorithm(log.publicKey), payload, entry.inclusionPromise.signedEntryTimestamp)) return log;
  }
  throw new SignetCryptoError("ERR_TLOG_SET_INVALID", "signed entry timestamp does not verify");
}
