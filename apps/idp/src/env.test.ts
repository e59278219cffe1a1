import { describe, expect, it } from "vitest";

import { loadEnv } from "./env.ts";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe("loadEnv", () => {
  it("defaults to port 8081, a localhost issuer, the portal on :3000, loopback hosts and dev tokens on", () => {
    const env = loadEnv({});
    expect(env).toMatchObject({
      port: 8081,
      issuer: "http://localhost:8081",
      webUrl: "http://localhost:3000",
      hosts: ["127.0.0.1", "::1"],
      hostsDefaulted: true,
      devTokens: true,
    });
    expect(env.dataDir).toMatch(/[/\\]\.data$/);
  });

  it("derives the default issuer from the port and keeps an explicit one exactly", () => {
    expect(loadEnv({ SIGNET_IDP_PORT: "9000" }).issuer).toBe("http://localhost:9000");
    expect(loadEnv({ SIGNET_IDP_ISSUER: "https://idp.example.test/dev" }).issuer).toBe("https://idp.example.test/dev");
  });

  it("strips a trailing slash from the portal URL and resolves a relative data dir", () => {
    expect(loadEnv({ SIGNET_WEB_URL: "http://127.0.0.1:3000/" }).webUrl).toBe("http://127.0.0.1:3000");
    expect(loadEnv({ SIGNET_DATA_DIR: "some/dir" }).dataDir).toBe(`${process.cwd()}/some/dir`);
  });

  it("reads SIGNET_IDP_DEV_TOKENS strictly", () => {
    expect(loadEnv({ SIGNET_IDP_DEV_TOKENS: "0" }).devTokens).toBe(false);
    expect(loadEnv({ SIGNET_IDP_DEV_TOKENS: "1" }).devTokens).toBe(true);
    expect(codeOf(() => loadEnv({ SIGNET_IDP_DEV_TOKENS: "nope" }))).toBe("ERR_IDP_CONFIG_INVALID");
  });

  const bad: [string, Record<string, string>][] = [
    ["a non-numeric port", { SIGNET_IDP_PORT: "80a" }],
    ["port 0", { SIGNET_IDP_PORT: "0" }],
    ["a port above 65535", { SIGNET_IDP_PORT: "70000" }],
    ["an issuer with a trailing slash", { SIGNET_IDP_ISSUER: "http://localhost:8081/" }],
    ["an issuer with a query", { SIGNET_IDP_ISSUER: "http://localhost:8081?x=1" }],
    ["an issuer with a fragment", { SIGNET_IDP_ISSUER: "http://localhost:8081#x" }],
    ["a non-http issuer", { SIGNET_IDP_ISSUER: "ftp://localhost" }],
    ["an issuer in non-canonical form", { SIGNET_IDP_ISSUER: "HTTP://LOCALHOST:8081" }],
    ["an issuer with credentials", { SIGNET_IDP_ISSUER: "http://u:p@localhost:8081" }],
    ["a portal URL that is not a URL", { SIGNET_WEB_URL: "localhost:3000" }],
    ["a bad host", { SIGNET_IDP_HOST: "127.0.0.1,bad host" }],
  ];
  for (const [what, env] of bad) {
    it(`rejects ${what} with ERR_IDP_CONFIG_INVALID`, () => {
      expect(codeOf(() => loadEnv(env))).toBe("ERR_IDP_CONFIG_INVALID");
    });
  }
});
