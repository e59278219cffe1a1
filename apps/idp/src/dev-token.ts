import { hash, randomUUID } from "node:crypto";

import { SignJWT } from "jose";
import type { JWTPayload } from "jose";

import { badRequest } from "./errors.ts";
import { parseEmail, toEmailSubject } from "./identity.ts";
import { SIGNING_ALGORITHMS } from "./keys.ts";
import type { SigningAlgorithm, SigningKeys } from "./keys.ts";

/** Largest accepted `/dev/token` body, checked before the body is parsed. */
export const MAX_DEV_TOKEN_BODY_BYTES = 1024;
/** Audience of minted tokens unless the request names another: the client-id Sigstore clients and Fulcio use. */
export const DEFAULT_AUDIENCE = "sigstore";
/** Default and maximum lifetime of a minted token. */
export const DEFAULT_TTL_SECONDS = 600;
export const MAX_TTL_SECONDS = 3600;

/** The GitHub Actions claims a caller may set; everything else is derived (see `toWorkloadClaims`). */
export interface WorkloadInput {
  repository: string;
  workflow_ref?: string;
  job_workflow_ref?: string;
  ref?: string;
  sha?: string;
  workflow_sha?: string;
  job_workflow_sha?: string;
  event_name?: string;
  workflow?: string;
  environment?: string;
  actor?: string;
  actor_id?: string;
  repository_id?: string;
  repository_owner_id?: string;
  run_id?: string;
  run_number?: string;
  run_attempt?: string;
  runner_environment?: string;
  repository_visibility?: string;
}

interface CommonRequest {
  audience: string;
  ttlSeconds: number;
  alg: SigningAlgorithm;
}

/** A validated `/dev/token` request. */
export type DevTokenRequest =
  | (CommonRequest & { kind: "email"; email: string })
  | (CommonRequest & { kind: "workload"; workload: WorkloadInput });

/** What `/dev/token` answers with. */
export interface DevTokenResult {
  token: string;
  claims: JWTPayload;
}

// GitHub's own limits: owner names are 1-39 alphanumerics or single hyphens, repository names 1-100 of [A-Za-z0-9._-].
const OWNER = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})";
const REPO_NAME = "[A-Za-z0-9._-]{1,100}";
const REPOSITORY = new RegExp(`^${OWNER}/${REPO_NAME}$`);
const GIT_REF = /^refs\/(?:heads|tags)\/[A-Za-z0-9._/-]{1,200}$|^refs\/pull\/[0-9]{1,10}\/merge$/;
const WORKFLOW_REF = new RegExp(`^(${OWNER}/${REPO_NAME})/\\.github/workflows/([A-Za-z0-9._-]{1,100}\\.ya?ml)@(.+)$`);
const SHA1_HEX = /^[0-9a-f]{40}$/;
const NUMERIC_ID = /^[0-9]{1,20}$/;

interface FieldRule {
  test: (value: string) => boolean;
  what: string;
}

const rule = (pattern: RegExp, what: string): FieldRule => ({ test: (v) => pattern.test(v), what });

function isGitRef(value: string): boolean {
  // git check-ref-format forbids these, and a `..` in a ref that lands in a URL template is asking for trouble.
  return GIT_REF.test(value) && !value.includes("..") && !value.includes("//") && !/[/.]$/.test(value) && !value.endsWith(".lock");
}

function isWorkflowRef(value: string): boolean {
  const match = WORKFLOW_REF.exec(value);
  if (match === null) return false;
  const at = match[3] ?? "";
  return isGitRef(at) || SHA1_HEX.test(at);
}

