/**
 * Which services to sign with, and the trusted root to check them against: a
 * SigningConfig v0.2 (sigstore/protobuf-specs sigstore_trustroot.proto;
 * INTEROP.md §7) from a file or from a Signet instance's well-known path.
 */
import { parseSigningConfig, parseTrustedRoot, selectServices, type Service, type SigningConfig, type TrustedRoot } from "@signet/crypto";
import { SignError } from "./errors.ts";
import { joinUrl, sendJson, type Fetch } from "./http.ts";

/** Where a Signet instance publishes its trust material. */
export const TRUSTED_ROOT_PATH = "/.well-known/signet/trusted_root.json";
export const SIGNING_CONFIG_PATH = "/.well-known/signet/signing_config.json";

/** The API versions this client speaks: Fulcio v2 (listed as 1 in SigningConfig), Rekor v1, RFC 3161. */
const SUPPORTED = { ca: [1], rekor: [1], tsa: [1] } as const;

/** The services one signing uses. */
export interface SigningServices {
  /** Fulcio base URL. */
  readonly caUrl: string;
  /** Rekor v1 base URLs: the entry goes to each. */
  readonly rekorUrls: readonly string[];
  /** Full RFC 3161 endpoint URLs: one timestamp from each. May be empty (the log's SET is then the only time). */
  readonly tsaUrls: readonly string[];
}

function pick(services: readonly Service[], what: string, now: number, supported: readonly number[], config?: SigningConfig["tsaConfig"]): Service[] {
  try {
    return selectServices(services, { now, supportedApiVersions: supported, ...(config === undefined ? {} : { config }) });
  } catch (cause) {
    throw new SignError("ERR_SIGN_NO_SERVICE", `the signing config offers no usable ${what}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Choose the CA, logs and TSAs from a SigningConfig by its selection rules, at `now` (ms). Throws ERR_SIGN_NO_SERVICE. */
export function servicesFromSigningConfig(config: SigningConfig, now: number = Date.now()): SigningServices {
  const ca = pick(config.caUrls, "certificate authority", now, SUPPORTED.ca)[0]!;
  const rekor = pick(config.rekorTlogUrls, "Rekor v1 transparency log", now, SUPPORTED.rekor, config.rekorTlogConfig);
  const tsa = config.tsaUrls.length === 0 ? [] : pick(config.tsaUrls, "timestamp authority", now, SUPPORTED.tsa, config.tsaConfig);
  return { caUrl: ca.url, rekorUrls: rekor.map((s) => s.url), tsaUrls: tsa.map((s) => s.url) };
}

/** Parse a SigningConfig (file contents or a fetched value). Throws ERR_SIGN_RESPONSE_MALFORMED. */
export function readSigningConfig(input: unknown, source: string): SigningConfig {
  try {
    return parseSigningConfig(input);
  } catch (cause) {
    throw new SignError("ERR_SIGN_RESPONSE_MALFORMED", `${source} is not a SigningConfig v0.2: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Parse a TrustedRoot (file contents or a fetched value). Throws ERR_SIGN_RESPONSE_MALFORMED. */
export function readTrustedRoot(input: unknown, source: string): TrustedRoot {
  try {
    return parseTrustedRoot(input);
  } catch (cause) {
    throw new SignError("ERR_SIGN_RESPONSE_MALFORMED", `${source} is not a TrustedRoot: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** GET an instance's SigningConfig. */
export async function fetchSigningConfig(fetchFn: Fetch, instanceUrl: string): Promise<SigningConfig> {
  const url = joinUrl(instanceUrl, SIGNING_CONFIG_PATH);
  return readSigningConfig(await sendJson(fetchFn, { url, method: "GET", what: "signing config", maxBytes: 1024 * 1024 }), url);
}

/**
 * GET an instance's TrustedRoot. Used only to check what this client just
 * signed against the instance it signed with; verifiers elsewhere pin their
 * trusted root (SECURITY.md F9).
 */
export async function fetchTrustedRoot(fetchFn: Fetch, instanceUrl: string): Promise<TrustedRoot> {
  const url = joinUrl(instanceUrl, TRUSTED_ROOT_PATH);
  return readTrustedRoot(await sendJson(fetchFn, { url, method: "GET", what: "trusted root", maxBytes: 4 * 1024 * 1024 }), url);
}
