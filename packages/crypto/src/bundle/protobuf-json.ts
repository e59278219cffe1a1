/**
 * Strict readers for protobuf-JSON (protobuf.dev "ProtoJSON Format") as
 * Sigstore uses it: camelCase fields, standard base64 bytes, int64 as
 * decimal strings, absent or null meaning the default value.
 */
import { SignetCryptoError, type ErrorCode } from "../errors.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { fromBase64 } from "../encoding/base64.ts";
import { fromUtf8 } from "../encoding/bytes.ts";

/** Largest int64 (rekor-tiles: "log index ≤ 2^63−1"). */
export const INT64_MAX = (1n << 63n) - 1n;

/** A JSON object, checked. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** Reader bound to one error code and a field path, for precise messages. */
export class ProtoJsonReader {
  readonly code: ErrorCode;
  constructor(code: ErrorCode) {
    this.code = code;
  }

  fail(path: string, message: string, cause?: unknown): never {
    throw new SignetCryptoError(this.code, `${path}: ${message}`, cause === undefined ? undefined : { cause });
  }

  /** An object, rejecting unknown keys (a strict parse accepts exactly one meaning). */
  object(v: unknown, path: string, allowed: readonly string[]): JsonObject {
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail(path, "must be an object");
    for (const k of Object.keys(v)) if (!allowed.includes(k)) this.fail(path, `unknown field "${k}"`);
    return v as JsonObject;
  }

  optionalObject(o: JsonObject, key: string, path: string, allowed: readonly string[]): JsonObject | undefined {
    const v = o[key];
    return v === undefined || v === null ? undefined : this.object(v, `${path}.${key}`, allowed);
  }

  requiredObject(o: JsonObject, key: string, path: string, allowed: readonly string[]): JsonObject {
    const v = this.optionalObject(o, key, path, allowed);
    if (v === undefined) this.fail(`${path}.${key}`, "is required");
    return v;
  }

  string(o: JsonObject, key: string, path: string, maxLength = 4096): string {
    const v = o[key];
    if (v === undefined || v === null) return "";
    if (typeof v !== "string") this.fail(`${path}.${key}`, "must be a string");
    if (v.length > maxLength) this.fail(`${path}.${key}`, "is too long");
    return v;
  }

  requiredString(o: JsonObject, key: string, path: string, maxLength = 4096): string {
    const v = this.string(o, key, path, maxLength);
    if (v === "") this.fail(`${path}.${key}`, "is required");
    return v;
  }

  /** `bytes` field: standard base64 with padding (empty when absent). */
  bytes(o: JsonObject, key: string, path: string, maxLength = 16 * 1024 * 1024): Bytes {
    const v = o[key];
    if (v === undefined || v === null) return new Uint8Array() as Bytes;
    if (typeof v !== "string") this.fail(`${path}.${key}`, "must be a base64 string");
    if (v.length > maxLength) this.fail(`${path}.${key}`, "is too long");
    try {
      return fromBase64(v);
    } catch (cause) {
      this.fail(`${path}.${key}`, "is not standard base64", cause);
    }
  }

  requiredBytes(o: JsonObject, key: string, path: string, maxLength?: number): Bytes {
    const b = this.bytes(o, key, path, maxLength);
    if (b.length === 0) this.fail(`${path}.${key}`, "is required");
    return b;
  }

  /** Non-negative int64 as a decimal string: no sign, no leading zeros, no exponent (SECURITY.md D7). */
  uint63(o: JsonObject, key: string, path: string): bigint {
    const v = o[key];
    if (v === undefined || v === null) return 0n;
    if (typeof v !== "string") this.fail(`${path}.${key}`, "int64 must be a decimal string");
    if (!/^(0|[1-9][0-9]{0,18})$/.test(v)) this.fail(`${path}.${key}`, `invalid int64 ${JSON.stringify(v.slice(0, 24))}`);
    const n = BigInt(v);
    if (n > INT64_MAX) this.fail(`${path}.${key}`, "int64 out of range");
    return n;
  }

  array(o: JsonObject, key: string, path: string, max: number): readonly unknown[] {
    const v = o[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(`${path}.${key}`, "must be an array");
    if (v.length > max) this.fail(`${path}.${key}`, `has more than ${max} elements`);
    return v;
  }

  /** Parse JSON text (or pass a value through), capping the text size first. */
  parseJson(input: unknown, maxBytes: number, what: string): unknown {
    // attacker-controlled: size checked before JSON.parse, parse errors rethrown typed
    if (typeof input === "string" || input instanceof Uint8Array) {
      const size = typeof input === "string" ? input.length : input.length;
      if (size > maxBytes) this.fail(what, "is too large");
      let text: string;
      try {
        text = typeof input === "string" ? input : fromUtf8(input);
        return JSON.parse(text);
      } catch (cause) {
        this.fail(what, "is not valid JSON", cause);
      }
    }
    return input;
  }
}
