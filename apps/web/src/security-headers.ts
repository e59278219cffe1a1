/**
 * Response security headers for every response the portal serves (SECURITY.md G5; ASVS 3.4).
 * Pure functions with no imports so that both src/proxy.ts and next.config.ts can use them.
 */

/** Inputs that vary per request or per deployment. */
export interface SecurityHeaderOptions {
  /** Per-request CSP nonce for documents; `null` for static assets, which never carry inline script. */
  readonly nonce: string | null;
  /** Extra origins the page may `fetch` (the public API origin); `'self'` is always allowed. */
  readonly connectOrigins: readonly string[];
  /** Development relaxations React needs (eval for server stack traces, inline dev-overlay styles). */
  readonly isDev: boolean;
  /** Served over https: adds HSTS and `upgrade-insecure-requests`. */
  readonly https: boolean;
}

/** HSTS for two years with subdomains; `preload` stays an operator decision (RFC 6797 §6.1). */
export const HSTS_VALUE = "max-age=63072000; includeSubDomains";

/**
 * Features the portal never uses are switched off; WebAuthn stays available to our own origin
 * only, because passkey step-up needs it and no embedded frame ever should.
 */
export const PERMISSIONS_POLICY_VALUE = [
  "camera=()",
  "microphone=()",
  "geolocation=()",
  "payment=()",
  "usb=()",
  "serial=()",
  "hid=()",
  "browsing-topics=()",
  "publickey-credentials-create=(self)",
  "publickey-credentials-get=(self)",
].join(", ");

/**
 * Headers that do not depend on the request. `no-referrer` because explorer URLs can carry
 * searched identities and digests, which must not leak to other origins (or even be echoed back).
 */
export const STATIC_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Permissions-Policy": PERMISSIONS_POLICY_VALUE,
  // Legacy complement of CSP frame-ancestors for browsers that predate it.
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};

/** The Content-Security-Policy value (CSP Level 3): nonce + strict-dynamic for documents, 'self' for assets. */
export function buildContentSecurityPolicy(options: SecurityHeaderOptions): string {
  const { nonce, isDev } = options;
  const scriptSrc =
    nonce === null ? ["'self'"] : [`'nonce-${nonce}'`, "'strict-dynamic'"];
  // WebAssembly compilation only (not JS eval): the file hasher's SHA-256 runs as WASM, ~3× the pure-JS speed.
  scriptSrc.push("'wasm-unsafe-eval'");
  if (isDev) scriptSrc.push("'unsafe-eval'");
  const styleSrc = isDev ? ["'self'", "'unsafe-inline'"] : nonce === null ? ["'self'"] : ["'self'", `'nonce-${nonce}'`];
  const directives: Array<[string, readonly string[]]> = [
    ["default-src", ["'self'"]],
    ["script-src", scriptSrc],
    ["style-src", styleSrc],
    ["img-src", ["'self'", "data:", "blob:"]],
    ["font-src", ["'self'"]],
    ["connect-src", ["'self'", ...uniqueOrigins(options.connectOrigins)]],
    // The file hasher (DESIGN "Data flow" step 2) runs in a Web Worker served by us.
    ["worker-src", ["'self'", "blob:"]],
    ["manifest-src", ["'self'"]],
    ["frame-src", ["'none'"]],
    ["object-src", ["'none'"]],
    ["base-uri", ["'none'"]],
    ["form-action", ["'self'"]],
    ["frame-ancestors", ["'none'"]],
  ];
  const parts = directives.map(([name, values]) => `${name} ${values.join(" ")}`);
  if (options.https) parts.push("upgrade-insecure-requests");
  return parts.join("; ");
}

/** Every security header for one response, CSP included. */
export function buildSecurityHeaders(options: SecurityHeaderOptions): Record<string, string> {
  const headers: Record<string, string> = {
    ...STATIC_SECURITY_HEADERS,
    "Content-Security-Policy": buildContentSecurityPolicy(options),
  };
  // HSTS over plain http is ignored by browsers (RFC 6797 §8.1) and would mislead; send it only on https.
  if (options.https) headers["Strict-Transport-Security"] = HSTS_VALUE;
  return headers;
}

/**
 * True when the client reached us over https: the request URL's own scheme, or the first hop of
 * `X-Forwarded-Proto` set by a TLS-terminating reverse proxy in front of `next start`.
 */
export function isHttpsRequest(protocol: string, forwardedProto: string | null): boolean {
  if (protocol === "https:") return true;
  // attacker-controlled: a spoofed value can at most add HSTS to a plain-http response, which browsers ignore.
  const first = forwardedProto?.split(",", 1)[0]?.trim().toLowerCase();
  return first === "https";
}

/** True for Next's build-output assets, which are never documents and so get a nonce-free CSP. */
export function isStaticAssetPath(pathname: string): boolean {
  return pathname.startsWith("/_next/static/");
}

/** The origin of a base URL (`http://127.0.0.1:8080/x` → `http://127.0.0.1:8080`). */
export function toOrigin(url: string): string {
  return new URL(url).origin;
}

function uniqueOrigins(origins: readonly string[]): string[] {
  // CSP source expressions are space-separated: anything with whitespace or quotes would inject directives.
  return [...new Set(origins.filter((o) => /^https?:\/\/[^\s;,'"]+$/.test(o)))];
}
