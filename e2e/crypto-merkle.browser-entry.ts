/**
 * Browser entry for e2e/crypto-merkle.browser.spec.ts (bundled by e2e/harness/browser-bundle.ts).
 * The spec also calls `run` directly in Node, so both runtimes execute exactly this code.
 *
 * Fixtures: `merkle/<path>.json` probes from /work/shared/vectors/merkle (inclusion, consistency,
 * subtreeinclusion, subtreeconsistency), and `notes.json` with
 * signed notes/checkpoints and their keys.
 */
import { fromBase64 } from "../packages/crypto/src/encoding/base64.ts";
import { isSignetCryptoError } from "../packages/crypto/src/errors.ts";
import {
  createEcdsaNoteVerifier,
  createEd25519NoteVerifier,
  hashLeaf,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
  verifySubtreeConsistency,
  verifySubtreeInclusion,
} from "../packages/crypto/src/transparency.ts";

export interface NoteCase {
  /** Signed checkpoint text. */
  readonly checkpoint: string;
  readonly keyName: string;
  readonly keyType: "ed25519" | "ecdsa";
  /** Base64: raw Ed25519 key or ECDSA SPKI DER. */
  readonly publicKey: string;
  /** Optional inclusion proof to check against the verified checkpoint. */
  readonly inclusion?: { readonly index: string; readonly leaf: string; readonly hashes: readonly string[] };
}

export interface MerkleRunResult {
  readonly runtime: string;
  readonly subtle: boolean;
  /** Probe path → "ok" or the error code. */
  readonly probes: Record<string, string>;
  /** Note case name → "ok" or the error code. */
  readonly notes: Record<string, string>;
}

// int64 fields may exceed 2^53 (leafIdx 2^64-1): quote them before JSON.parse so BigInt sees every digit.
function parseProbe(text: string): Record<string, unknown> {
  return JSON.parse(text.replace(/("(?:leafIdx|treeSize|size1|size2|start|end|size)"\s*:\s*)(-?\d+)/g, '$1"$2"')) as Record<string, unknown>;
}

async function outcome(run: () => unknown): Promise<string> {
  try {
    await run();
    return "ok";
  } catch (e) {
    return isSignetCryptoError(e) ? e.code : `UNTYPED: ${String(e)}`;
  }
}

const b64 = (s: unknown): Uint8Array => fromBase64(String(s));
const hashes = (p: unknown): Uint8Array[] => ((p ?? []) as string[]).map(b64);

export async function run(fixtures: Record<string, string | Uint8Array>): Promise<MerkleRunResult> {
  const probes: Record<string, string> = {};
  for (const [name, text] of Object.entries(fixtures)) {
    if (!name.startsWith("merkle/")) continue;
    const v = parseProbe(String(text));
    probes[name] = await outcome(() => {
      if (name.startsWith("merkle/inclusion/")) {
        return verifyInclusion({
          index: BigInt(v.leafIdx as string),
          size: BigInt(v.treeSize as string),
          leafHash: b64(v.leafHash),
          proof: hashes(v.proof),
          root: b64(v.root),
        });
      }
      if (name.startsWith("merkle/consistency/")) {
        return verifyConsistency({
          size1: BigInt(v.size1 as string),
          size2: BigInt(v.size2 as string),
          root1: b64(v.root1),
          root2: b64(v.root2),
          proof: hashes(v.proof),
        });
      }
      if (name.startsWith("merkle/subtreeinclusion/")) {
        return verifySubtreeInclusion({
          index: BigInt(v.leafIdx as string),
          start: BigInt(v.start as string),
          end: BigInt(v.end as string),
          leafHash: b64(v.leafHash),
          proof: hashes(v.proof),
          root: b64(v.root),
        });
      }
      return verifySubtreeConsistency({
        start: BigInt(v.start as string),
        end: BigInt(v.end as string),
        size: BigInt(v.size as string),
        subtreeRoot: b64(v.root1),
        root: b64(v.root2),
        proof: hashes(v.proof),
      });
    });
  }

  const notes: Record<string, string> = {};
  const cases = JSON.parse(String(fixtures["notes.json"] ?? "{}")) as Record<string, NoteCase>;
  for (const [name, c] of Object.entries(cases)) {
    notes[name] = await outcome(async () => {
      const key = b64(c.publicKey);
      const verifier =
        c.keyType === "ed25519"
          ? await createEd25519NoteVerifier({ name: c.keyName, publicKey: key })
          : await createEcdsaNoteVerifier({ name: c.keyName, spki: key });
      const { checkpoint } = await verifyCheckpoint(c.checkpoint, [verifier]);
      if (c.inclusion !== undefined) {
        verifyInclusion({
          index: BigInt(c.inclusion.index),
          size: checkpoint.size,
          leafHash: hashLeaf(b64(c.inclusion.leaf)),
          proof: c.inclusion.hashes.map(b64),
          root: checkpoint.rootHash,
        });
      }
    });
  }

  return {
    runtime: typeof navigator !== "undefined" ? navigator.userAgent : "unknown",
    subtle: typeof crypto !== "undefined" && typeof crypto.subtle !== "undefined",
    probes,
    notes,
  };
}
