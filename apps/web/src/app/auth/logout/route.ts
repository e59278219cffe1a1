import { cookieNames, getAuthConfig, isHttps, isSameOrigin, serializeCookie } from "../auth-config.ts";
import { callApiMutation } from "../oidc.ts";

export const dynamic = "force-dynamic";

/**
 * POST /auth/logout: end the session server-side (the api deletes it) and clear the cookie. Only
 * from this portal's own pages (Origin / Sec-Fetch-Site), so another site cannot sign people out.
 */
export async function POST(request: Request): Promise<Response> {
  const config = getAuthConfig();
  if (!isSameOrigin(request, config)) return Response.json({ code: "ERR_CROSS_SITE", message: "cross-site request refused" }, { status: 403 });
  const https = isHttps(request, config);
  const names = cookieNames(https);
  const cookie = request.headers.get("cookie");
  if (cookie !== null) await callApiMutation(config, "auth.logout", null, cookie.slice(0, 8192));
  const headers = new Headers({ location: `${config.webUrl}/`, "cache-control": "no-store" });
  headers.append("set-cookie", serializeCookie(names.session, "", 0, https));
  return new Response(null, { status: 303, headers });
}
