/**
 * A token from the development OpenID provider (apps/idp `POST /dev/token`):
 * for laptops, tests and CI against a local Signet. The provider answers
 * loopback clients only, and production Signet never trusts it.
 */
import { SignError, isSignError } from "./errors.ts";
import { joinUrl, sendJson, type Fetch } from "./http.ts";

/** The dev IdP's default URL (apps/idp: SIGNET_IDP_PORT 8081). */
export const DEFAULT_IDP_URL = "http://localhost:8081";

/** GitHub-Actions-shaped workload claims the dev IdP accepts (apps/idp README); `repository` is required. */
export const WORKLOAD_FIELDS = [
  "repository",
  "workflow_ref",
  "job_workflow_ref",
  "ref",
  "sha",
  "workflow_sha",
  "job_workflow_sha",
  "event_name",
  "workflow",
  "environment",
  "actor",
  "runner_environment",
  "repository_visibility",
] as const;

/** One workload claim name. */
export type WorkloadField = (typeof WORKLOAD_FIELDS)[number];

/** What to ask for: exactly one identity. */
export type DevTokenRequest =
  | { readonly kind: "email"; readonly email: string; readonly audience?: string }
  | { readonly kind: "workload"; readonly workload: Partial<Record<WorkloadField, string>> & { readonly repository: string }; readonly audience?: string };

/** The dev IdP's answer. */
export interface DevToken {
  readonly token: string;
  readonly issuer: string;
  readonly subject: string;
  readonly audience: string;
  readonly expiresAt: number;
}

/** POST {idpUrl}/dev/token. Throws ERR_DEV_TOKEN_FAILED. */
export async function requestDevToken(fetchFn: Fetch, idpUrl: string, request: DevTokenRequest): Promise<DevToken> {
  const body: Record<string, unknown> = request.kind === "email" ? { email: request.email } : { workload: request.workload };
  if (request.audience !== undefined) body.audience = request.audience;
  let json: unknown;
  try {
    json = await sendJson(fetchFn, { url: joinUrl(idpUrl, "/dev/token"), method: "POST", what: "development OpenID provider", maxBytes: 64 * 1024, json: body });
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new SignError("ERR_DEV_TOKEN_FAILED", message, { cause, ...(isSignError(cause) && cause.status !== undefined ? { status: cause.status } : {}) });
  }
  // attacker-controlled (in principle): only string/number fields of bounded size are taken
  const o = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
  if (typeof o.token !== "string" || o.token.length > 16 * 1024 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(o.token)) {
    throw new SignError("ERR_DEV_TOKEN_FAILED", "the development OpenID provider answered without a compact JWT");
  }
  return {
    token: o.token,
    issuer: typeof o.issuer === "string" ? o.issuer : "",
    subject: typeof o.subject === "string" ? o.subject : "",
    audience: typeof o.audience === "string" ? o.audience : "",
    expiresAt: typeof o.expiresAt === "number" ? o.expiresAt : 0,
  };
}
