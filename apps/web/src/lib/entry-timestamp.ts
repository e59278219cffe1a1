/**
 * The signed entry timestamp (SET) the log returns with an entry: its signature over the entry's
 * body, integrated time, log ID and index (Rekor v1 inclusion promise), checked with the trusted
 * log key so the explorer can show the integrated time as signed rather than merely stated.
 */
import type { UnverifiedTlogEntry } from "@signet/crypto/bundle/bundle";
import { verifySignedEntryTimestamp } from "@signet/crypto/tlog/set";
import type { TransparencyLogInstance } from "@signet/crypto/trust/trusted-root";

/** Verify an explorer entry's SET against `log`; returns the signed integrated time (ms). Throws ERR_TLOG_*. */
export async function verifyExplorerEntryTimestamp(
  entry: {
    readonly index: bigint;
    readonly integratedTime: bigint;
    readonly body: Uint8Array;
    readonly signedEntryTimestamp: Uint8Array;
    readonly kind: string;
    readonly apiVersion: string;
  },
  log: TransparencyLogInstance,
): Promise<number> {
  const tlogEntry: UnverifiedTlogEntry = {
    logIndex: entry.index,
    logId: log.logId,
    kindVersion: { kind: entry.kind, version: entry.apiVersion },
    integratedTime: entry.integratedTime,
    inclusionPromise: { signedEntryTimestamp: Uint8Array.from(entry.signedEntryTimestamp) },
    inclusionProof: undefined,
    canonicalizedBody: Uint8Array.from(entry.body),
  };
  await verifySignedEntryTimestamp(tlogEntry, [log]);
  return Number(entry.integratedTime) * 1000;
}
