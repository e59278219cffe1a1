/**
 * The OIDC issuers the CA trusts, read from a JSON file (see config/issuers.example.json and
 * docs/ca.md): exact issuer URLs or anchored wildcard patterns, the identity type each one vouches for,
 * the token audience and algorithms to accept, and an admission policy over the token's claims.
 */
import { readFile, stat } from "node:fs/promises";
import { z } from "zod";

/** Identity types, named as Fulcio names its issuer types (sigstore/fulcio pkg/config). */
export const ISSUER_TYPES = ["email", "github-workflow", "gitlab-pipeline", "uri"] as const;
export type IssuerType = (typeof ISSUER_TYPES)[number];

/** Asymmetric JWS algorithms an issuer may be allowed (RFC 7518 §3.1); `none` and HS* can never be configured. */
export const TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;
export type TokenAlgorithm = (typeof TOKEN_ALGORITHMS)[number];

/** Cap on the configuration file. */
export const ISSUERS_CONFIG_MAX_BYTES = 1024 * 1024;

/** Thrown for an unusable configuration: the process should not start with it. */
export class IssuersConfigError extends Error {
  override name = "IssuersConfigError";
  readonly code = "ERR_OIDC_CONFIG_INVALID";
}

/** Admission policy over claims; every listed condition must hold. */
export interface AdmissionPolicy {
  /** email issuers: the address's domain (after the last '@', case-insensitive) must be one of these. */
  readonly emailDomains?: readonly string[];
  /** github-workflow: `repository_owner`; gitlab-pipeline: the top-level group of `namespace_path` (case-insensitive). */
  readonly repositoryOwners?: readonly string[];
  /** Claim name → allowed values (exact string match; a missing claim fails). */
  readonly claims?: Readonly<Record<string, readonly string[]>>;
}

/** How a token's `iss` is matched: the exact string, or a host pattern whose `*` is one DNS label. */
export type IssuerMatch =
  | { readonly kind: "exact"; readonly issuerUrl: string }
  | {
      readonly kind: "wildcard";
      readonly pattern: string;
      readonly protocol: "https:";
      readonly labels: readonly string[];
      readonly port: string;
      readonly path: string;
    };

/** One trusted issuer, with defaults applied. */
export interface IssuerConfig {
  readonly match: IssuerMatch;
  readonly type: IssuerType;
  /** The `aud` the token must carry (Fulcio's client-id). */
  readonly audience: string;
  /** The claim whose value a proof of possession signs. */
  readonly challengeClaim: string;
  readonly algorithms: readonly TokenAlgorithm[];
  /** email issuers only: accept tokens without `email_verified: true` (an explicit, per-issuer opt-out, SECURITY.md A9). */
  readonly skipEmailVerification: boolean;
  /** uri issuers: the scheme and host every `sub` must be under. */
  readonly subjectDomain?: string;
  /** github-workflow / gitlab-pipeline: the instance URL used in the SAN and extensions (Fulcio's `url` template value). */
  readonly ciBaseUrl?: string;
  readonly policy: AdmissionPolicy;
  readonly description?: string;
}

/** The parsed configuration. */
export interface IssuersConfig {
  readonly issuers: readonly IssuerConfig[];
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Issuer URLs are https, or http only on a loopback host (the development IdP). */
function checkIssuerUrl(value: string, what: string): URL {
  if (value.length > 512) throw new Error(`${what} is too long`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${what} ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname))) {
    throw new Error(`${what} must be https (http only on localhost)`);
  }
  if (url.username || url.password || url.search || url.hash || value.includes("?") || value.includes("#")) {
    throw new Error(`${what} must not carry credentials, a query or a fragment`);
  }
  return url;
}