const WORKLOAD_RULES: Record<keyof WorkloadInput, FieldRule> = {
  repository: rule(REPOSITORY, "owner/name"),
  workflow_ref: { test: isWorkflowRef, what: "owner/repo/.github/workflows/<file>.yml@refs/..." },
  job_workflow_ref: { test: isWorkflowRef, what: "owner/repo/.github/workflows/<file>.yml@<ref or sha>" },
  ref: { test: isGitRef, what: "refs/heads/<branch>, refs/tags/<tag> or refs/pull/<n>/merge" },
  sha: rule(SHA1_HEX, "40 lower-case hex digits"),
  workflow_sha: rule(SHA1_HEX, "40 lower-case hex digits"),
  job_workflow_sha: rule(SHA1_HEX, "40 lower-case hex digits"),
  event_name: rule(/^[a-z_]{1,64}$/, "a GitHub event name such as push"),
  workflow: rule(/^[\x20-\x7e]{1,100}$/, "1-100 printable ASCII characters"),
  // `:` separates the parts of `sub`, so it cannot appear in an environment name here.
  environment: rule(/^[A-Za-z0-9._ -]{1,255}$/, "1-255 of [A-Za-z0-9._ -]"),
  actor: rule(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/, "a GitHub user name"),
  actor_id: rule(NUMERIC_ID, "a decimal id"),
  repository_id: rule(NUMERIC_ID, "a decimal id"),
  repository_owner_id: rule(NUMERIC_ID, "a decimal id"),
  run_id: rule(NUMERIC_ID, "a decimal id"),
  run_number: rule(NUMERIC_ID, "a decimal number"),
  run_attempt: rule(NUMERIC_ID, "a decimal number"),
  runner_environment: rule(/^(?:github-hosted|self-hosted)$/, "github-hosted or self-hosted"),
  repository_visibility: rule(/^(?:public|private|internal)$/, "public, private or internal"),
};

const NUMERIC_FIELDS = new Set<string>(["actor_id", "repository_id", "repository_owner_id", "run_id", "run_number", "run_attempt"]);
const TOP_LEVEL_KEYS = new Set(["email", "workload", "audience", "ttlSeconds", "alg"]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseWorkload(value: unknown): WorkloadInput {
  if (!isPlainObject(value)) throw badRequest("workload must be an object");
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(value)) {
    if (!Object.hasOwn(WORKLOAD_RULES, key)) throw badRequest(`workload.${key.slice(0, 40)} is not a known claim`);
    const fieldRule = WORKLOAD_RULES[key as keyof WorkloadInput];
    // GitHub puts ids in tokens as strings; accept a JSON integer too, since that is what people type.
    const text = NUMERIC_FIELDS.has(key) && Number.isSafeInteger(raw) && (raw as number) >= 0 ? String(raw) : raw;
    if (typeof text !== "string" || !fieldRule.test(text)) throw badRequest(`workload.${key} must be ${fieldRule.what}`);
    out[key] = text;
  }
  if (out.repository === undefined) throw badRequest("workload.repository is required");
  const workflowRepo = out.workflow_ref === undefined ? undefined : WORKFLOW_REF.exec(out.workflow_ref)?.[1];
  // workflow_ref names the top-level workflow of the repository being built; only job_workflow_ref may point elsewhere.
  if (workflowRepo !== undefined && workflowRepo !== out.repository) {
    throw badRequest("workload.workflow_ref must belong to workload.repository");
  }
  return out as unknown as WorkloadInput;
}

/**
 * Parses and validates a `/dev/token` JSON body (at most 1 KiB); throws ERR_IDP_BAD_REQUEST.
 * Exactly one of `email` or `workload`; optional `audience`, `ttlSeconds` (1-3600) and `alg` (RS256, ES256).
 */
export function parseDevTokenRequest(text: string): DevTokenRequest {
  // attacker-controlled: the request body; size is capped before JSON.parse runs.
  if (text.length > MAX_DEV_TOKEN_BODY_BYTES) throw badRequest(`body must be at most ${MAX_DEV_TOKEN_BODY_BYTES} characters`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest("body must be JSON");
  }
  if (!isPlainObject(body)) throw badRequest("body must be a JSON object");
  for (const key of Object.keys(body)) {
    if (!TOP_LEVEL_KEYS.has(key)) throw badRequest(`unknown field ${JSON.stringify(key.slice(0, 40))}`);
  }

  const audience = body.audience ?? DEFAULT_AUDIENCE;
  if (typeof audience !== "string" || !/^[\x21-\x7e]{1,255}$/.test(audience)) {
    throw badRequest("audience must be 1-255 printable ASCII characters without spaces");
  }
  const ttlSeconds = body.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  if (typeof ttlSeconds !== "number" || !Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS) {
    throw badRequest(`ttlSeconds must be an integer from 1 to ${MAX_TTL_SECONDS}`);
  }
  const alg = body.alg ?? "RS256";
  if (typeof alg !== "string" || !(SIGNING_ALGORITHMS as readonly string[]).includes(alg)) {
    throw badRequest(`alg must be one of ${SIGNING_ALGORITHMS.join(", ")}`);
  }
  const common: CommonRequest = { audience, ttlSeconds, alg: alg as SigningAlgorithm };

  const hasEmail = body.email !== undefined;
  const hasWorkload = body.workload !== undefined;
  if (hasEmail === hasWorkload) throw badRequest("give exactly one of email or workload");
  if (hasEmail) return { kind: "email", email: parseEmail(body.email), ...common };
  return { kind: "workload", workload: parseWorkload(body.workload), ...common };
}

