import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findIssuer, loadIssuersConfig, parseIssuersConfig, toFulcioConfiguration } from "./issuers.ts";

// The example shipped in config/, read from the repo root (tests run from there).
const EXAMPLE = path.join(process.cwd(), "config/issuers.example.json");

function configError(json: unknown): string | undefined {
  try {
    parseIssuersConfig(json);
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

const one = (issuer: Record<string, unknown>) => ({ issuers: [issuer] });

describe("loadIssuersConfig", () => {
  it("loads config/issuers.example.json with its defaults applied", async () => {
    const config = await loadIssuersConfig(EXAMPLE);
    const dev = findIssuer(config, "http://localhost:8081")!;
    expect(dev).toMatchObject({ type: "email", audience: "sigstore", challengeClaim: "email", algorithms: ["RS256", "ES256"], skipEmailVerification: false });
    expect(dev.policy.emailDomains).toEqual(["example.test"]);
    const gh = findIssuer(config, "https://token.actions.githubusercontent.com")!;
    expect(gh).toMatchObject({ type: "github-workflow", challengeClaim: "sub", algorithms: ["RS256"] });
    expect(gh.policy).toEqual({ repositoryOwners: ["my-org"], claims: { repository_visibility: ["public"] } });
    expect(findIssuer(config, "https://oidc.eu-west.example.com")).toMatchObject({ type: "uri", audience: "signet", subjectDomain: "https://workloads.example.com" });
  });

  it("fails with ERR_OIDC_CONFIG_INVALID on a missing, non-JSON or oversized file", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "signet-issuers-"));
    try {
      await expect(loadIssuersConfig(path.join(dir, "absent.json"))).rejects.toMatchObject({ code: "ERR_OIDC_CONFIG_INVALID" });
      await writeFile(path.join(dir, "bad.json"), "{ not json");
      await expect(loadIssuersConfig(path.join(dir, "bad.json"))).rejects.toMatchObject({ code: "ERR_OIDC_CONFIG_INVALID" });
      await writeFile(path.join(dir, "big.json"), " ".repeat(1024 * 1024 + 1));
      await expect(loadIssuersConfig(path.join(dir, "big.json"))).rejects.toMatchObject({ code: "ERR_OIDC_CONFIG_INVALID" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("parseIssuersConfig rejects unsafe or ambiguous configuration", () => {
  const cases: [string, unknown][] = [
    ["no issuers", { issuers: [] }],
    ["an unknown field", one({ issuerUrl: "https://a.test", type: "email", issuer_url: "x" })],
    ["both issuerUrl and wildcardIssuerUrl", one({ issuerUrl: "https://a.test", wildcardIssuerUrl: "https://*.a.test", type: "email" })],
    ["neither", one({ type: "email" })],
    ["an http issuer off loopback", one({ issuerUrl: "http://idp.example.test", type: "email" })],
    ["an issuer with a query", one({ issuerUrl: "https://idp.example.test/?x=1", type: "email" })],
    ["an issuer with credentials", one({ issuerUrl: "https://u:p@idp.example.test", type: "email" })],
    ["alg none", one({ issuerUrl: "https://a.test", type: "email", algorithms: ["none"] })],
    ["alg HS256", one({ issuerUrl: "https://a.test", type: "email", algorithms: ["HS256"] })],
    ["an unknown type", one({ issuerUrl: "https://a.test", type: "kubernetes" })],
    ["a wildcard in the registrable domain", one({ wildcardIssuerUrl: "https://oidc.*.com", type: "email" })],
    ["a bare wildcard host", one({ wildcardIssuerUrl: "https://*.example.com", type: "email" })],
    ["a partial-label wildcard", one({ wildcardIssuerUrl: "https://oidc-*.x.example.com", type: "email" })],
    ["an http wildcard", one({ wildcardIssuerUrl: "http://oidc.*.example.com", type: "email" })],
    ["a wildcard in the path", one({ wildcardIssuerUrl: "https://oidc.a.example.com/*", type: "email" })],
    ["a wildcard with no *", one({ wildcardIssuerUrl: "https://oidc.a.example.com", type: "email" })],
    ["emailDomains on a CI issuer", one({ issuerUrl: "https://a.test", type: "github-workflow", policy: { emailDomains: ["a.test"] } })],
    ["repositoryOwners on an email issuer", one({ issuerUrl: "https://a.test", type: "email", policy: { repositoryOwners: ["x"] } })],
    ["skipEmailVerification on a CI issuer", one({ issuerUrl: "https://a.test", type: "github-workflow", skipEmailVerification: true })],
    ["a uri issuer without subjectDomain", one({ issuerUrl: "https://a.test", type: "uri" })],
    ["a subjectDomain with a path", one({ issuerUrl: "https://a.test", type: "uri", subjectDomain: "https://w.test/x" })],
    ["an unknown policy rule", one({ issuerUrl: "https://a.test", type: "email", policy: { subjects: ["x"] } })],
    ["a duplicate issuer", { issuers: [{ issuerUrl: "https://a.test", type: "email" }, { issuerUrl: "https://a.test", type: "email" }] }],
  ];
  for (const [what, json] of cases) it(`rejects ${what}`, () => expect(configError(json)).toBe("ERR_OIDC_CONFIG_INVALID"));
});

describe("findIssuer (SECURITY.md A2, A7)", () => {
  const config = parseIssuersConfig({
    issuers: [
      { issuerUrl: "https://token.actions.githubusercontent.com", type: "github-workflow" },
      { issuerUrl: "https://issuer.example.test/tenant/", type: "email" },
      { wildcardIssuerUrl: "https://oidc.*.example.com", type: "email" },
      { wildcardIssuerUrl: "https://login.*.corp.example.net:8443/realm", type: "email" },
    ],
  });
  it("matches exact strings only", () => {
    expect(findIssuer(config, "https://token.actions.githubusercontent.com")?.type).toBe("github-workflow");
    expect(findIssuer(config, "https://issuer.example.test/tenant/")?.type).toBe("email");
    for (const iss of [
      "https://token.actions.githubusercontent.com/",
      "https://Token.Actions.GithubUserContent.com",
      "http://token.actions.githubusercontent.com",
      "https://token.actions.githubusercontent.com.evil.example",
      "https://evil.example/?https://token.actions.githubusercontent.com",
      "https://issuer.example.test/tenant",
      " https://token.actions.githubusercontent.com",
    ]) {
      expect(findIssuer(config, iss), iss).toBeUndefined();
    }
  });
  it("matches a wildcard on exactly one label of the parsed host, anchored", () => {
    expect(findIssuer(config, "https://oidc.eu-west-1.example.com")).toBeDefined();
    expect(findIssuer(config, "https://login.a1.corp.example.net:8443/realm")).toBeDefined();
    for (const iss of [
      "https://oidc.example.com",
      "https://oidc.a.b.example.com",
      "https://oidc..example.com",
      "https://oidc.eu.example.com/",
      "https://OIDC.eu.example.com",
      "https://oidc.EU.example.com",
      "http://oidc.eu.example.com",
      "https://oidc.eu.example.com:443",
      "https://oidc.eu.example.com:8443",
      "https://oidc.eu.example.com.evil.test",
      "https://oidc.eu.example.com?x",
      "https://oidc.eu.example.com#x",
      "https://user@oidc.eu.example.com",
      "https://evil.test/?https://oidc.eu.example.com",
      "https://oidc.e_u.example.com",
      "https://login.a1.corp.example.net/realm",
      "https://login.a1.corp.example.net:8443/realm/x",
      "not a url",
    ]) {
      expect(findIssuer(config, iss), iss).toBeUndefined();
    }
  });
});

describe("toFulcioConfiguration", () => {
  it("lists every issuer as Fulcio's GET /api/v2/configuration does", async () => {
    const body = toFulcioConfiguration(await loadIssuersConfig(EXAMPLE));
    expect(body.issuers).toContainEqual({ issuerUrl: "https://token.actions.githubusercontent.com", audience: "sigstore", challengeClaim: "sub", issuerType: "github-workflow" });
    expect(body.issuers).toContainEqual({ issuerUrl: "http://localhost:8081", audience: "sigstore", challengeClaim: "email", issuerType: "email" });
    expect(body.issuers).toContainEqual({
      wildcardIssuerUrl: "https://oidc.*.example.com",
      audience: "signet",
      challengeClaim: "sub",
      issuerType: "uri",
      subjectDomain: "https://workloads.example.com",
    });
  });
});
