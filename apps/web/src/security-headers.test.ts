import { describe, expect, it } from "vitest";
import { CSP_NONCE_BYTES, createCspNonce } from "./csp-nonce.ts";
import {
  HSTS_VALUE,
  buildContentSecurityPolicy,
  buildSecurityHeaders,
  isHttpsRequest,
  isStaticAssetPath,
  toOrigin,
} from "./security-headers.ts";

/** Directive name → source list, as a browser would split the policy. */
function parseCsp(value: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of value.split(";")) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out.set(name, sources);
  }
  return out;
}

const base = { connectOrigins: ["http://127.0.0.1:8080"], isDev: false, https: false } as const;

describe("buildContentSecurityPolicy (SECURITY.md G5)", () => {
  it("gives documents a nonce + strict-dynamic script-src and the locked-down directives", () => {
    const csp = parseCsp(buildContentSecurityPolicy({ ...base, nonce: "abc123==" }));
    expect(csp.get("script-src")).toEqual(["'nonce-abc123=='", "'strict-dynamic'", "'wasm-unsafe-eval'"]);
    expect(csp.get("script-src")).not.toContain("'unsafe-eval'");
    expect(csp.get("object-src")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'none'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("form-action")).toEqual(["'self'"]);
    expect(csp.get("connect-src")).toEqual(["'self'", "http://127.0.0.1:8080"]);
    expect(csp.get("style-src")).toEqual(["'self'", "'nonce-abc123=='"]);
    // Production must never allow eval or inline script.
    expect([...csp.values()].flat()).not.toContain("'unsafe-eval'");
    expect([...csp.values()].flat()).not.toContain("'unsafe-inline'");
    expect(csp.has("upgrade-insecure-requests")).toBe(false);
  });

  it("gives static assets a nonce-free policy that still forbids objects, base and framing", () => {
    const csp = parseCsp(buildContentSecurityPolicy({ ...base, nonce: null }));
    expect(csp.get("script-src")).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(csp.get("object-src")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'none'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
  });

  it("relaxes eval and inline styles only in development", () => {
    const csp = parseCsp(buildContentSecurityPolicy({ ...base, nonce: "n", isDev: true }));
    expect(csp.get("script-src")).toContain("'unsafe-eval'");
    expect(csp.get("style-src")).toContain("'unsafe-inline'");
    expect(csp.get("script-src")).not.toContain("'unsafe-inline'");
  });

  it("adds upgrade-insecure-requests over https", () => {
    expect(parseCsp(buildContentSecurityPolicy({ ...base, nonce: "n", https: true })).has("upgrade-insecure-requests")).toBe(true);
  });

  it("de-duplicates connect origins and drops values that would inject directives", () => {
    const csp = parseCsp(
      buildContentSecurityPolicy({
        ...base,
        nonce: "n",
        connectOrigins: ["https://a.example", "https://a.example", "https://b.example; script-src *", "'unsafe-inline'"],
      }),
    );
    expect(csp.get("connect-src")).toEqual(["'self'", "https://a.example"]);
    expect(csp.get("script-src")).toEqual(["'nonce-n'", "'strict-dynamic'", "'wasm-unsafe-eval'"]);
  });
});

describe("buildSecurityHeaders", () => {
  it("always sends nosniff, a referrer policy, a permissions policy and a CSP", () => {
    const headers = buildSecurityHeaders({ ...base, nonce: "n" });
    expect(headers["X-Content-Type-Options"]).toBe("nosniff");
    expect(headers["Referrer-Policy"]).toMatch(/^(no-referrer|strict-origin-when-cross-origin)$/);
    expect(headers["Permissions-Policy"]).toContain("camera=()");
    expect(headers["Permissions-Policy"]).toContain("publickey-credentials-get=(self)");
    expect(headers["Content-Security-Policy"]).toContain("'nonce-n'");
  });

  it("sends HSTS (≥ 1 year, includeSubDomains) only over https", () => {
    expect(buildSecurityHeaders({ ...base, nonce: "n" })["Strict-Transport-Security"]).toBeUndefined();
    const hsts = buildSecurityHeaders({ ...base, nonce: "n", https: true })["Strict-Transport-Security"];
    expect(hsts).toBe(HSTS_VALUE);
    expect(Number(/max-age=(\d+)/.exec(hsts ?? "")?.[1])).toBeGreaterThanOrEqual(31_536_000);
    expect(hsts).toContain("includeSubDomains");
  });
});

describe("isHttpsRequest", () => {
  it.each([
    ["https:", null, true],
    ["http:", "https", true],
    ["http:", "HTTPS", true],
    ["http:", "https, http", true],
    ["http:", "http, https", false],
    ["http:", null, false],
    ["http:", "", false],
    ["http:", "httpsx", false],
  ] as const)("protocol %s, X-Forwarded-Proto %s → %s", (protocol, forwarded, expected) => {
    expect(isHttpsRequest(protocol, forwarded)).toBe(expected);
  });
});

describe("isStaticAssetPath / toOrigin", () => {
  it("recognises only Next's build output as static assets", () => {
    expect(isStaticAssetPath("/_next/static/chunks/app.js")).toBe(true);
    expect(isStaticAssetPath("/_next/image")).toBe(false);
    expect(isStaticAssetPath("/sign")).toBe(false);
    expect(isStaticAssetPath("/x/_next/static/a.js")).toBe(false);
  });

  it("reduces a base URL to its origin", () => {
    expect(toOrigin("http://127.0.0.1:8080/api/")).toBe("http://127.0.0.1:8080");
    expect(toOrigin("https://api.example:443")).toBe("https://api.example");
  });
});

describe("createCspNonce", () => {
  it("returns 128 bits as base64, different every time", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 64; i++) {
      const nonce = createCspNonce();
      expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(atob(nonce).length).toBe(CSP_NONCE_BYTES);
      seen.add(nonce);
    }
    expect(seen.size).toBe(64);
  });
});