/** A deterministic stand-in for a value GitHub would assign (ids, commit sha), so the same input gives the same token claims. */
function derive(label: string, input: string): string {
  return hash("sha256", `signet-dev-idp/${label}/v1\n${input}`, "hex");
}

function deriveNumericId(label: string, input: string): string {
  // 48 bits: the size of real GitHub ids, well inside Number.MAX_SAFE_INTEGER.
  return String(Number.parseInt(derive(label, input).slice(0, 12), 16));
}

/**
 * The claims of a GitHub Actions ID token for a workload, with the fields Fulcio's github-workflow template reads
 * (sigstore/fulcio config/identity/config.yaml `ci-issuer-metadata`). `sub` follows GitHub's rules: environment,
 * then pull_request, then ref.
 */
export function toWorkloadClaims(workload: WorkloadInput): Record<string, string> {
  const repository = workload.repository;
  const owner = repository.slice(0, repository.indexOf("/"));
  const refFromWorkflow = workload.workflow_ref?.slice(workload.workflow_ref.lastIndexOf("@") + 1);
  const ref = workload.ref ?? (refFromWorkflow?.startsWith("refs/") ? refFromWorkflow : "refs/heads/main");
  const workflowRef = workload.workflow_ref ?? `${repository}/.github/workflows/ci.yml@${ref}`;
  const workflowFile = WORKFLOW_REF.exec(workflowRef)?.[2] ?? "ci.yml";
  const sha = workload.sha ?? derive("sha", `${repository}\n${ref}`).slice(0, 40);
  const eventName = workload.event_name ?? "push";

  let sub = `repo:${repository}:ref:${ref}`;
  if (workload.environment !== undefined) sub = `repo:${repository}:environment:${workload.environment}`;
  else if (eventName === "pull_request" || eventName === "pull_request_target") sub = `repo:${repository}:pull_request`;

  const claims: Record<string, string> = {
    sub,
    ref,
    sha,
    repository,
    repository_owner: owner,
    repository_owner_id: workload.repository_owner_id ?? deriveNumericId("owner-id", owner),
    run_id: workload.run_id ?? "1",
    run_number: workload.run_number ?? "1",
    run_attempt: workload.run_attempt ?? "1",
    repository_visibility: workload.repository_visibility ?? "public",
    repository_id: workload.repository_id ?? deriveNumericId("repository-id", repository),
    actor_id: workload.actor_id ?? deriveNumericId("actor-id", workload.actor ?? owner),
    actor: workload.actor ?? owner,
    workflow: workload.workflow ?? workflowFile.replace(/\.ya?ml$/, ""),
    head_ref: "",
    base_ref: "",
    event_name: eventName,
    ref_protected: "false",
    ref_type: ref.startsWith("refs/tags/") ? "tag" : "branch",
    workflow_ref: workflowRef,
    workflow_sha: workload.workflow_sha ?? sha,
    job_workflow_ref: workload.job_workflow_ref ?? workflowRef,
    job_workflow_sha: workload.job_workflow_sha ?? workload.workflow_sha ?? sha,
    runner_environment: workload.runner_environment ?? "github-hosted",
  };
  if (workload.environment !== undefined) claims.environment = workload.environment;
  return claims;
}

/** Signs an ID token for a validated request with the provider's own key (same `kid` as its JWKS), `iss` = issuer. */
export async function createDevToken(
  request: DevTokenRequest,
  options: { issuer: string; keys: SigningKeys; now?: number },
): Promise<DevTokenResult> {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const identity: Record<string, unknown> =
    request.kind === "email"
      ? { sub: toEmailSubject(request.email), email: request.email, email_verified: true }
      : { ...toWorkloadClaims(request.workload), nbf: now };
  const claims: JWTPayload = {
    jti: randomUUID(),
    ...identity,
    aud: request.audience,
    iss: options.issuer,
    iat: now,
    exp: now + request.ttlSeconds,
  };
  const key = options.keys.keyFor(request.alg);
  const token = await new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" }).sign(key.privateKey);
  return { token, claims };
}
