/**
 * Rekor v1 client (sigstore/rekor openapi.yaml createLogEntry; INTEROP.md §2):
 * propose a hashedrekord 0.0.1 or dsse 0.0.1 entry, turn the LogEntry answer
 * into a bundle's TransparencyLogEntry, and check it before it goes in a bundle.
 */
import {
  bytesEqual,
  findLogsById,
  fromBase64,
  fromHex,
  hashLeaf,
  parseLogEntryBody,
  toBase64,
  toHex,
  toPem,
  utf8,
  verifyEntryCheckpoint,
  verifyEntryInclusion,
  verifyLogEntryBinding,
  verifySignedEntryTimestamp,
  type Bytes,
  type EntryExpectation,
  type TrustedRoot,
  type UnverifiedTlogEntry,
} from "@signet/crypto";
import { SignError } from "./errors.ts";
import { joinUrl, sendJson, type Fetch } from "./http.ts";

/** A Rekor v1 ProposedEntry. */
export interface ProposedEntry {
  readonly apiVersion: "0.0.1";
  readonly kind: "hashedrekord" | "dsse";
  readonly spec: Record<string, unknown>;
}

/** Rekor's publicKey/verifier content: base64 of the certificate's PEM text. */
function certificateContent(certificateDer: Uint8Array): string {
  return toBase64(utf8(toPem(certificateDer, "CERTIFICATE")));
}

/** hashedrekord 0.0.1 (pkg/types/hashedrekord/v0.0.1): SHA-256 of the artifact, the DER signature, the leaf certificate. */
export function createHashedRekordEntry(input: { digest: Uint8Array; signature: Uint8Array; certificateDer: Uint8Array }): ProposedEntry {
  return {
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: {
      data: { hash: { algorithm: "sha256", value: toHex(input.digest) } },
      signature: { content: toBase64(input.signature), publicKey: { content: certificateContent(input.certificateDer) } },
    },
  };
}

/** dsse 0.0.1 (pkg/types/dsse/v0.0.1): the envelope as JSON text and the leaf certificate that signed it. */
export function createDsseEntry(input: { envelopeJson: string; certificateDer: Uint8Array }): ProposedEntry {
  return {
    apiVersion: "0.0.1",
    kind: "dsse",
    spec: { proposedContent: { envelope: input.envelopeJson, verifiers: [certificateContent(input.certificateDer)] } },
  };
}

/** A logged entry as a bundle carries it, with Rekor's entry ID. */
export interface LoggedEntry {
  readonly entry: UnverifiedTlogEntry;
  /** Rekor's key of the LogEntry map: 16-hex tree ID + 64-hex UUID, or the UUID alone. */
  readonly entryId: string;
}

function malformed(message: string, cause?: unknown): SignError {
  return new SignError("ERR_SIGN_RESPONSE_MALFORMED", `transparency log: ${message}`, cause === undefined ? {} : { cause });
}

function object(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw malformed(`${path} is not an object`);
  return v as Record<string, unknown>;
}

function uint(v: unknown, path: string): bigint {
  // Rekor v1 sends int64 values as JSON numbers; above 2^53 they would already be rounded (SECURITY.md D7).
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw malformed(`${path} is not a non-negative integer`);
  return BigInt(v);
}

function hex32(v: unknown, path: string): Bytes {
  if (typeof v !== "string" || !/^[0-9a-f]{64}$/.test(v)) throw malformed(`${path} is not 64 lower-case hex characters`);
  return fromHex(v);
}

function b64(v: unknown, path: string, maxChars: number): Bytes {
  if (typeof v !== "string" || v.length > maxChars) throw malformed(`${path} is not a base64 string of at most ${maxChars} characters`);
  try {
    return fromBase64(v);
  } catch (cause) {
    throw malformed(`${path} is not standard base64`, cause);
  }
}

