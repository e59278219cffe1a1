import { SignetWebError } from "./errors.ts";

/**
 * The portal's configuration. This module is the only reader of `process.env` in apps/web;
 * it is server-only (client components get what they need as props from server components).
 */
export interface WebEnv {
  /** Base URL the portal's server uses to reach the API (health checks, tRPC proxying). */
  readonly apiUrl: string;
  /** Base URL browsers use to reach the API (links, CSP `connect-src`); defaults to `apiUrl`. */
  readonly publicApiUrl: string;
  /** Base URL of the OpenID Provider (the dev IdP by default). */
  readonly idpUrl: string;
  /** The portal's own public URL (login redirect URI, WebAuthn origin). */
  readonly webUrl: string;
  /** The OpenID issuer people log in with (the dev IdP's issuer by default). */
  readonly idpIssuer: string;
  /** The portal's OAuth client id at that issuer. */
  readonly webClientId: string;
  /** `NODE_ENV === "development"`: relaxes the CSP for React's dev tooling only. */
  readonly isDev: boolean;
  /** The data directory (SIGNET_DATA_DIR), where the portal keeps `web/state-key`; relative paths are from the working directory. */
  readonly dataDir: string;
  /** SIGNET_WEB_SECRET: when set, the login-state key derives from it instead of `<dataDir>/web/state-key`. */
  readonly webSecret: string | undefined;
}

export const DEFAULT_API_URL = "http://127.0.0.1:8080";
export const DEFAULT_IDP_URL = "http://127.0.0.1:8081";
/** The repository's `.data` as seen from apps/web, where `next start` runs (the start command sets SIGNET_DATA_DIR anyway). */
export const DEFAULT_DATA_DIR = "../../.data";
/** Shortest SIGNET_WEB_SECRET accepted: 32 characters, e.g. `openssl rand -base64 32` gives 44. */
export const MIN_WEB_SECRET_CHARS = 32;

/** Parse and validate the portal's variables from an env-shaped record; throws ERR_WEB_ENV_INVALID. */
export function parseWebEnv(source: Readonly<Record<string, string | undefined>>): WebEnv {
  const apiUrl = toBaseUrl("SIGNET_API_URL", source["SIGNET_API_URL"], DEFAULT_API_URL);
  return {
    apiUrl,
    publicApiUrl: toBaseUrl("SIGNET_PUBLIC_API_URL", source["SIGNET_PUBLIC_API_URL"], apiUrl),
    idpUrl: toBaseUrl("SIGNET_IDP_URL", source["SIGNET_IDP_URL"], DEFAULT_IDP_URL),
    webUrl: toBaseUrl("SIGNET_WEB_URL", source["SIGNET_WEB_URL"], "http://localhost:3000"),
    idpIssuer: toBaseUrl("SIGNET_IDP_ISSUER", source["SIGNET_IDP_ISSUER"], toBaseUrl("SIGNET_IDP_URL", source["SIGNET_IDP_URL"], DEFAULT_IDP_URL)),
    webClientId: source["SIGNET_WEB_CLIENT_ID"]?.trim() || "signet-web",
    isDev: source["NODE_ENV"] === "development",
    dataDir: source["SIGNET_DATA_DIR"]?.trim() || DEFAULT_DATA_DIR,
    webSecret: toWebSecret(source["SIGNET_WEB_SECRET"]),
  };
}

function toWebSecret(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  // A short secret would make every portal's login cookies forgeable by guessing it.
  if (raw.trim().length < MIN_WEB_SECRET_CHARS) throw new SignetWebError("ERR_WEB_ENV_INVALID", `SIGNET_WEB_SECRET must have at least ${MIN_WEB_SECRET_CHARS} characters`);
  return raw.trim();
}

/** The portal's configuration from `process.env` (re-read per call: cheap, and tests can vary it). */
export function getWebEnv(): WebEnv {
  // Named reads, not a spread of process.env, so bundlers see exactly which variables are used.
  return parseWebEnv({
    SIGNET_API_URL: process.env.SIGNET_API_URL,
    SIGNET_PUBLIC_API_URL: process.env.SIGNET_PUBLIC_API_URL,
    SIGNET_IDP_URL: process.env.SIGNET_IDP_URL,
    SIGNET_WEB_URL: process.env.SIGNET_WEB_URL,
    SIGNET_IDP_ISSUER: process.env.SIGNET_IDP_ISSUER,
    SIGNET_WEB_CLIENT_ID: process.env.SIGNET_WEB_CLIENT_ID,
    NODE_ENV: process.env.NODE_ENV,
    SIGNET_DATA_DIR: process.env.SIGNET_DATA_DIR,
    SIGNET_WEB_SECRET: process.env.SIGNET_WEB_SECRET,
  });
}

/**
 * An absolute http(s) URL without credentials, query or fragment, with no trailing slash, so
 * callers can append paths (`${apiUrl}/healthz`) and CSP can use its origin.
 */
function toBaseUrl(name: string, raw: string | undefined, fallback: string): string {
  const text = raw === undefined || raw.trim() === "" ? fallback : raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new SignetWebError("ERR_WEB_ENV_INVALID", `${name} is not an absolute URL`, { cause });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new SignetWebError("ERR_WEB_ENV_INVALID", `${name} must be an http or https URL`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new SignetWebError("ERR_WEB_ENV_INVALID", `${name} must not carry credentials`);
  }
  if (url.search !== "" || url.hash !== "") {
    throw new SignetWebError("ERR_WEB_ENV_INVALID", `${name} must not have a query or fragment`);
  }
  return url.href.replace(/\/+$/, "");
}
