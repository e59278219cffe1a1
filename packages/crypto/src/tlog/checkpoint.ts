/**
 * Checkpoint and inclusion verification for bundle log entries: the
 * checkpoint (C2SP signed note + tlog-checkpoint) must be signed by the
 * entry's trusted log, and the Merkle inclusion proof (RFC 6962 §2.1.1) must
 * lead from the entry's leaf hash to the checkpoint's root. Built on
 * note/signed-note.ts, checkpoint/checkpoint.ts and merkle/inclusion.ts.
 */
import { SignetCryptoError } from "../errors.ts";
import { toBase64 } from "../encoding/base64.ts";
import type { UnverifiedTlogEntry } from "../bundle/bundle.ts";
import { parseCheckpoint, type Checkpoint } from "../checkpoint/checkpoint.ts";
import { hashLeaf } from "../merkle/rfc6962.ts";
import { verifyInclusion } from "../merkle/inclusion.ts";
import { createEcdsaNoteVerifier, createEd25519NoteVerifier, verifySignedNote, type NoteVerifier } from "../note/signed-note.ts";
import type { TransparencyLogInstance } from "../trust/trusted-root.ts";

// Note verifiers are derived from the trusted root's log objects, which outlive one verification.
const verifierCache = new WeakMap<TransparencyLogInstance, Promise<NoteVerifier>>();

/**
 * A signed-note verifier for a trusted log: key name = the log's host
 * (INTEROP.md §7 "Choosing the log for a checkpoint"), Ed25519 (type 0x01,
 * Rekor v2) or ECDSA P-256 (type 0x02, Rekor v1). Throws ERR_TLOG_KEY_UNSUPPORTED.
 */
export function noteVerifierForLog(log: TransparencyLogInstance): Promise<NoteVerifier> {
  let v = verifierCache.get(log);
  if (v === undefined) {
    const key = log.publicKey;
    if (key?.kind === "ed25519") v = createEd25519NoteVerifier({ name: log.host, publicKey: key.point });
    else if (key?.kind === "ecdsa" && key.curve === "P-256") v = createEcdsaNoteVerifier({ name: log.host, spki: key.spki });
    else v = Promise.reject(new SignetCryptoError("ERR_TLOG_KEY_UNSUPPORTED", `log ${log.baseUrl} has no checkpoint-capable key`));
    verifierCache.set(log, v);
  }
  return v;
}

/**
 * Verify the entry's checkpoint against `log` (C2SP signed-note: unknown keys
 * ignored, a failing known key rejects) and check its origin names that log:
 * `<host>` (Rekor v2) or `<host> - <tree ID>` (Rekor v1). Returns the checkpoint.
 * Throws ERR_NOTE_*, ERR_CHECKPOINT_MALFORMED or ERR_CHECKPOINT_ORIGIN_MISMATCH.
 */
export async function verifyEntryCheckpoint(entry: UnverifiedTlogEntry, log: TransparencyLogInstance): Promise<Checkpoint> {
  const envelope = entry.inclusionProof?.checkpoint;
  if (envelope === undefined) throw new SignetCryptoError("ERR_TLOG_NO_INCLUSION_PROOF", "entry has no checkpoint");
  const verifier = await noteVerifierForLog(log);
  const note = await verifySignedNote(envelope, [verifier]);
  const checkpoint = parseCheckpoint(note.text);
  if (checkpoint.origin !== log.host && !checkpoint.origin.startsWith(`${log.host} - `)) {
    throw new SignetCryptoError("ERR_CHECKPOINT_ORIGIN_MISMATCH", `checkpoint origin ${JSON.stringify(checkpoint.origin)} is not log ${log.host}`);
  }
  return checkpoint;
}

/**
 * Verify the entry's inclusion proof up to `root` of a tree of `size` leaves
 * (the checkpoint's, never the proof's own treeSize/rootHash). Throws ERR_MERKLE_*.
 */
export function verifyEntryInclusion(entry: UnverifiedTlogEntry, checkpoint: Checkpoint): void {
  const proof = entry.inclusionProof;
  if (proof === undefined) throw new SignetCryptoError("ERR_TLOG_NO_INCLUSION_PROOF", `entry ${toBase64(entry.logId)} has no inclusion proof`);
  verifyInclusion({
    index: proof.logIndex,
    size: checkpoint.size,
    leafHash: hashLeaf(entry.canonicalizedBody),
    proof: proof.hashes,
    root: checkpoint.rootHash,
  });
}