function parseWildcard(pattern: string): IssuerMatch & { kind: "wildcard" } {
  // Parse by hand: `*` is not a valid host character, so URL cannot be trusted to keep it.
  const m = /^https:\/\/([^/:?#@]+)(?::([0-9]{1,5}))?(\/[^?#*]*)?$/.exec(pattern);
  if (m === null) throw new Error(`wildcardIssuerUrl ${JSON.stringify(pattern)} must be https://<host with * labels>[:port][/path]`);
  const labels = m[1]!.split(".");
  if (!labels.includes("*")) throw new Error("wildcardIssuerUrl has no * label");
  for (const l of labels) if (l !== "*" && !DNS_LABEL.test(l)) throw new Error(`wildcardIssuerUrl has a bad host label ${JSON.stringify(l)}`);
  // The registrable part must be fixed, or the pattern would match hosts anyone can register.
  if (labels.slice(-2).includes("*") || labels.filter((l) => l !== "*").length < 3) {
    throw new Error("wildcardIssuerUrl must keep its last two host labels literal and have at least three literal labels");
  }
  const path = m[3] === "/" ? "" : (m[3] ?? "");
  if (path.endsWith("/")) throw new Error("wildcardIssuerUrl path must not end in /");
  return { kind: "wildcard", pattern, protocol: "https:", labels, port: m[2] ?? "", path };
}

const claimName = z.string().regex(/^[A-Za-z0-9_.:/-]{1,100}$/, "claim names are 1-100 of [A-Za-z0-9_.:/-]");

const policySchema = z.strictObject({
  emailDomains: z
    .array(z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/, "a DNS domain"))
    .min(1)
    .max(1000)
    .optional(),
  repositoryOwners: z.array(z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "an owner or group name")).min(1).max(1000).optional(),
  claims: z.record(claimName, z.array(z.string().max(1024)).min(1).max(1000)).optional(),
});

const issuerSchema = z.strictObject({
  issuerUrl: z.string().optional(),
  wildcardIssuerUrl: z.string().optional(),
  type: z.enum(ISSUER_TYPES),
  audience: z.string().regex(/^[\x21-\x7e]{1,255}$/).default("sigstore"),
  challengeClaim: claimName.optional(),
  algorithms: z.array(z.enum(TOKEN_ALGORITHMS)).min(1).default(["RS256", "ES256"]),
  skipEmailVerification: z.boolean().default(false),
  subjectDomain: z.string().optional(),
  ciBaseUrl: z.string().optional(),
  policy: policySchema.default({}),
  description: z.string().max(200).optional(),
});

const configSchema = z.strictObject({
  description: z.string().max(2000).optional(),
  issuers: z.array(issuerSchema).min(1).max(200),
});

function resolveIssuer(raw: z.infer<typeof issuerSchema>, index: number): IssuerConfig {
  const where = `issuers[${index}]`;
  if ((raw.issuerUrl === undefined) === (raw.wildcardIssuerUrl === undefined)) {
    throw new Error(`${where}: give exactly one of issuerUrl or wildcardIssuerUrl`);
  }
  let match: IssuerMatch;
  if (raw.issuerUrl !== undefined) {
    checkIssuerUrl(raw.issuerUrl, `${where}.issuerUrl`);
    match = { kind: "exact", issuerUrl: raw.issuerUrl };
  } else {
    match = parseWildcard(raw.wildcardIssuerUrl!);
  }
  if (raw.skipEmailVerification && raw.type !== "email") throw new Error(`${where}: skipEmailVerification applies to email issuers only`);
  if (raw.policy.emailDomains && raw.type !== "email") throw new Error(`${where}: policy.emailDomains applies to email issuers only`);
  if (raw.policy.repositoryOwners && raw.type !== "github-workflow" && raw.type !== "gitlab-pipeline") {
    throw new Error(`${where}: policy.repositoryOwners applies to github-workflow and gitlab-pipeline issuers only`);
  }
  if (raw.type === "uri") {
    if (raw.subjectDomain === undefined) throw new Error(`${where}: uri issuers need a subjectDomain`);
    const u = checkIssuerUrl(raw.subjectDomain, `${where}.subjectDomain`);
    if (u.pathname !== "/") throw new Error(`${where}.subjectDomain is a scheme and host, without a path`);
  } else if (raw.subjectDomain !== undefined) {
    throw new Error(`${where}: subjectDomain applies to uri issuers only`);
  }
  if (raw.ciBaseUrl !== undefined) {
    if (raw.type !== "github-workflow" && raw.type !== "gitlab-pipeline") throw new Error(`${where}: ciBaseUrl applies to CI issuers only`);
    const u = checkIssuerUrl(raw.ciBaseUrl, `${where}.ciBaseUrl`);
    if (raw.ciBaseUrl.endsWith("/") || u.pathname !== "/") throw new Error(`${where}.ciBaseUrl is a scheme and host, without a trailing /`);
  }
  return {
    match,
    type: raw.type,
    audience: raw.audience,
    challengeClaim: raw.challengeClaim ?? (raw.type === "email" ? "email" : "sub"),
    algorithms: [...new Set(raw.algorithms)],
    skipEmailVerification: raw.skipEmailVerification,
    ...(raw.subjectDomain !== undefined ? { subjectDomain: raw.subjectDomain } : {}),
    ...(raw.ciBaseUrl !== undefined ? { ciBaseUrl: raw.ciBaseUrl } : {}),
    policy: raw.policy,
    ...(raw.description !== undefined ? { description: raw.description } : {}),
  };
}

