import type { Router } from "../http/router.ts";
import { sendJson } from "./common.ts";

/** GET /.well-known/signet/trusted_root.json (and, once the CA exists, the signing config). */
export function registerTrust(router: Router, opts: { trustedRoot: () => Promise<unknown> | unknown; signingConfig?: () => Promise<unknown> | unknown }): void {
  router.add("GET", "/.well-known/signet/trusted_root.json", async ({ res }) => {
    sendJson(res, 200, await opts.trustedRoot(), { "cache-control": "public, max-age=60" });
  });
  if (opts.signingConfig) {
    const signingConfig = opts.signingConfig;
    router.add("GET", "/.well-known/signet/signing_config.json", async ({ res }) => {
      sendJson(res, 200, await signingConfig(), { "cache-control": "public, max-age=60" });
    });
  }
}
