import type { NextRequest } from "next/server";
import { getWebEnv } from "../../../env.ts";
import { proxyToApi, refuse, toTrpcUpstream } from "../../../lib/api-proxy.ts";

// Proxied per request to the API named by the environment at run time, never at build time.
export const dynamic = "force-dynamic";

async function forward(request: NextRequest): Promise<Response> {
  const target = toTrpcUpstream(request.nextUrl);
  if (target.kind === "refused") return refuse(target);
  return proxyToApi(request, { apiUrl: getWebEnv().apiUrl, path: target.path });
}

/** GET /trpc/<procedure>[,…]?input=…: tRPC queries, passed to the API's /trpc. */
export function GET(request: NextRequest): Promise<Response> {
  return forward(request);
}

/** POST /trpc/<procedure>: tRPC mutations (body ≤ 1 MiB; the API checks media type and origin). */
export function POST(request: NextRequest): Promise<Response> {
  return forward(request);
}
