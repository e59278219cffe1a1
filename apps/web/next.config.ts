import type { NextConfig } from "next";
import {
  HSTS_VALUE,
  STATIC_SECURITY_HEADERS,
  buildContentSecurityPolicy,
} from "./src/security-headers.ts";

const toHeaderList = (record: Readonly<Record<string, string>>) =>
  Object.entries(record).map(([key, value]) => ({ key, value }));

/**
 * src/proxy.ts sets every security header per request. These config headers repeat the
 * request-independent ones so they survive even where the proxy does not run (a CDN serving the
 * exported `_next/static` tree, or a proxy crash); the proxy's values win where both apply.
 */
const nextConfig: NextConfig = {
  // @signet/crypto ships TypeScript source with explicit `./x.ts` imports; Next compiles it for
  // both the server and the browser bundles.
  transpilePackages: ["@signet/crypto"],
  poweredByHeader: false,
  reactStrictMode: true,
  async headers() {
    return [
      { source: "/:path*", headers: toHeaderList(STATIC_SECURITY_HEADERS) },
      {
        source: "/_next/static/:path*",
        headers: [
          {
            key: "Content-Security-Policy",
            value: buildContentSecurityPolicy({ nonce: null, connectOrigins: [], isDev: false, https: false }),
          },
        ],
      },
      {
        source: "/:path*",
        has: [{ type: "header", key: "x-forwarded-proto", value: "https" }],
        headers: [{ key: "Strict-Transport-Security", value: HSTS_VALUE }],
      },
    ];
  },
};

export default nextConfig;
