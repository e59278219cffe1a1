/**
 * The sidecar's wire protocol over its Unix socket: newline-delimited JSON, one request per line,
 * many in flight per connection, answered in completion order and matched by `id`.
 *
 *   → {"id":1,"secret":"…","op":"sign","label":"ca","digest":"<base64, 32 or 48 bytes>"}
 *   ← {"id":1,"ok":true,"signature":"<base64 raw r‖s>"}
 *   ← {"id":1,"ok":false,"code":"ERR_HSM_KEY_NOT_FOUND","message":"…"}
 *
 * Ops: ensureKey {label, algorithm}, publicKey {label}, sign {label, digest}, signBatch {label,
 * digestLength, digests} (1 to MAX_BATCH_DIGESTS digests of `digestLength` bytes, sent concatenated as
 * one base64 string and answered with `signatures`, the raw signatures concatenated in the same order
 * as one base64 string; all or nothing), listKeys, health.
 *
 *   → {"id":2,"secret":"…","op":"signBatch","label":"log","digestLength":32,"digests":"<base64, n×32 bytes>"}
 *   ← {"id":2,"ok":true,"signatures":"<base64, n×64 bytes>"}
 *
 * One string rather than an array of them: the sidecar's per-signature cost is what bounds the log, and
 * a base64 check, decode and encode per digest and per signature was a good part of its own share.
 * This file has no PKCS#11 dependency: the client imports it too.
 */
import { hash, timingSafeEqual } from "node:crypto";
import { HsmError, isHsmError, isWireErrorCode } from "./errors.ts";
import type { HsmErrorCode } from "./errors.ts";
import { isEcdsaAlgorithm, isKeyLabel } from "./keys.ts";
import type { EcdsaAlgorithm, KeyAlgorithm } from "./keys.ts";

/** The most digests one signBatch request may carry (a batch of log entries' SETs fits easily). */
export const MAX_BATCH_DIGESTS = 512;
/** Requests longer than this (excluding the newline) are refused before parsing, and the connection is closed. */
export const MAX_REQUEST_LINE_BYTES = 64 * 1024;
/** The client's cap on a response line (listKeys is the largest). */
export const MAX_RESPONSE_LINE_BYTES = 1024 * 1024;

export type RequestId = number | string;

export type HsmRequest =
  | { id: RequestId; op: "ensureKey"; label: string; algorithm: EcdsaAlgorithm }
  | { id: RequestId; op: "publicKey"; label: string }
  | { id: RequestId; op: "sign"; label: string; digest: Uint8Array }
  | { id: RequestId; op: "signBatch"; label: string; digests: Uint8Array[] }
  | { id: RequestId; op: "listKeys" }
  | { id: RequestId; op: "health" };

export type HsmOp = HsmRequest["op"];

export interface KeyListing {
  label: string;
  algorithm: KeyAlgorithm;
}

/** What the sidecar needs from the token (implemented by Pkcs11Token; by a double in unit tests). */
export interface HsmBackend {
  ensureKey(label: string, algorithm: EcdsaAlgorithm): Promise<{ algorithm: KeyAlgorithm; spki: Uint8Array; created: boolean }>;
  publicKey(label: string): Promise<{ algorithm: KeyAlgorithm; spki: Uint8Array }>;
  signDigest(label: string, digest: Uint8Array): Promise<Uint8Array>;
  signDigests(label: string, digests: readonly Uint8Array[]): Promise<Uint8Array[]>;
  listKeys(): Promise<KeyListing[]>;
  health(): Promise<{ token: string; keys: string[] }>;
}

export type ParsedLine =
  | { ok: true; request: HsmRequest }
  | { ok: false; id: RequestId | null; code: HsmErrorCode; message: string };

const OP_FIELDS: Readonly<Record<HsmOp, readonly string[]>> = {
  ensureKey: ["label", "algorithm"],
  publicKey: ["label"],
  sign: ["label", "digest"],
  signBatch: ["label", "digestLength", "digests"],
  listKeys: [],
  health: [],
};
const ENVELOPE = ["id", "secret", "op"];
/** The fields each op may carry, built once rather than per request. */
const ALLOWED_FIELDS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries(OP_FIELDS).map(([op, fields]) => [op, new Set([...ENVELOPE, ...fields])]),
);
const DIGEST_LENGTHS = new Set<unknown>([32, 48]);
/** base64 characters of the largest signBatch payload (MAX_BATCH_DIGESTS digests of 48 bytes). */
const MAX_BATCH_DIGESTS_CHARS = Math.ceil((MAX_BATCH_DIGESTS * 48) / 3) * 4;
const UTF8 = new TextDecoder("utf-8", { fatal: true });
const MAX_ID_CHARS = 64;

