import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP } from "node:net";

import { IdpError, isIdpError } from "./errors.ts";

/**
 * Reads a request body of at most `maxBytes`, refusing early on a larger Content-Length and stopping as soon as the
 * stream passes the cap; throws ERR_IDP_BODY_TOO_LARGE (413) or ERR_IDP_BAD_REQUEST for bytes that are not UTF-8.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  // attacker-controlled: the declared length and the stream itself; nothing past the cap is buffered.
  const declared = req.headers["content-length"];
  if (declared !== undefined && (!/^[0-9]{1,15}$/.test(declared) || Number(declared) > maxBytes)) {
    throw new IdpError("ERR_IDP_BODY_TOO_LARGE", `body must be at most ${maxBytes} bytes`, { status: 413 });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      throw new IdpError("ERR_IDP_BODY_TOO_LARGE", `body must be at most ${maxBytes} bytes`, { status: 413 });
    }
    chunks.push(chunk);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new IdpError("ERR_IDP_BAD_REQUEST", "body is not valid UTF-8", { status: 400 });
  }
}

/** Writes a JSON response that no cache keeps. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(text);
}

/** Answers with `{ code, message }`: an IdpError keeps its status and code, anything else is a bare 500. */
export function sendError(res: ServerResponse, error: unknown): void {
  if (isIdpError(error) && error.status < 500) {
    // The rest of the body may still be arriving; closing keeps a rejected upload from being read on our time.
    sendJson(res, error.status, { code: error.code, message: error.message }, error.status === 413 ? { connection: "close" } : {});
    return;
  }
  console.error("signet-idp: internal error:", error);
  // Never a stack or key material in a 5xx body.
  sendJson(res, 500, { code: "ERR_IDP_INTERNAL", message: "internal error" });
}

/** Whether a socket peer address is a loopback address (127.0.0.0/8, ::1, or IPv4-mapped 127.x). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
  if (isIP(v4) === 4) return v4.startsWith("127.");
  return address === "::1";
}

/**
 * Whether a Host header names this machine's loopback (localhost, 127.x, [::1]) or one of `extraHosts`; refusing other
 * names defeats DNS rebinding, where a web page's own host name resolves to 127.0.0.1.
 */
export function isLoopbackHostHeader(host: string | undefined, extraHosts: readonly string[] = []): boolean {
  if (host === undefined) return false;
  // attacker-controlled: any header value; parse as an authority, never by substring.
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::[0-9]{1,5})?$/i.exec(host);
  if (match === null) return false;
  const name = (match[1] ?? "").toLowerCase();
  if (name === "localhost" || name === "[::1]") return true;
  if (isIP(name) === 4 && name.startsWith("127.")) return true;
  return extraHosts.includes(name);
}
