import { describe, expect, it } from "vitest";
import { DEFAULT_API_URL, DEFAULT_DATA_DIR, DEFAULT_IDP_URL, MIN_WEB_SECRET_CHARS, parseWebEnv } from "./env.ts";
import { isSignetWebError } from "./errors.ts";

function expectEnvError(source: Record<string, string | undefined>): void {
  try {
    parseWebEnv(source);
  } catch (e) {
    expect(isSignetWebError(e, "ERR_WEB_ENV_INVALID")).toBe(true);
    return;
  }
  expect.fail("parseWebEnv accepted an invalid environment");
}

describe("parseWebEnv", () => {
  it("uses the loopback defaults when nothing is set", () => {
    const env = parseWebEnv({});
    expect(env.apiUrl).toBe(DEFAULT_API_URL);
    expect(env.publicApiUrl).toBe(DEFAULT_API_URL);
    expect(env.idpUrl).toBe(DEFAULT_IDP_URL);
    expect(env.isDev).toBe(false);
  });

  it("defaults the public API URL to the server-side one and strips trailing slashes", () => {
    const env = parseWebEnv({ SIGNET_API_URL: "http://api.internal:8080/", SIGNET_IDP_URL: " https://idp.example/base/ " });
    expect(env.apiUrl).toBe("http://api.internal:8080");
    expect(env.publicApiUrl).toBe("http://api.internal:8080");
    expect(env.idpUrl).toBe("https://idp.example/base");
  });

  it("keeps an explicit public API URL separate", () => {
    const env = parseWebEnv({ SIGNET_API_URL: "http://10.0.0.5:8080", SIGNET_PUBLIC_API_URL: "https://api.signet.example" });
    expect(env.apiUrl).toBe("http://10.0.0.5:8080");
    expect(env.publicApiUrl).toBe("https://api.signet.example");
  });

  it("treats empty values as unset", () => {
    expect(parseWebEnv({ SIGNET_API_URL: "", SIGNET_PUBLIC_API_URL: "  " }).publicApiUrl).toBe(DEFAULT_API_URL);
  });

  it("flags development mode only for NODE_ENV=development", () => {
    expect(parseWebEnv({ NODE_ENV: "development" }).isDev).toBe(true);
    expect(parseWebEnv({ NODE_ENV: "production" }).isDev).toBe(false);
    expect(parseWebEnv({ NODE_ENV: "test" }).isDev).toBe(false);
  });

  it.each([
    ["not a URL", { SIGNET_API_URL: "127.0.0.1:8080" }],
    ["a non-http scheme", { SIGNET_API_URL: "ftp://127.0.0.1" }],
    ["a javascript: URL", { SIGNET_PUBLIC_API_URL: "javascript:alert(1)" }],
    ["credentials", { SIGNET_IDP_URL: "http://user:pw@127.0.0.1:8081" }],
    ["a query", { SIGNET_PUBLIC_API_URL: "http://127.0.0.1:8080/?x=1" }],
    ["a fragment", { SIGNET_API_URL: "http://127.0.0.1:8080/#f" }],
    ["a short web secret", { SIGNET_WEB_SECRET: "too-short-to-be-a-secret" }],
  ])("rejects %s with ERR_WEB_ENV_INVALID", (_label, source) => {
    expectEnvError(source);
  });

  it("reads the data directory and the optional web secret", () => {
    expect(parseWebEnv({}).dataDir).toBe(DEFAULT_DATA_DIR);
    expect(parseWebEnv({}).webSecret).toBeUndefined();
    expect(parseWebEnv({ SIGNET_DATA_DIR: " /srv/signet ", SIGNET_WEB_SECRET: ` ${"k".repeat(MIN_WEB_SECRET_CHARS)} ` })).toMatchObject({ dataDir: "/srv/signet", webSecret: "k".repeat(MIN_WEB_SECRET_CHARS) });
    expect(parseWebEnv({ SIGNET_WEB_SECRET: "  " }).webSecret).toBeUndefined();
  });
});
