import type http from "node:http";
import { DomainError } from "../errors.ts";

/** CORS for the public Sigstore-compatible surfaces (as Fulcio/Rekor's cors.Default: no credentials). */
export const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, HEAD, OPTIONS",
  "access-control-allow-headers": "Content-Type, Accept",
  "access-control-max-age": "600",
};

export function send(res: http.ServerResponse, status: number, body: string | Buffer, headers: Record<string, string | number>): void {
  res.writeHead(status, { ...CORS_HEADERS, "x-content-type-options": "nosniff", "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, JSON.stringify(body), { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers });
}

/**
 * A non-negative integer from a query or JSON value: decimal digits only (no sign, exponent, hex,
 * spaces or leading zeros), below 2^63 (SECURITY.md D7). Throws a 400 naming the field.
 */
export function parseUint63(value: unknown, field: string): bigint {
  // attacker-controlled
  const text = typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? String(value) : value;
  if (typeof text !== "string" || !/^(0|[1-9][0-9]{0,18})$/.test(text)) {
    throw new DomainError("BAD_REQUEST", "ERR_BAD_NUMBER", `${field} must be a non-negative decimal integer`);
  }
  const n = BigInt(text);
  if (n > (1n << 63n) - 1n) throw new DomainError("BAD_REQUEST", "ERR_BAD_NUMBER", `${field} is too large`);
  return n;
}

/** A JSON number for Rekor v1 fields (int64 as numbers); values here stay below 2^53. */
export const num = (n: bigint): number => Number(n);