/** Validate a parsed JSON configuration; throws IssuersConfigError naming the first bad field. */
export function parseIssuersConfig(json: unknown): IssuersConfig {
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 10).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new IssuersConfigError(`invalid issuers configuration:\n  ${lines.join("\n  ")}`);
  }
  const issuers: IssuerConfig[] = [];
  const seen = new Set<string>();
  try {
    parsed.data.issuers.forEach((raw, i) => {
      const issuer = resolveIssuer(raw, i);
      const key = issuer.match.kind === "exact" ? issuer.match.issuerUrl : issuer.match.pattern;
      if (seen.has(key)) throw new Error(`issuers[${i}]: ${key} is configured twice`);
      seen.add(key);
      issuers.push(issuer);
    });
  } catch (e) {
    throw new IssuersConfigError(`invalid issuers configuration: ${(e as Error).message}`);
  }
  return { issuers };
}

/** Read and validate the issuers file (JSON, at most 1 MiB). */
export async function loadIssuersConfig(file: string): Promise<IssuersConfig> {
  let text: string;
  try {
    if ((await stat(file)).size > ISSUERS_CONFIG_MAX_BYTES) throw new IssuersConfigError(`${file} is larger than ${ISSUERS_CONFIG_MAX_BYTES} bytes`);
    text = await readFile(file, "utf8");
  } catch (e) {
    if (e instanceof IssuersConfigError) throw e;
    throw new IssuersConfigError(`cannot read the issuers configuration ${file} (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new IssuersConfigError(`${file} is not JSON (${(e as Error).message})`);
  }
  return parseIssuersConfig(json);
}

function matchesWildcard(m: IssuerMatch & { kind: "wildcard" }, iss: string): boolean {
  let url: URL;
  try {
    url = new URL(iss);
  } catch {
    return false;
  }
  if (url.protocol !== m.protocol || url.username || url.password || url.search || url.hash) return false;
  if (url.port !== m.port) return false;
  const labels = url.hostname.split(".");
  if (labels.length !== m.labels.length) return false;
  for (let i = 0; i < labels.length; i++) {
    const want = m.labels[i]!;
    if (want === "*" ? !DNS_LABEL.test(labels[i]!) : labels[i] !== want) return false;
  }
  const path = url.pathname === "/" ? "" : url.pathname;
  if (path !== m.path) return false;
  // The token's iss must already be in this canonical form: no case games, no trailing '/', no default port.
  return iss === `${url.protocol}//${url.host}${path}`;
}

/**
 * The issuer a token's `iss` designates: an exact string match first, then an anchored wildcard match
 * on the parsed host (SECURITY.md A2, A7). Pure: it never touches the network.
 */
export function findIssuer(config: IssuersConfig, iss: string): IssuerConfig | undefined {
  for (const issuer of config.issuers) if (issuer.match.kind === "exact" && issuer.match.issuerUrl === iss) return issuer;
  for (const issuer of config.issuers) if (issuer.match.kind === "wildcard" && matchesWildcard(issuer.match, iss)) return issuer;
  return undefined;
}

/** One issuer as Fulcio's `GET /api/v2/configuration` lists it (fulcio.proto OIDCIssuer). */
export interface FulcioIssuerInfo {
  issuerUrl?: string;
  wildcardIssuerUrl?: string;
  audience: string;
  challengeClaim: string;
  issuerType: IssuerType;
  subjectDomain?: string;
}

/** The body of Fulcio's `GET /api/v2/configuration` (fulcio.proto `Configuration`). */
export function toFulcioConfiguration(config: IssuersConfig): { issuers: FulcioIssuerInfo[] } {
  return {
    issuers: config.issuers.map((i) => ({
      ...(i.match.kind === "exact" ? { issuerUrl: i.match.issuerUrl } : { wildcardIssuerUrl: i.match.pattern }),
      audience: i.audience,
      challengeClaim: i.challengeClaim,
      issuerType: i.type,
      ...(i.subjectDomain !== undefined ? { subjectDomain: i.subjectDomain } : {}),
    })),
  };
}
