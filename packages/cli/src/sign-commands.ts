/**
 * `signet dev-token`, `signet sign` and `signet sign-bundle` (the
 * sigstore-conformance CLI protocol, sigstore/sigstore-conformance
 * docs/cli_protocol.md). All signing goes through signArtifact.
 */
import { readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { UsageError, parseArgs, type ParsedArgs } from "./args.ts";
import { readArtifact, type Artifact } from "./artifact.ts";
import { DEFAULT_IDP_URL, WORKLOAD_FIELDS, requestDevToken, type DevTokenRequest, type WorkloadField } from "./dev-token.ts";
import { SignError, isSignError } from "./errors.ts";
import type { Fetch } from "./http.ts";
import { joinUrl } from "./http.ts";
import { fetchSigningConfig, fetchTrustedRoot, readSigningConfig, readTrustedRoot, servicesFromSigningConfig, type SigningServices } from "./instance.ts";
import type { Io } from "./io.ts";
import { signArtifact, type SignResult } from "./sign-flow.ts";

/** The default Signet instance (apps/api: SIGNET_API_PORT 8080). */
export const DEFAULT_INSTANCE_URL = "http://localhost:8080";

/** Largest trusted root or signing config file read. */
const MAX_CONFIG_FILE = 4 * 1024 * 1024;

function fetchOf(io: Io): Fetch {
  return io.fetch ?? ((url, init) => fetch(url, init));
}

function readConfigFile(path: string, what: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new UsageError(`cannot read ${what} ${path}`);
  }
  if (size > MAX_CONFIG_FILE) throw new UsageError(`${what} ${path} is larger than ${MAX_CONFIG_FILE} bytes`);
  return readFileSync(path, "utf8");
}

function httpUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${name} is not a URL: ${value}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`${name} must be an http(s) URL: ${value}`);
  return value.replace(/\/+$/, "");
}

function idpUrl(a: ParsedArgs, io: Io): string {
  return httpUrl(a.values.get("idp") ?? io.env.SIGNET_IDP_URL ?? DEFAULT_IDP_URL, "--idp / SIGNET_IDP_URL");
}

function instanceUrl(value: string | undefined, io: Io): string {
  return httpUrl(value ?? io.env.SIGNET_API_URL ?? DEFAULT_INSTANCE_URL, "--instance / SIGNET_API_URL");
}

function reportSignFailure(e: unknown, io: Io): number {
  if (e instanceof UsageError) throw e;
  if (isSignError(e)) io.err(`signing FAILED: ${e.code}: ${e.message}\n`);
  else io.err(`signing FAILED: ${e instanceof Error ? e.message : String(e)}\n`);
  return 1;
}

// ---- dev-token -------------------------------------------------------------------

const workloadFlag = (f: WorkloadField) => `workload-${f.replace(/_/g, "-")}`;

/**
 * `dev-token [--email E | --workload-repository org/repo [--workload-… V]…]
 * [--audience A] [--idp URL]`: print a token from the dev IdP (nothing else).
 */
export async function devTokenCommand(argv: readonly string[], io: Io): Promise<number> {
  const spec: Record<string, boolean> = { email: true, audience: true, idp: true };
  for (const f of WORKLOAD_FIELDS) spec[workloadFlag(f)] = true;
  const a = parseArgs(argv, spec);
  if (a.positionals.length !== 0) throw new UsageError("dev-token takes no positional arguments");
  const request = devTokenRequest(a);
  if (request === undefined) throw new UsageError("dev-token needs --email E or --workload-repository org/repo");
  try {
    const t = await requestDevToken(fetchOf(io), idpUrl(a, io), request);
    io.out(io.stdoutIsTty ? `${t.token}\n` : t.token);
    return 0;
  } catch (e) {
    return reportSignFailure(e, io);
  }
}

