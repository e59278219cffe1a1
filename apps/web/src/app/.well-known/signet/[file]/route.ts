import type { NextRequest } from "next/server";
import { getWebEnv } from "../../../../env.ts";
import { proxyToApi, refuse, toWellKnownUpstream } from "../../../../lib/api-proxy.ts";

export const dynamic = "force-dynamic";

/** GET /.well-known/signet/{trusted_root.json,signing_config.json}: this instance's trust configuration. */
export async function GET(request: NextRequest, context: { params: Promise<{ file: string }> }): Promise<Response> {
  const { file } = await context.params;
  const target = toWellKnownUpstream(file);
  if (target.kind === "refused") return refuse(target);
  return proxyToApi(request, { apiUrl: getWebEnv().apiUrl, path: target.path });
}
