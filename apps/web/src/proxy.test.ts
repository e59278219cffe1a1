import { NextRequest } from "next/server";
import { afterEach, describe, expect, it } from "vitest";
import { proxy } from "./proxy.ts";

const saved = process.env.SIGNET_PUBLIC_API_URL;
afterEach(() => {
  if (saved === undefined) delete process.env.SIGNET_PUBLIC_API_URL;
  else process.env.SIGNET_PUBLIC_API_URL = saved;
});

/** The nonce Next will see: the proxy passes overridden request headers as x-middleware-request-*. */
function forwardedRequestHeader(response: Response, name: string): string | null {
  return response.headers.get(`x-middleware-request-${name}`);
}

function nonceOf(csp: string | null): string | undefined {
  return /'nonce-([^']+)'/.exec(csp ?? "")?.[1];
}

describe("proxy", () => {
  it("sets the security headers and a fresh nonce shared by the response CSP and the renderer", () => {
    const first = proxy(new NextRequest("http://localhost:3000/sign"));
    const second = proxy(new NextRequest("http://localhost:3000/sign"));
    const csp = first.headers.get("content-security-policy");
    const nonce = nonceOf(csp);
    expect(nonce).toBeDefined();
    expect(nonce).not.toBe(nonceOf(second.headers.get("content-security-policy")));
    expect(forwardedRequestHeader(first, "x-nonce")).toBe(nonce);
    expect(forwardedRequestHeader(first, "content-security-policy")).toBe(csp);
    expect(first.headers.get("x-content-type-options")).toBe("nosniff");
    expect(first.headers.get("referrer-policy")).toBeTruthy();
    expect(first.headers.get("permissions-policy")).toBeTruthy();
    expect(first.headers.get("strict-transport-security")).toBeNull();
  });

  it("never lets a client choose the nonce", () => {
    const response = proxy(
      new NextRequest("http://localhost:3000/", {
        headers: { "content-security-policy": "script-src 'nonce-attacker'", "x-nonce": "attacker" },
      }),
    );
    expect(forwardedRequestHeader(response, "x-nonce")).not.toBe("attacker");
    expect(forwardedRequestHeader(response, "content-security-policy")).not.toContain("attacker");
  });

  it("gives static assets a nonce-free CSP and strips client CSP headers", () => {
    const response = proxy(
      new NextRequest("http://localhost:3000/_next/static/chunks/app.js", {
        headers: { "content-security-policy": "script-src 'nonce-attacker'" },
      }),
    );
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(nonceOf(response.headers.get("content-security-policy"))).toBeUndefined();
    expect(forwardedRequestHeader(response, "content-security-policy")).toBeNull();
  });

  it("adds HSTS behind a TLS-terminating proxy and allows the public API origin", () => {
    process.env.SIGNET_PUBLIC_API_URL = "https://api.signet.example/";
    const response = proxy(new NextRequest("http://localhost:3000/", { headers: { "x-forwarded-proto": "https" } }));
    expect(response.headers.get("strict-transport-security")).toMatch(/max-age=\d{8,}; includeSubDomains/);
    expect(response.headers.get("content-security-policy")).toContain("connect-src 'self' https://api.signet.example;");
  });
});