/** Parse a LogEntry answer (`{<entryId>: {body, integratedTime, logID, logIndex, verification}}`). Throws ERR_SIGN_RESPONSE_MALFORMED. */
export function parseLogEntryResponse(json: unknown): LoggedEntry {
  // attacker-controlled: one entry, every field type- and size-checked, proof length capped
  const map = object(json, "answer");
  const keys = Object.keys(map);
  if (keys.length !== 1) throw malformed(`expected exactly one entry, got ${keys.length}`);
  const entryId = keys[0]!;
  if (!/^([0-9a-f]{16})?[0-9a-f]{64}$/.test(entryId)) throw malformed("entry ID is not 64 or 80 lower-case hex characters");
  const e = object(map[entryId], "entry");
  const body = b64(e.body, "body", 8 * 1024 * 1024);
  const verification = object(e.verification, "verification");
  const proof = object(verification.inclusionProof, "verification.inclusionProof");
  if (!Array.isArray(proof.hashes) || proof.hashes.length > 64) throw malformed("inclusionProof.hashes is not an array of at most 64 hashes");
  if (typeof proof.checkpoint !== "string" || proof.checkpoint.length > 64 * 1024) throw malformed("inclusionProof.checkpoint is not a string of at most 64 KiB");
  let kind: string;
  let version: string;
  try {
    const parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body)) as { kind?: unknown; apiVersion?: unknown };
    if (typeof parsed.kind !== "string" || typeof parsed.apiVersion !== "string") throw new Error("no kind or apiVersion");
    kind = parsed.kind;
    version = parsed.apiVersion;
  } catch (cause) {
    throw malformed("body is not an entry (JSON with kind and apiVersion)", cause);
  }
  const entry: UnverifiedTlogEntry = {
    logIndex: uint(e.logIndex, "logIndex"),
    logId: hex32(e.logID, "logID"),
    kindVersion: { kind, version },
    integratedTime: uint(e.integratedTime, "integratedTime"),
    inclusionPromise: { signedEntryTimestamp: b64(verification.signedEntryTimestamp, "verification.signedEntryTimestamp", 1024) },
    inclusionProof: {
      logIndex: uint(proof.logIndex, "inclusionProof.logIndex"),
      rootHash: hex32(proof.rootHash, "inclusionProof.rootHash"),
      treeSize: uint(proof.treeSize, "inclusionProof.treeSize"),
      hashes: proof.hashes.map((h, i) => hex32(h, `inclusionProof.hashes[${i}]`)),
      checkpoint: proof.checkpoint,
    },
    canonicalizedBody: body,
  };
  return { entry, entryId };
}

/** POST /api/v1/log/entries; returns the parsed (unchecked) entry and its URL. */
export async function createLogEntry(fetchFn: Fetch, rekorUrl: string, proposed: ProposedEntry): Promise<LoggedEntry & { url: string }> {
  const json = await sendJson(fetchFn, {
    url: joinUrl(rekorUrl, "/api/v1/log/entries"),
    method: "POST",
    what: "transparency log",
    maxBytes: 16 * 1024 * 1024,
    okStatuses: [201],
    json: proposed,
  });
  const logged = parseLogEntryResponse(json);
  return { ...logged, url: joinUrl(rekorUrl, `/api/v1/log/entries/${logged.entryId}`) };
}

function mismatch(message: string, cause?: unknown): SignError {
  return new SignError("ERR_SIGN_TLOG_MISMATCH", `transparency log: ${message}`, cause === undefined ? {} : { cause });
}

/**
 * Check a logged entry before it goes in a bundle: its body records exactly
 * our digest, signature and certificate; the entry ID names its leaf hash; the
 * log is in the trusted root; the SET, the checkpoint signature and the
 * inclusion proof verify. Throws ERR_SIGN_TLOG_MISMATCH.
 */
export async function verifyLoggedEntry(logged: LoggedEntry, expected: EntryExpectation, trustedRoot: TrustedRoot): Promise<void> {
  const { entry } = logged;
  try {
    verifyLogEntryBinding(parseLogEntryBody(entry.canonicalizedBody, entry.kindVersion), expected);
  } catch (cause) {
    throw mismatch(`the logged body is not what was submitted: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
  if (!bytesEqual(fromHex(logged.entryId.slice(-64)), hashLeaf(entry.canonicalizedBody))) throw mismatch("the entry UUID is not the leaf hash of its body");
  if (findLogsById(trustedRoot.tlogs, entry.logId).length === 0) throw mismatch(`log ${toHex(entry.logId)} is not in the trusted root`);
  try {
    const log = await verifySignedEntryTimestamp(entry, trustedRoot.tlogs);
    const checkpoint = await verifyEntryCheckpoint(entry, log);
    verifyEntryInclusion(entry, checkpoint);
  } catch (cause) {
    throw mismatch(`the log's promise or proof does not verify: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
}
