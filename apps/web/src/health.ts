/** The API's health as the portal sees it; `status` mirrors the JSON served at GET /healthz. */
export type ApiHealth =
  | { readonly status: "ok"; readonly latencyMs: number }
  | { readonly status: "unreachable"; readonly reason: ApiUnreachableReason };

/** Why the API did not count as healthy: no answer in time, no connection, or a non-200 answer. */
export type ApiUnreachableReason = "timeout" | "connection" | `http_${number}`;

/** How long GET /healthz waits for the API before reporting it unreachable. */
export const API_HEALTH_TIMEOUT_MS = 2_000;

export interface CheckApiHealthOptions {
  readonly timeoutMs?: number;
  /** Injected for tests that need a transport failure mode a real server cannot produce. */
  readonly fetch?: typeof fetch;
}

/** Ask the API's `/healthz`; healthy only on a 200 within the timeout. Never throws. */
export async function checkApiHealth(apiUrl: string, options: CheckApiHealthOptions = {}): Promise<ApiHealth> {
  const timeoutMs = options.timeoutMs ?? API_HEALTH_TIMEOUT_MS;
  const doFetch = options.fetch ?? fetch;
  const started = performance.now();
  try {
    const response = await doFetch(`${apiUrl}/healthz`, {
      method: "GET",
      cache: "no-store",
      // A redirect would mean something other than the API answered; do not follow it anywhere.
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: "application/json" },
    });
    // The body is not needed; release the socket instead of buffering whatever the peer sends.
    await response.body?.cancel().catch(() => undefined);
    if (response.status !== 200) return { status: "unreachable", reason: `http_${response.status}` };
    return { status: "ok", latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    const timedOut = error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError");
    return { status: "unreachable", reason: timedOut ? "timeout" : "connection" };
  }
}