/** Build a constant-time check of the shared secret (SHA-256 first, so lengths leak nothing either). */
export function createSecretChecker(secret: string): (candidate: unknown) => boolean {
  if (secret.length < 32) throw new HsmError("ERR_HSM_CONFIG", "the shared secret must be at least 32 characters");
  const expected = hash("sha256", secret, "buffer");
  return (candidate) => {
    if (typeof candidate !== "string" || candidate.length > 4096) return false;
    return timingSafeEqual(hash("sha256", candidate, "buffer"), expected);
  };
}

/** Parse and authenticate one request line (without its newline). Never throws. */
export function parseRequestLine(line: Uint8Array, checkSecret: (candidate: unknown) => boolean): ParsedLine {
  const bad = (id: RequestId | null, message: string): ParsedLine => ({ ok: false, id, code: "ERR_HSM_BAD_REQUEST", message });
  // attacker-controlled: anything that can open the socket can send these bytes; cap, decode and parse defensively.
  if (line.length > MAX_REQUEST_LINE_BYTES) return bad(null, `request line exceeds ${MAX_REQUEST_LINE_BYTES} bytes`);
  let text: string;
  try {
    text = UTF8.decode(line);
  } catch {
    return bad(null, "request is not UTF-8");
  }
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return bad(null, "request is not JSON");
  }
  if (typeof msg !== "object" || msg === null || Array.isArray(msg)) return bad(null, "request is not a JSON object");
  const o = msg as Record<string, unknown>;
  const id = o.id;
  if (!isRequestId(id)) return bad(null, "id must be a non-negative safe integer or a string of 1-64 printable characters");
  if (!checkSecret(o.secret)) return { ok: false, id, code: "ERR_HSM_UNAUTHORIZED", message: "bad secret" };
  const op = o.op;
  if (typeof op !== "string" || !Object.hasOwn(OP_FIELDS, op)) return bad(id, "unknown op");
  const allowed = ALLOWED_FIELDS.get(op)!;
  for (const k of Object.keys(o)) if (!allowed.has(k)) return bad(id, `unexpected field ${JSON.stringify(k.slice(0, 40))}`);

  switch (op as HsmOp) {
    case "listKeys":
    case "health":
      return { ok: true, request: { id, op: op as "listKeys" | "health" } };
    case "publicKey":
      if (!isKeyLabel(o.label)) return bad(id, "label must match [A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
      return { ok: true, request: { id, op: "publicKey", label: o.label } };
    case "ensureKey":
      if (!isKeyLabel(o.label)) return bad(id, "label must match [A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
      if (!isEcdsaAlgorithm(o.algorithm)) return bad(id, 'algorithm must be "P-256" or "P-384"');
      return { ok: true, request: { id, op: "ensureKey", label: o.label, algorithm: o.algorithm } };
    case "sign": {
      if (!isKeyLabel(o.label)) return bad(id, "label must match [A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
      const digest = decodeBase64Strict(o.digest, 64);
      if (!digest || !DIGEST_LENGTHS.has(digest.length)) return bad(id, "digest must be canonical base64 of 32 or 48 bytes");
      return { ok: true, request: { id, op: "sign", label: o.label, digest } };
    }
    case "signBatch": {
      if (!isKeyLabel(o.label)) return bad(id, "label must match [A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
      if (!DIGEST_LENGTHS.has(o.digestLength)) return bad(id, "digestLength must be 32 or 48");
      const size = o.digestLength as number;
      // attacker-controlled: the string is capped (MAX_BATCH_DIGESTS of the largest digest) before it is decoded.
      const all = decodeBase64Strict(o.digests, MAX_BATCH_DIGESTS_CHARS);
      const count = all ? all.length / size : 0;
      if (!all || !Number.isInteger(count) || count < 1 || count > MAX_BATCH_DIGESTS) {
        return bad(id, `digests must be canonical base64 of 1-${MAX_BATCH_DIGESTS} digests of digestLength bytes`);
      }
      const digests: Uint8Array[] = [];
      for (let i = 0; i < count; i++) digests.push(all.subarray(i * size, (i + 1) * size));
      return { ok: true, request: { id, op: "signBatch", label: o.label, digests } };
    }
  }
}

/** Run one parsed request against the backend and build its response object. Never throws. */
export async function handleRequest(req: HsmRequest, backend: HsmBackend): Promise<Record<string, unknown>> {
  try {
    switch (req.op) {
      case "ensureKey": {
        const k = await backend.ensureKey(req.label, req.algorithm);
        return { id: req.id, ok: true, label: req.label, algorithm: k.algorithm, publicKey: b64(k.spki), created: k.created };
      }
      case "publicKey": {
        const k = await backend.publicKey(req.label);
        return { id: req.id, ok: true, label: req.label, algorithm: k.algorithm, publicKey: b64(k.spki) };
      }
      case "sign":
        return { id: req.id, ok: true, signature: b64(await backend.signDigest(req.label, req.digest)) };
      case "signBatch":
        return { id: req.id, ok: true, signatures: b64(Buffer.concat(await backend.signDigests(req.label, req.digests))) };
      case "listKeys":
        return { id: req.id, ok: true, keys: await backend.listKeys() };
      case "health": {
        const h = await backend.health();
        return { id: req.id, ok: true, status: "ok", token: h.token, keys: h.keys };
      }
    }
  } catch (e) {
    return errorResponse(req.id, e);
  }
}

/** A `{ ok: false }` response for any failure; only wire codes leave the process, anything else is UNAVAILABLE. */
export function errorResponse(id: RequestId | null, e: unknown): Record<string, unknown> {
  if (isHsmError(e) && isWireErrorCode(e.code)) return { id, ok: false, code: e.code, message: e.message };
  return { id, ok: false, code: "ERR_HSM_UNAVAILABLE", message: "internal error" };
}

/** Serialise a response (or request) as one protocol line. */
export function encodeLine(msg: Record<string, unknown>): string {
  return `${JSON.stringify(msg)}\n`;
}

/**
 * Split a byte stream into lines, refusing any line longer than `maxLineBytes` before it is buffered
 * further. After an oversize line the reader stops: the caller answers and closes the connection.
 */
export function createLineReader(
  maxLineBytes: number,
  onLine: (line: Buffer) => void,
  onOversize: () => void,
): (chunk: Buffer) => void {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let stopped = false;
  return (chunk) => {
    if (stopped) return;
    let start = 0;
    while (start <= chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      const pieceBytes = end - start;
      if (pendingBytes + pieceBytes > maxLineBytes) {
        stopped = true;
        pending = [];
        onOversize();
        return;
      }
      if (nl === -1) {
        if (pieceBytes > 0) {
          pending.push(chunk.subarray(start));
          pendingBytes += pieceBytes;
        }
        return;
      }
      let line = pendingBytes > 0 ? Buffer.concat([...pending, chunk.subarray(start, nl)]) : chunk.subarray(start, nl);
      pending = [];
      pendingBytes = 0;
      if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      if (line.length > 0) onLine(line);
      start = nl + 1;
    }
  };
}

/** Decode canonical base64 (RFC 4648 §4, padded, no whitespace) of at most `maxChars` characters, or undefined. */
export function decodeBase64Strict(v: unknown, maxChars: number): Uint8Array | undefined {
  // attacker-controlled: length is capped before decoding, and re-encoding must round-trip exactly.
  if (typeof v !== "string" || v.length > maxChars || v.length % 4 !== 0) return undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v)) return undefined;
  const bytes = Buffer.from(v, "base64");
  if (bytes.toString("base64") !== v) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

function isRequestId(v: unknown): v is RequestId {
  if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0;
  return typeof v === "string" && v.length >= 1 && v.length <= MAX_ID_CHARS && /^[\x20-\x7e]+$/.test(v);
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64");
}

/** Raise the HsmError a `{ ok: false }` response carries (used by the client). */
export function toResponseError(o: Record<string, unknown>): HsmError {
  const code = isWireErrorCode(o.code) ? o.code : "ERR_HSM_UNAVAILABLE";
  const message = typeof o.message === "string" ? o.message.slice(0, 500) : code;
  return new HsmError(code, `hsm sidecar: ${message}`);
}
