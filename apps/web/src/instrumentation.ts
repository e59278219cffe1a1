import { getWebEnv } from "./env.ts";

/**
 * Runs once when the Next server starts: a misconfigured SIGNET_* URL stops the server here with
 * ERR_WEB_ENV_INVALID instead of failing every request later inside the proxy.
 */
export function register(): void {
  getWebEnv();
}