/** The dev-token request the flags describe, or undefined when they name no identity. */
function devTokenRequest(a: ParsedArgs): DevTokenRequest | undefined {
  const email = a.values.get("email");
  const audience = a.values.get("audience");
  const workload: Partial<Record<WorkloadField, string>> = {};
  for (const f of WORKLOAD_FIELDS) {
    const v = a.values.get(workloadFlag(f));
    if (v !== undefined) workload[f] = v;
  }
  const hasWorkload = Object.keys(workload).length > 0;
  if (email !== undefined && hasWorkload) throw new UsageError("give --email or --workload-…, not both");
  const aud = audience === undefined ? {} : { audience };
  if (email !== undefined) return { kind: "email", email, ...aud };
  if (!hasWorkload) return undefined;
  const repository = workload.repository;
  if (repository === undefined) throw new UsageError("--workload-… options need --workload-repository org/repo");
  return { kind: "workload", workload: { ...workload, repository }, ...aud };
}

// ---- the shared signing path ----------------------------------------------------------

interface SigningSetup {
  readonly services: SigningServices;
  readonly trustedRootFile: string | undefined;
  /** Where to fetch the trusted root from when no file is given. */
  readonly instance: string;
}

/**
 * Services from `--signing-config FILE`, else the instance's published
 * SigningConfig; an instance that publishes none is used for every service.
 */
async function resolveServices(fetchFn: Fetch, signingConfigFile: string | undefined, instance: string, io: Io): Promise<SigningServices> {
  if (signingConfigFile !== undefined) return servicesFromSigningConfig(readSigningConfig(readConfigFile(signingConfigFile, "signing config"), signingConfigFile));
  try {
    return servicesFromSigningConfig(await fetchSigningConfig(fetchFn, instance));
  } catch (e) {
    if (!(isSignError(e, "ERR_SIGN_SERVICE_REFUSED") && e.status === 404)) throw e;
    io.err(`note: ${instance} publishes no signing config; using it as certificate authority, log and timestamp authority\n`);
    return { caUrl: instance, rekorUrls: [instance], tsaUrls: [joinUrl(instance, "/api/v1/timestamp")] };
  }
}

async function signFile(io: Io, setup: SigningSetup, artifact: Artifact, token: string, inToto: boolean, out: string, progress: boolean): Promise<SignResult> {
  const fetchFn = fetchOf(io);
  const trustedRoot =
    setup.trustedRootFile !== undefined
      ? readTrustedRoot(readConfigFile(setup.trustedRootFile, "trusted root"), setup.trustedRootFile)
      : await fetchTrustedRoot(fetchFn, setup.instance);
  const result = await signArtifact({
    artifact,
    mode: inToto ? "in-toto" : "message",
    identityToken: token,
    services: setup.services,
    trustedRoot,
    fetch: fetchFn,
    ...(progress ? { progress: (line: string) => io.err(`ok   ${line}\n`) } : {}),
  });
  writeAtomically(out, result.bundleText);
  return result;
}

