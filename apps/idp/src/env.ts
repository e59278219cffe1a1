import { isIP } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { IdpError } from "./errors.ts";

/** Validated configuration of the development IdP. */
export interface IdpEnv {
  /** TCP port to listen on (SIGNET_IDP_PORT). */
  port: number;
  /** Addresses to bind; the default is loopback only, both address families. */
  hosts: string[];
  /** True when the hosts were defaulted, so a missing IPv6 loopback is not an error. */
  hostsDefaulted: boolean;
  /** Issuer identifier, exactly as it appears in `iss` (SIGNET_IDP_ISSUER). */
  issuer: string;
  /** Origin (and optional base path) of the Signet portal, without a trailing slash (SIGNET_WEB_URL). */
  webUrl: string;
  /** Root data directory (SIGNET_DATA_DIR); the IdP keeps its files under `<dataDir>/idp`. */
  dataDir: string;
  /** Whether `POST /dev/token` is served (SIGNET_IDP_DEV_TOKENS, default on). */
  devTokens: boolean;
}

/** Loopback addresses bound by default: the dev IdP is never reachable from another machine unless asked. */
export const DEFAULT_HOSTS: readonly string[] = ["127.0.0.1", "::1"];

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

function fail(name: string, message: string): never {
  throw new IdpError("ERR_IDP_CONFIG_INVALID", `${name}: ${message}`);
}

function readPort(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 8081;
  if (!/^[0-9]{1,5}$/.test(raw)) fail("SIGNET_IDP_PORT", `expected a port number 1-65535, got ${JSON.stringify(raw)}`);
  const port = Number(raw);
  if (port < 1 || port > 65535) fail("SIGNET_IDP_PORT", `expected a port number 1-65535, got ${raw}`);
  return port;
}

/** Parses an http(s) base URL; a base path is kept, a query, fragment or credentials are refused. */
function readBaseUrl(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    fail(name, `not a valid URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") fail(name, `must be an http:// or https:// URL, got ${raw}`);
  if (url.search !== "" || url.hash !== "" || raw.includes("?") || raw.includes("#")) {
    fail(name, `must not carry a query or fragment: ${raw}`);
  }
  if (url.username !== "" || url.password !== "") fail(name, `must not carry credentials`);
  return url;
}

function readIssuer(raw: string | undefined, port: number): string {
  if (raw === undefined || raw === "") return `http://localhost:${port}`;
  const url = readBaseUrl("SIGNET_IDP_ISSUER", raw);
  // Relying parties compare `iss` as an exact string (OIDC Core §3.1.3.7 step 2): a trailing slash here would make
  // the discovery document disagree with what operators type elsewhere, so refuse it rather than guess.
  if (raw.endsWith("/")) fail("SIGNET_IDP_ISSUER", `must not end with "/": ${raw}`);
  if (url.href !== raw && url.href !== `${raw}/`) {
    fail("SIGNET_IDP_ISSUER", `must be in canonical form (lower-case scheme and host, no default port): ${raw}`);
  }
  return raw;
}

function readWebUrl(raw: string | undefined): string {
  if (raw === undefined || raw === "") return "http://localhost:3000";
  const url = readBaseUrl("SIGNET_WEB_URL", raw);
  return url.href.replace(/\/+$/, "");
}

function readDevTokens(raw: string | undefined): boolean {
  if (raw === undefined || raw === "") return true;
  const value = raw.trim().toLowerCase();
  if (["0", "false", "no", "off"].includes(value)) return false;
  if (["1", "true", "yes", "on"].includes(value)) return true;
  // A typo must not silently leave token minting on.
  return fail("SIGNET_IDP_DEV_TOKENS", `expected 0 or 1, got ${JSON.stringify(raw)}`);
}

function readHosts(raw: string | undefined): { hosts: string[]; hostsDefaulted: boolean } {
  if (raw === undefined || raw.trim() === "") return { hosts: [...DEFAULT_HOSTS], hostsDefaulted: true };
  const hosts = raw.split(",").map((h) => h.trim()).filter((h) => h !== "");
  for (const host of hosts) {
    if (isIP(host) === 0 && !/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/i.test(host)) {
      fail("SIGNET_IDP_HOST", `not an IP address or host name: ${JSON.stringify(host)}`);
    }
  }
  return { hosts, hostsDefaulted: false };
}

/** Reads and validates the IdP's environment once; throws ERR_IDP_CONFIG_INVALID naming the bad variable. */
export function loadEnv(env: NodeJS.ProcessEnv = process.env): IdpEnv {
  const port = readPort(env.SIGNET_IDP_PORT);
  const { hosts, hostsDefaulted } = readHosts(env.SIGNET_IDP_HOST);
  const dataDirRaw = env.SIGNET_DATA_DIR;
  return {
    port,
    hosts,
    hostsDefaulted,
    issuer: readIssuer(env.SIGNET_IDP_ISSUER, port),
    webUrl: readWebUrl(env.SIGNET_WEB_URL),
    dataDir: dataDirRaw === undefined || dataDirRaw === "" ? resolve(REPO_ROOT, ".data") : resolve(dataDirRaw),
    devTokens: readDevTokens(env.SIGNET_IDP_DEV_TOKENS),
  };
}
