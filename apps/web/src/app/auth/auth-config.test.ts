import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { toSessionCookieHeader } from "../../lib/api-proxy.ts";
import { cookieNames, isSameOrigin, openLogin, sealLogin, serializeCookie, toCodeChallenge, toReturnPath, type AuthConfig } from "./auth-config.ts";

const key = randomBytes(32);
const tx = { state: "s".repeat(43), nonce: "n".repeat(43), verifier: "v".repeat(43), returnTo: "/account", expiresAt: 2_000_000 };
const config: AuthConfig = { webUrl: "http://localhost:3500", issuer: "http://localhost:8581", apiUrl: "http://127.0.0.1:8580", clientId: "signet-web" };

describe("sealed login cookie", () => {
  it("round-trips before expiry", () => {
    expect(openLogin(sealLogin(tx, key), 1_000_000, key)).toEqual(tx);
  });
  it("refuses expired, tampered, foreign-key, truncated and junk values", () => {
    const sealed = sealLogin(tx, key);
    expect(openLogin(sealed, 2_000_000, key)).toBeUndefined();
    const raw = Buffer.from(sealed, "base64url");
    raw[raw.length - 1]! ^= 1;
    expect(openLogin(raw.toString("base64url"), 1, key)).toBeUndefined();
    expect(openLogin(sealed, 1, randomBytes(32))).toBeUndefined();
    expect(openLogin(sealed.slice(0, 30), 1, key)).toBeUndefined();
    expect(openLogin("not base64url!", 1, key)).toBeUndefined();
    expect(openLogin("A".repeat(5000), 1, key)).toBeUndefined();
    expect(openLogin(undefined, 1, key)).toBeUndefined();
  });
  it("never yields an arbitrary return URL", () => {
    expect(toReturnPath("https://evil.example/")).toBe("/me");
    expect(toReturnPath("//evil.example")).toBe("/me");
    expect(toReturnPath("/account")).toBe("/account");
    expect(openLogin(sealLogin({ ...tx, returnTo: "https://evil.example" }, key), 1, key)?.returnTo).toBe("/me");
  });
});

describe("cookies", () => {
  it("are HttpOnly, SameSite=Lax, Path=/, without Domain; __Host- and Secure on https", () => {
    expect(cookieNames(true)).toEqual({ session: "__Host-signet_session", login: "__Host-signet_login" });
    expect(cookieNames(false).session).toBe("signet_session");
    const secure = serializeCookie("__Host-signet_session", "v", 60, true);
    expect(secure).toBe("__Host-signet_session=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure");
    expect(serializeCookie("signet_session", "v", 60, false)).not.toMatch(/Secure|Domain/);
  });
  it("the proxy forwards only the session cookie", () => {
    const id = "a".repeat(43);
    expect(toSessionCookieHeader(`other=1; signet_session=${id}; x=y`)).toBe(`signet_session=${id}`);
    expect(toSessionCookieHeader(`__Host-signet_session=${id}`)).toBe(`__Host-signet_session=${id}`);
    expect(toSessionCookieHeader("other=1")).toBeUndefined();
    expect(toSessionCookieHeader(`signet_session=bad value;`)).toBeUndefined();
    expect(toSessionCookieHeader(null)).toBeUndefined();
  });
});

describe("PKCE and same-origin", () => {
  it("computes the RFC 7636 appendix B S256 challenge", () => {
    expect(toCodeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  });
  it("accepts only this portal's Origin", () => {
    const post = (headers: Record<string, string>) => new Request("http://localhost:3500/auth/logout", { method: "POST", headers });
    expect(isSameOrigin(post({ origin: "http://localhost:3500" }), config)).toBe(true);
    expect(isSameOrigin(post({ origin: "https://evil.example" }), config)).toBe(false);
    expect(isSameOrigin(post({ "sec-fetch-site": "cross-site" }), config)).toBe(false);
    expect(isSameOrigin(post({}), config)).toBe(false);
    expect(isSameOrigin(post({ origin: "null", "sec-fetch-site": "same-origin" }), config)).toBe(true);
    expect(isSameOrigin(post({ origin: "null", "sec-fetch-site": "cross-site" }), config)).toBe(false);
    expect(isSameOrigin(post({ origin: "null" }), config)).toBe(false);
  });
});
