// Unit tests without a database: cookie parsing, the login issuers derived from the CA's issuers
// (the embedded default must accept the dev IdP's portal audience `signet-web`), and the relying party.
import { describe, expect, it } from "vitest";
import { createAuthServices, issuersFor } from "../../app.ts";
import type { Db } from "../../db.ts";
import { loadEnv } from "../../env.ts";
import { findIssuer, parseIssuersConfig } from "../oidc/issuers.ts";
import { PLAIN_SESSION_COOKIE, readSessionCookie, SECURE_SESSION_COOKIE, toLoginIssuers, toRelyingParty } from "./index.ts";

const ID = "x".repeat(43);

describe("readSessionCookie", () => {
  it("finds the session cookie among others", () => {
    expect(readSessionCookie(`a=b; ${SECURE_SESSION_COOKIE}=${ID}; c=d`, false)).toBe(ID);
    expect(readSessionCookie(`${PLAIN_SESSION_COOKIE}=${ID}`, true)).toBe(ID);
  });
  it("ignores the plain name on https portals (a sibling host could plant it)", () => {
    expect(readSessionCookie(`${PLAIN_SESSION_COOKIE}=${ID}`, false)).toBeUndefined();
  });
  it("prefers the __Host- cookie", () => {
    const other = "y".repeat(43);
    expect(readSessionCookie(`${PLAIN_SESSION_COOKIE}=${other}; ${SECURE_SESSION_COOKIE}=${ID}`, true)).toBe(ID);
  });
  it("refuses malformed values and oversized headers", () => {
    expect(readSessionCookie(`${PLAIN_SESSION_COOKIE}=short`, true)).toBeUndefined();
    expect(readSessionCookie(`${PLAIN_SESSION_COOKIE}=${ID}!`, true)).toBeUndefined();
    expect(readSessionCookie(`${PLAIN_SESSION_COOKIE}=${ID}; pad=${"p".repeat(9000)}`, true)).toBeUndefined();
    expect(readSessionCookie(undefined, true)).toBeUndefined();
  });
});

describe("login issuers", () => {
  it("keep email issuers only, with the portal's client id as audience", () => {
    const config = parseIssuersConfig({
      issuers: [
        { issuerUrl: "https://accounts.example", type: "email" },
        { issuerUrl: "https://token.actions.githubusercontent.com", type: "github-workflow" },
      ],
    });
    const login = toLoginIssuers(config, "portal");
    expect(login.issuers).toHaveLength(1);
    expect(findIssuer(login, "https://accounts.example")?.audience).toBe("portal");
    expect(findIssuer(config, "https://accounts.example")?.audience).toBe("sigstore");
  });

  it("the embedded default accepts audience signet-web for logins and keeps sigstore for the CA", async () => {
    const env = loadEnv({ DATABASE_URL: "postgresql://x@127.0.0.1/x", SIGNET_IDP_ISSUER: "http://localhost:8081", SIGNET_WEB_URL: "http://localhost:3500" });
    const issuers = await issuersFor(env);
    const auth = createAuthServices(env, {} as Db, issuers);
    expect(findIssuer(auth.loginIssuers, "http://localhost:8081")?.audience).toBe("signet-web");
    expect(findIssuer(issuers, "http://localhost:8081")?.audience).toBe("sigstore");
    expect(auth.allowPlainCookie).toBe(true);
    const https = createAuthServices(loadEnv({ DATABASE_URL: "postgresql://x@127.0.0.1/x", SIGNET_WEB_URL: "https://signet.example" }), {} as Db, issuers);
    expect(https.allowPlainCookie).toBe(false);
  });
});

describe("toRelyingParty", () => {
  it("uses the portal's origin (with port) and host name", () => {
    expect(toRelyingParty("http://localhost:3500")).toEqual({ origin: "http://localhost:3500", rpId: "localhost", rpName: "Signet" });
    expect(toRelyingParty("https://signet.example/")).toMatchObject({ origin: "https://signet.example", rpId: "signet.example" });
  });
});
