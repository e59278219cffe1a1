/**
 * The last verified checkpoint this browser saw, per log origin, in localStorage (SECURITY.md E9).
 * Only checkpoints whose signature verified and that were consistent with the previous one are
 * ever written, so the stored tree head is the browser's own view of the log's history.
 */
import { fromBase64, toBase64 } from "@signet/crypto/encoding/base64";

/** A tree head the browser has accepted. */
export interface RememberedCheckpoint {
  readonly origin: string;
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  /** The signed note it came from (for display; the tree head is what comparisons use). */
  readonly note: string;
  /** When this browser accepted it (ms since the epoch). */
  readonly seenAt: number;
}

/** The subset of the Web Storage API used here (window.localStorage, or a Map-backed double in tests). */
export interface CheckpointStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export type LoadedCheckpoint =
  | { readonly kind: "none" }
  | { readonly kind: "remembered"; readonly checkpoint: RememberedCheckpoint }
  /** Something is stored but it is not a checkpoint record: never silently replaced. */
  | { readonly kind: "unreadable" };

const KEY_PREFIX = "signet.explorer.checkpoint.v1:";
const MAX_RECORD_CHARS = 256 * 1024;

/** The localStorage key for a log origin. */
export function checkpointStorageKey(origin: string): string {
  return `${KEY_PREFIX}${origin}`;
}

/** Serialize a tree head for storage (`size` as a decimal string, the root as base64). */
export function serializeRememberedCheckpoint(cp: RememberedCheckpoint): string {
  return JSON.stringify({ v: 1, origin: cp.origin, size: cp.size.toString(), rootHash: toBase64(cp.rootHash), note: cp.note, seenAt: cp.seenAt });
}

/** Parse a stored record strictly; undefined when it is not one (wrong version, origin, size or root). */
export function parseRememberedCheckpoint(raw: string, origin: string): RememberedCheckpoint | undefined {
  // attacker-controlled: anything with script access to this origin can write localStorage
  if (raw.length > MAX_RECORD_CHARS) return undefined;
  let o: unknown;
  try {
    o = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof o !== "object" || o === null) return undefined;
  const r = o as Record<string, unknown>;
  if (r["v"] !== 1 || r["origin"] !== origin) return undefined;
  const size = r["size"];
  if (typeof size !== "string" || !/^(0|[1-9][0-9]{0,18})$/.test(size) || BigInt(size) >= 1n << 63n) return undefined;
  let rootHash: Uint8Array;
  try {
    rootHash = fromBase64(typeof r["rootHash"] === "string" ? r["rootHash"] : "");
  } catch {
    return undefined;
  }
  if (rootHash.length !== 32) return undefined;
  const note = typeof r["note"] === "string" ? r["note"] : "";
  const seenAt = typeof r["seenAt"] === "number" && Number.isFinite(r["seenAt"]) ? r["seenAt"] : 0;
  return { origin, size: BigInt(size), rootHash, note, seenAt };
}

/** Read the remembered checkpoint for `origin`. Storage errors (disabled storage) count as none. */
export function loadRememberedCheckpoint(storage: CheckpointStorage, origin: string): LoadedCheckpoint {
  let raw: string | null;
  try {
    raw = storage.getItem(checkpointStorageKey(origin));
  } catch {
    return { kind: "none" };
  }
  if (raw === null) return { kind: "none" };
  const checkpoint = parseRememberedCheckpoint(raw, origin);
  return checkpoint === undefined ? { kind: "unreadable" } : { kind: "remembered", checkpoint };
}

/** Remember a verified, consistent checkpoint. Returns false when storage refused the write. */
export function saveRememberedCheckpoint(storage: CheckpointStorage, cp: RememberedCheckpoint): boolean {
  try {
    storage.setItem(checkpointStorageKey(cp.origin), serializeRememberedCheckpoint(cp));
    return true;
  } catch {
    return false;
  }
}

/** Forget the remembered checkpoint (the person's explicit choice after reading the alarm). */
export function forgetRememberedCheckpoint(storage: CheckpointStorage, origin: string): void {
  try {
    storage.removeItem(checkpointStorageKey(origin));
  } catch {
    // Storage disabled: there is nothing to forget.
  }
}