/** Write via a temporary file and rename, so a reader never sees half a bundle. */
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, { mode: 0o644, flag: "wx" });
    renameSync(tmp, path);
  } catch (cause) {
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing to clean up.
    }
    throw new SignError("ERR_SIGN_BUNDLE_WRITE_FAILED", `cannot write the bundle to ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

function identityToken(value: string): string {
  const t = value.trim();
  if (t === "") throw new UsageError("--identity-token is empty");
  return t;
}

// ---- sign ---------------------------------------------------------------------------

/**
 * `sign <file> [--identity-token T | --email E [--idp URL]] [--instance URL]
 * [--signing-config FILE] [--trusted-root FILE] [--bundle OUT] [--in-toto]`.
 */
export async function signCommand(argv: readonly string[], io: Io): Promise<number> {
  const a = parseArgs(argv, {
    "identity-token": true,
    email: true,
    idp: true,
    instance: true,
    "signing-config": true,
    "trusted-root": true,
    bundle: true,
    "in-toto": false,
  });
  if (a.positionals.length !== 1) throw new UsageError("sign needs exactly one file");
  const file = a.positionals[0]!;
  const tokenFlag = a.values.get("identity-token");
  const email = a.values.get("email");
  if ((tokenFlag === undefined) === (email === undefined)) throw new UsageError("sign needs exactly one of --identity-token T or --email E");
  if (email === undefined && a.values.has("idp")) throw new UsageError("--idp is used only with --email");
  const instanceFlag = a.values.get("instance");
  if (instanceFlag !== undefined && a.values.has("signing-config")) throw new UsageError("give --instance or --signing-config, not both");
  const out = a.values.get("bundle") ?? `${file}.sigstore.json`;
  const instance = instanceUrl(instanceFlag, io);
  const idp = email === undefined ? undefined : idpUrl(a, io);
  const givenToken = tokenFlag === undefined ? undefined : identityToken(tokenFlag);
  try {
    // The file first: a typo should not cost a token request.
    const artifact = await readArtifact(file);
    const fetchFn = fetchOf(io);
    const token = givenToken ?? (await requestDevToken(fetchFn, idp!, { kind: "email", email: email! })).token;
    const services = await resolveServices(fetchFn, a.values.get("signing-config"), instance, io);
    const setup: SigningSetup = {
      services,
      trustedRootFile: a.values.get("trusted-root") ?? nonEmpty(io.env.SIGNET_TRUSTED_ROOT),
      instance: a.values.has("signing-config") && instanceFlag === undefined ? services.caUrl : instance,
    };
    const result = await signFile(io, setup, artifact, token, a.switches.has("in-toto"), out, true);
    io.out(`Signed ${file} as ${result.identity} (issuer ${result.issuer})\nWrote ${out}\n`);
    for (const e of result.tlogEntries) io.out(`Log index ${e.logIndex}: ${e.url}\n`);
    return 0;
  } catch (e) {
    return reportSignFailure(e, io);
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}

// ---- sign-bundle (conformance) --------------------------------------------------------

/**
 * `sign-bundle [--staging] [--in-toto] --identity-token TOKEN --bundle FILE
 * [--trusted-root FILE] [--signing-config FILE] FILE`. Without
 * --signing-config the instance is $SIGNET_API_URL (default
 * http://localhost:8080); with --staging, $SIGNET_STAGING_SIGNING_CONFIG and
 * $SIGNET_STAGING_TRUSTED_ROOT. Exit 0 only when a verified bundle was written.
 */
export async function signBundleCommand(argv: readonly string[], io: Io): Promise<number> {
  const a = parseArgs(argv, {
    staging: false,
    "in-toto": false,
    "identity-token": true,
    bundle: true,
    "trusted-root": true,
    "signing-config": true,
  });
  if (a.positionals.length !== 1) throw new UsageError("sign-bundle needs exactly one FILE");
  const tokenFlag = a.values.get("identity-token");
  if (tokenFlag === undefined) throw new UsageError("sign-bundle needs --identity-token TOKEN");
  const out = a.values.get("bundle");
  if (out === undefined) throw new UsageError("sign-bundle needs --bundle FILE");
  const staging = a.switches.has("staging");
  const signingConfigFile = a.values.get("signing-config") ?? (staging ? nonEmpty(io.env.SIGNET_STAGING_SIGNING_CONFIG) : undefined);
  if (staging && signingConfigFile === undefined) {
    throw new UsageError("--staging needs a staging instance: pass --signing-config FILE or set SIGNET_STAGING_SIGNING_CONFIG");
  }
  const trustedRootFile = a.values.get("trusted-root") ?? nonEmpty(staging ? io.env.SIGNET_STAGING_TRUSTED_ROOT : io.env.SIGNET_TRUSTED_ROOT);
  const instance = instanceUrl(undefined, io);
  const token = identityToken(tokenFlag);
  try {
    const artifact = await readArtifact(a.positionals[0]!);
    const fetchFn = fetchOf(io);
    const services = await resolveServices(fetchFn, signingConfigFile, instance, io);
    const setup: SigningSetup = { services, trustedRootFile, instance: signingConfigFile !== undefined ? services.caUrl : instance };
    await signFile(io, setup, artifact, token, a.switches.has("in-toto"), out, false);
    io.out(`Wrote ${out}\n`);
    return 0;
  } catch (e) {
    return reportSignFailure(e, io);
  }
}
