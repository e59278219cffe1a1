import { getWebEnv } from "../../env.ts";
import { checkApiHealth } from "../../health.ts";

// Health must reflect this instant, never a build-time or cached answer.
export const dynamic = "force-dynamic";
export const revalidate = 0;

/** GET /healthz: 200 when the API's /healthz answers 200 within 2 s, else 503 (degraded). */
export async function GET(): Promise<Response> {
  const api = await checkApiHealth(getWebEnv().apiUrl);
  const ok = api.status === "ok";
  return Response.json(
    { status: ok ? "ok" : "degraded", api },
    { status: ok ? 200 : 503, headers: { "Cache-Control": "no-store" } },
  );
}
