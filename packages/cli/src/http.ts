/**
 * The one way the CLI talks to services: bounded in time and size, no
 * redirects (a redirect could carry an identity token to another host), and
 * errors with stable codes that keep the service's own `{code, message}`.
 */
import { readCapped } from "@signet/crypto/encoding/read-capped";
import { SignError } from "./errors.ts";

/** The fetch the CLI uses; tests inject an in-memory double. */
export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** Default per-request timeout: a Rekor v1 append waits for its checkpoint, so allow tens of seconds. */
export const HTTP_TIMEOUT_MS = 60_000;

/** One request. */
export interface HttpRequest {
  readonly url: string;
  readonly method: "GET" | "POST";
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array<ArrayBuffer>;
  /** What this is, for messages ("certificate authority", "transparency log"). */
  readonly what: string;
  /** Largest response body accepted. */
  readonly maxBytes: number;
  /** Statuses counted as success (default: 200). */
  readonly okStatuses?: readonly number[];
}

/** A successful response. */
export interface HttpResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
}

async function readBody(res: Response, maxBytes: number, what: string): Promise<Uint8Array> {
  const declared = res.headers.get("content-length");
  if (declared !== null && /^[0-9]+$/.test(declared) && Number(declared) > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw new SignError("ERR_SIGN_RESPONSE_TOO_LARGE", `${what} answered with ${declared} bytes (at most ${maxBytes} accepted)`);
  }
  const body = await readCapped(res.body, maxBytes);
  if (body === undefined) throw new SignError("ERR_SIGN_RESPONSE_TOO_LARGE", `${what} answered with more than ${maxBytes} bytes`);
  return body;
}

/** undici says only "fetch failed"; the reason (ECONNREFUSED, a timeout) is in its cause. */
function describeFetchError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const inner = e.cause as { code?: unknown; message?: unknown } | undefined;
  if (e.name === "TimeoutError") return "timed out";
  if (inner !== undefined && typeof inner.code === "string") return `${e.message} (${inner.code})`;
  if (inner !== undefined && typeof inner.message === "string" && inner.message !== "") return `${e.message} (${inner.message})`;
  return e.message;
}

/** `{code, message}` from an error body, when the service sent one. */
function serviceError(body: Uint8Array): { code?: string; message?: string } {
  try {
    // attacker-controlled: only two short strings are read, and only for the message
    const v = JSON.parse(new TextDecoder().decode(body.subarray(0, 4096))) as unknown;
    if (typeof v !== "object" || v === null) return {};
    const o = v as Record<string, unknown>;
    return {
      ...(typeof o.code === "string" && o.code.length <= 128 ? { code: o.code } : {}),
      ...(typeof o.message === "string" ? { message: o.message.slice(0, 500) } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * Send one request and return the response body if the status is one of
 * `okStatuses`. Throws ERR_SIGN_HTTP_FAILED (network, timeout, redirect),
 * ERR_SIGN_SERVICE_REFUSED (any other status) or ERR_SIGN_RESPONSE_TOO_LARGE.
 */
export async function sendRequest(fetchFn: Fetch, req: HttpRequest, timeoutMs = HTTP_TIMEOUT_MS): Promise<HttpResponse> {
  let res: Response;
  try {
    res = await fetchFn(req.url, {
      method: req.method,
      headers: { accept: "application/json", ...req.headers },
      ...(req.body === undefined ? {} : { body: req.body }),
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (cause) {
    throw new SignError("ERR_SIGN_HTTP_FAILED", `${req.what} at ${req.url} is unreachable: ${describeFetchError(cause)}`, { cause });
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel().catch(() => {});
    throw new SignError("ERR_SIGN_HTTP_FAILED", `${req.what} at ${req.url} redirected (${res.status}); redirects are not followed`, { status: res.status });
  }
  let body: Uint8Array;
  try {
    body = await readBody(res, req.maxBytes, req.what);
  } catch (cause) {
    if (cause instanceof SignError) throw cause;
    throw new SignError("ERR_SIGN_HTTP_FAILED", `reading the answer of ${req.what} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  if (!(req.okStatuses ?? [200]).includes(res.status)) {
    const e = serviceError(body);
    const detail = e.code !== undefined ? `${e.code}${e.message ? `: ${e.message}` : ""}` : `HTTP ${res.status}`;
    throw new SignError("ERR_SIGN_SERVICE_REFUSED", `${req.what} refused (${res.status}): ${detail}`, {
      status: res.status,
      ...(e.code === undefined ? {} : { serviceCode: e.code }),
    });
  }
  return { status: res.status, contentType: (res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase(), body };
}

/** POST or GET JSON and parse the answer (the value is still attacker-controlled: callers validate it). */
export async function sendJson(fetchFn: Fetch, req: Omit<HttpRequest, "body" | "headers"> & { json?: unknown }, timeoutMs?: number): Promise<unknown> {
  const res = await sendRequest(
    fetchFn,
    {
      ...req,
      ...(req.json === undefined ? {} : { body: JSON.stringify(req.json), headers: { "content-type": "application/json" } }),
    },
    timeoutMs,
  );
  try {
    // attacker-controlled: size already capped by sendRequest
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(res.body)) as unknown;
  } catch (cause) {
    throw new SignError("ERR_SIGN_RESPONSE_MALFORMED", `${req.what} did not answer with JSON`, { cause });
  }
}

/** Join a base URL and an absolute path without doubling or losing the slash. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}
