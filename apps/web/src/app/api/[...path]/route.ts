import type { NextRequest } from "next/server";
import { getWebEnv } from "../../../env.ts";
import { proxyToApi, refuse, toApiReadUpstream } from "../../../lib/api-proxy.ts";

export const dynamic = "force-dynamic";

/**
 * GET /api/v2/checkpoint, /api/v2/tile/…, /api/v1/log/…: the log's read paths, same-origin for the
 * browser. Read-only on purpose: writes go to the API directly, never through the portal.
 */
export function GET(request: NextRequest): Promise<Response> {
  const target = toApiReadUpstream(request.nextUrl);
  if (target.kind === "refused") return Promise.resolve(refuse(target));
  return proxyToApi(request, { apiUrl: getWebEnv().apiUrl, path: target.path });
}
