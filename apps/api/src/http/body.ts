/**
 * Request bodies read with a hard cap enforced while streaming (a declared Content-Length over the
 * cap is refused before reading; chunked bodies are cut off at the cap), then parsed as JSON.
 */
import type http from "node:http";
import { DomainError } from "../errors.ts";

export async function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && (!/^\d+$/.test(declared) || Number(declared) > maxBytes)) {
    req.resume();
    throw new DomainError("PAYLOAD_TOO_LARGE", "ERR_PAYLOAD_TOO_LARGE", `request body larger than ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      req.destroy();
      throw new DomainError("PAYLOAD_TOO_LARGE", "ERR_PAYLOAD_TOO_LARGE", `request body larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** The media type of a request, lower-cased, without parameters. */
export function mediaType(req: http.IncomingMessage): string {
  return (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
}

/**
 * Read a JSON request body as bytes (Content-Type must be application/json), for parsers that
 * must see the raw text (duplicate keys, exact bytes).
 */
export async function readJsonBytes(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  if (mediaType(req) !== "application/json") {
    throw new DomainError("UNSUPPORTED_MEDIA_TYPE", "ERR_UNSUPPORTED_MEDIA_TYPE", "expected Content-Type: application/json");
  }
  return readBody(req, maxBytes);
}

/** Read and parse a JSON body (Content-Type must be application/json). */
export async function readJson(req: http.IncomingMessage, maxBytes: number): Promise<unknown> {
  if (mediaType(req) !== "application/json") {
    throw new DomainError("UNSUPPORTED_MEDIA_TYPE", "ERR_UNSUPPORTED_MEDIA_TYPE", "expected Content-Type: application/json");
  }
  const body = await readBody(req, maxBytes);
  try {
    // attacker-controlled: JSON.parse is linear and non-recursive in V8 for nesting; depth is bounded by the byte cap.
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new DomainError("BAD_REQUEST", "ERR_JSON_MALFORMED", "the request body is not valid JSON");
  }
}
