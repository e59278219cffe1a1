/**
 * From a rebuilt body object to the bytes the log stores: RFC 8785 canonical JSON and the RFC 6962
 * leaf hash. Bodies are always rebuilt from validated fields, never copied from the submission.
 */
import { hash } from "node:crypto";
import { canonicalize } from "@signet/crypto/json/canonical";
import type { EntryApiVersion, EntryKind, PreparedEntry, SearchColumns } from "./types.ts";

const LEAF_PREFIX = Buffer.of(0x00);

/** SHA-256(0x00 ‖ body): the RFC 6962 §2.1 leaf hash, hex of which is Rekor's entry UUID. */
export function leafHashOf(body: Uint8Array): Buffer {
  return hash("sha256", Buffer.concat([LEAF_PREFIX, body]), "buffer");
}

/** Canonicalize (RFC 8785) a rebuilt body and wrap it with its leaf hash and search columns. */
export function toPreparedEntry(kind: EntryKind, apiVersion: EntryApiVersion, spec: object, search: SearchColumns): PreparedEntry {
  const body = Buffer.from(canonicalize({ apiVersion, kind, spec }), "utf8");
  return { kind, apiVersion, body, leafHash: leafHashOf(body), search };
}
