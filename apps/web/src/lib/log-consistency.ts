/**
 * Is the log's new checkpoint an extension of the one this browser saw before? Rollback and fork
 * detection for the explorer (SECURITY.md E9; C2SP tlog-checkpoint: "A log MUST NOT sign any
 * checkpoint which is inconsistent with any checkpoint it has previously signed"), using RFC 9162
 * §2.1.4 consistency proofs.
 */
import { bytesEqual } from "@signet/crypto/encoding/bytes";
import { SignetCryptoError, isSignetCryptoError } from "@signet/crypto/errors";
import { verifyConsistency } from "@signet/crypto/merkle/consistency";
import { EMPTY_ROOT } from "@signet/crypto/merkle/rfc6962";

/** A tree head: size and root hash. */
export interface TreeHead {
  readonly size: bigint;
  readonly rootHash: Uint8Array;
}

/** Fetches the consistency proof between two sizes (the hashes only; roots come from verified checkpoints). */
export type GetConsistencyProof = (size1: bigint, size2: bigint) => Promise<readonly Uint8Array[]>;

export type ConsistencyVerdict =
  /** Nothing remembered: this checkpoint becomes the reference. */
  | { readonly kind: "first-seen" }
  /** Same size, same root as remembered. */
  | { readonly kind: "unchanged" }
  /** The log grew, and the proof shows the old tree is a prefix of the new one. */
  | { readonly kind: "consistent"; readonly from: TreeHead; readonly proofHashes: number }
  /** The log contradicts what this browser saw before. */
  | {
      readonly kind: "inconsistent";
      readonly reason: "rollback" | "fork" | "bad-proof";
      readonly remembered: TreeHead;
      readonly latest: TreeHead;
      /** For "bad-proof": the verification error code. */
      readonly code: string | undefined;
    }
  /** The proof could not be fetched: nothing is decided, nothing is remembered. */
  | { readonly kind: "unchecked"; readonly remembered: TreeHead; readonly latest: TreeHead; readonly message: string };

/**
 * Compare the latest verified tree head with the remembered one: a smaller size is a rollback,
 * the same size with another root a fork, and growth needs a valid consistency proof.
 * Never throws; a fetch failure is "unchecked", a proof that fails to verify "inconsistent".
 */
export async function checkConsistency(opts: {
  readonly remembered: TreeHead | undefined;
  readonly latest: TreeHead;
  readonly getProof: GetConsistencyProof;
}): Promise<ConsistencyVerdict> {
  const { remembered, latest } = opts;
  if (remembered === undefined) return { kind: "first-seen" };
  const pair = { remembered, latest };
  if (latest.size < remembered.size) return { kind: "inconsistent", reason: "rollback", ...pair, code: undefined };
  if (latest.size === remembered.size) {
    return bytesEqual(latest.rootHash, remembered.rootHash) ? { kind: "unchanged" } : { kind: "inconsistent", reason: "fork", ...pair, code: undefined };
  }
  if (remembered.size === 0n) {
    // The empty tree is a prefix of every tree, provided the remembered root really is the empty root.
    return bytesEqual(remembered.rootHash, EMPTY_ROOT)
      ? { kind: "consistent", from: remembered, proofHashes: 0 }
      : { kind: "inconsistent", reason: "bad-proof", ...pair, code: "ERR_MERKLE_ROOT_MISMATCH" };
  }
  let proof: readonly Uint8Array[];
  try {
    proof = await opts.getProof(remembered.size, latest.size);
  } catch (e) {
    // A log that answers with garbage is as bad as a wrong proof; a network failure decides nothing.
    if (isSignetCryptoError(e) || (e as { code?: unknown })?.code === "ERR_WEB_API_RESPONSE_MALFORMED") {
      return { kind: "inconsistent", reason: "bad-proof", ...pair, code: String((e as { code: unknown }).code) };
    }
    return { kind: "unchecked", ...pair, message: e instanceof Error ? e.message : String(e) };
  }
  try {
    verifyConsistency({ size1: remembered.size, size2: latest.size, root1: remembered.rootHash, root2: latest.rootHash, proof });
  } catch (e) {
    return { kind: "inconsistent", reason: "bad-proof", ...pair, code: isSignetCryptoError(e) ? e.code : "ERR_VERIFY_INTERNAL" };
  }
  return { kind: "consistent", from: remembered, proofHashes: proof.length };
}

/** Whether the latest checkpoint may replace the remembered one after this verdict. */
export function mayRemember(verdict: ConsistencyVerdict): boolean {
  return verdict.kind === "first-seen" || verdict.kind === "consistent";
}

/**
 * Verify consistency between two verified tree heads of the same log (the checkpoint history
 * form). Throws ERR_MERKLE_* when the proof is wrong; equal sizes need equal roots.
 */
export function verifyTreeHeadConsistency(older: TreeHead, newer: TreeHead, proof: readonly Uint8Array[]): void {
  if (older.size === 0n) {
    // RFC 9162 has no proof from the empty tree; it is a prefix of any tree if its root is the empty root.
    if (!bytesEqual(older.rootHash, EMPTY_ROOT)) throw new SignetCryptoError("ERR_MERKLE_ROOT_MISMATCH", "a tree of size 0 must have the empty root");
    if (proof.length !== 0) throw new SignetCryptoError("ERR_MERKLE_PROOF_SIZE", "no proof exists from the empty tree");
    return;
  }
  verifyConsistency({ size1: older.size, size2: newer.size, root1: older.rootHash, root2: newer.rootHash, proof });
}
