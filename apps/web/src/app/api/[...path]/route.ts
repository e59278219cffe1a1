import type { NextRequest } from "next/server";
import { getWebEnv } from "../../../env.ts";
import { proxyToApi, refuse, toApiReadUpstream, toApiWriteUpstream } from "../../../lib/api-proxy.ts";

export const dynamic = "force-dynamic";

/**
 * GET /api/v2/checkpoint, /api/v2/tile/…, /api/v1/log/…: the log's read paths, same-origin for the
 * browser. Read-only, except the two writes below.
 */
export function GET(request: NextRequest): Promise<Response> {
  const target = toApiReadUpstream(request.nextUrl);
  if (target.kind === "refused") return Promise.resolve(refuse(target));
  return proxyToApi(request, { apiUrl: getWebEnv().apiUrl, path: target.path });
}

/**
 * POST /api/v1/log/entries and /api/v1/timestamp only: the log entry and timestamp /sign requests
 * from the browser (CSP connect-src 'self'). Bodies are capped per path before they are read; the
 * API applies its own validation, rate limits and Origin check (SECURITY.md G1, G11).
 */
export function POST(request: NextRequest): Promise<Response> {
  const target = toApiWriteUpstream(request.nextUrl);
  if (target.kind === "refused") return Promise.resolve(refuse(target));
  return proxyToApi(request, { apiUrl: getWebEnv().apiUrl, path: target.path, ...(target.maxBodyBytes === undefined ? {} : { maxBodyBytes: target.maxBodyBytes }) });
}
