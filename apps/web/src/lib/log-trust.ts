/**
 * The log the explorer trusts, taken from a trusted root (INTEROP.md §7): its key verifies
 * checkpoints, and its host is both the signed-note key name and the checkpoint origin
 * (C2SP tlog-checkpoint "origin"; this instance's API uses the host of its public URL).
 */
import type { Checkpoint } from "@signet/crypto/checkpoint/checkpoint";
import { verifyCheckpoint } from "@signet/crypto/checkpoint/checkpoint";
import { toHex } from "@signet/crypto/encoding/hex";
import { SIGNATURE_TYPE_ED25519, computeEcdsaKeyId, computeKeyId } from "@signet/crypto/note/signed-note";
import { noteVerifierForLog } from "@signet/crypto/tlog/checkpoint";
import { isWithin } from "@signet/crypto/trust/time-range";
import type { TransparencyLogInstance, TrustedRoot } from "@signet/crypto/trust/trusted-root";
import { SignetWebError } from "../errors.ts";

/**
 * The explorer's log: the first tlog of the root whose key can sign checkpoints (ECDSA P-256 or
 * Ed25519) and is valid at `now`. Throws ERR_WEB_TRUST_NO_LOG.
 */
export function selectExplorerLog(root: TrustedRoot, now: number = Date.now()): TransparencyLogInstance {
  const usable = root.tlogs.find(
    (l) => (l.publicKey?.kind === "ed25519" || (l.publicKey?.kind === "ecdsa" && l.publicKey.curve === "P-256")) && isWithin(l.validFor, now),
  );
  if (usable === undefined) throw new SignetWebError("ERR_WEB_TRUST_NO_LOG", "the trusted root names no transparency log with a usable, currently valid key");
  return usable;
}

/** The log key's signed-note key ID (C2SP signed-note), hex, for display. */
export function logKeyIdHex(log: TransparencyLogInstance): string {
  const key = log.publicKey;
  if (key?.kind === "ecdsa") return toHex(computeEcdsaKeyId(key.spki));
  if (key?.kind === "ed25519") return toHex(computeKeyId(log.host, SIGNATURE_TYPE_ED25519, key.point));
  return "";
}

/**
 * Verify a signed checkpoint against the trusted log key and pin its origin to the log's host
 * (C2SP signed-note: unknown signatures are ignored, a failing known key rejects). Throws
 * ERR_NOTE_*, ERR_CHECKPOINT_MALFORMED or ERR_CHECKPOINT_ORIGIN_MISMATCH.
 */
export async function verifyLogCheckpoint(note: string, log: TransparencyLogInstance): Promise<Checkpoint> {
  // attacker-controlled: the note comes from the log server; verifyCheckpoint caps and parses strictly
  const verified = await verifyCheckpoint(note, [await noteVerifierForLog(log)], { origin: log.host });
  return verified.checkpoint;
}
