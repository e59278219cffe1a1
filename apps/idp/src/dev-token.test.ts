import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { createLocalJWKSet, jwtVerify } from "jose";
import type { JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createDevToken, parseDevTokenRequest, toWorkloadClaims } from "./dev-token.ts";
import { loadOrCreateSigningKeys } from "./keys.ts";
import type { SigningKeys } from "./keys.ts";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe("parseDevTokenRequest", () => {
  it("fills defaults for an email request and case-folds the address", () => {
    expect(parseDevTokenRequest('{"email":"Dev@Example.TEST"}')).toEqual({
      kind: "email",
      email: "dev@example.test",
      audience: "sigstore",
      ttlSeconds: 600,
      alg: "RS256",
    });
  });

  it("accepts a workload with numeric ids given as JSON integers", () => {
    const request = parseDevTokenRequest(JSON.stringify({ workload: { repository: "org/repo", run_id: 12, repository_id: "34" }, ttlSeconds: 3600 }));
    expect(request).toMatchObject({ kind: "workload", ttlSeconds: 3600, workload: { repository: "org/repo", run_id: "12", repository_id: "34" } });
  });

  const malformed: [string, string][] = [
    ["empty input", ""],
    ["truncated JSON", '{"email":"dev@example.test"'],
    ["trailing data", '{"email":"dev@example.test"} x'],
    ["a string", '"dev@example.test"'],
    ["null", "null"],
    ["over 1 KiB", JSON.stringify({ email: "dev@example.test", audience: "a".repeat(1024) })],
    ["a negative run id", JSON.stringify({ workload: { repository: "org/repo", run_id: -1 } })],
    ["a float run id", JSON.stringify({ workload: { repository: "org/repo", run_id: 1.5 } })],
    ["an uppercase sha", JSON.stringify({ workload: { repository: "org/repo", sha: "A".repeat(40) } })],
    ["a workload array", JSON.stringify({ workload: [] })],
    ["a ref outside refs/", JSON.stringify({ workload: { repository: "org/repo", ref: "main" } })],
    ["a ref ending in .lock", JSON.stringify({ workload: { repository: "org/repo", ref: "refs/heads/x.lock" } })],
    ["an audience with a space", JSON.stringify({ email: "dev@example.test", audience: "a b" })],
    ["a string ttl", JSON.stringify({ email: "dev@example.test", ttlSeconds: "60" })],
    ["a null email", JSON.stringify({ email: null })],
  ];
  for (const [what, text] of malformed) {
    it(`rejects ${what} with ERR_IDP_BAD_REQUEST`, () => {
      expect(codeOf(() => parseDevTokenRequest(text))).toBe("ERR_IDP_BAD_REQUEST");
    });
  }
});

describe("toWorkloadClaims", () => {
  it("derives ref and workflow from workflow_ref, and is deterministic", () => {
    const workload = { repository: "org/repo", workflow_ref: "org/repo/.github/workflows/release.yaml@refs/tags/v1.2.3" };
    const claims = toWorkloadClaims(workload);
    expect(claims).toMatchObject({
      sub: "repo:org/repo:ref:refs/tags/v1.2.3",
      ref: "refs/tags/v1.2.3",
      ref_type: "tag",
      workflow: "release",
      job_workflow_ref: workload.workflow_ref,
    });
    expect(toWorkloadClaims(workload)).toEqual(claims);
    expect(toWorkloadClaims({ repository: "org/other" }).repository_id).not.toBe(claims.repository_id);
  });

  it("keeps a reusable job_workflow_ref from another repository", () => {
    const claims = toWorkloadClaims({
      repository: "org/repo",
      job_workflow_ref: "shared/workflows/.github/workflows/build.yml@refs/heads/main",
      job_workflow_sha: "b".repeat(40),
      sha: "a".repeat(40),
    });
    expect(claims).toMatchObject({
      job_workflow_ref: "shared/workflows/.github/workflows/build.yml@refs/heads/main",
      job_workflow_sha: "b".repeat(40),
      workflow_sha: "a".repeat(40),
      workflow_ref: "org/repo/.github/workflows/ci.yml@refs/heads/main",
    });
  });
});

describe("createDevToken", () => {
  let dir: string;
  let keys: SigningKeys;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "signet-idp-devtoken-"));
    keys = await loadOrCreateSigningKeys(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function publicJwks(): { keys: JWK[] } {
    return { keys: keys.privateJwks.keys.map(({ kty, crv, x, y, n, e, kid, alg, use }) => ({ kty, crv, x, y, n, e, kid, alg, use })) };
  }

  it("signs with the requested algorithm's kid and the given issuer, audience and lifetime", async () => {
    const now = Math.floor(Date.now() / 1000);
    const request = parseDevTokenRequest(JSON.stringify({ email: "dev@example.test", alg: "ES256", ttlSeconds: 120, audience: "x" }));
    const { token, claims } = await createDevToken(request, { issuer: "http://localhost:1", keys, now });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(publicJwks()), { issuer: "http://localhost:1", audience: "x" });
    expect(protectedHeader).toMatchObject({ alg: "ES256", kid: keys.keyFor("ES256").kid, typ: "JWT" });
    expect(payload).toEqual(claims);
    expect(payload).toMatchObject({ iat: now, exp: now + 120, email: "dev@example.test", email_verified: true });
  });

  it("gives each token its own jti", async () => {
    const request = parseDevTokenRequest('{"email":"dev@example.test"}');
    const a = await createDevToken(request, { issuer: "http://localhost:1", keys });
    const b = await createDevToken(request, { issuer: "http://localhost:1", keys });
    expect(a.claims.jti).not.toBe(b.claims.jti);
    expect(a.claims.sub).toBe(b.claims.sub);
  });
});
