/**
 * `signet verify-bundle` (the sigstore-conformance CLI protocol,
 * sigstore/sigstore-conformance docs/cli_protocol.md) and `signet verify`
 * (the same verification, with the transcript printed for people).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import {
  BundleVerificationError,
  formatTranscript,
  parseTrustedRoot,
  verifyBundle,
  type StringMatcher,
  type TrustedRoot,
  type VerificationPolicy,
  type VerifiedBundle,
} from "@signet/crypto/sigstore";
import { fromHex } from "@signet/crypto/encoding/hex";
import { isSignetCryptoError } from "@signet/crypto/errors";
import { UsageError, parseArgs } from "./args.ts";
import type { Io } from "./io.ts";

export type { Io } from "./io.ts";

/** Largest bundle, trusted root or key file read (the library caps again when parsing). */
const MAX_INPUT_FILE = 32 * 1024 * 1024;

function readInput(path: string, what: string): Buffer {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new UsageError(`cannot read ${what} ${path}`);
  }
  if (size > MAX_INPUT_FILE) throw new UsageError(`${what} ${path} is larger than ${MAX_INPUT_FILE} bytes`);
  return readFileSync(path);
}

/**
 * The trusted root: --trusted-root, else $SIGNET_TRUSTED_ROOT (or
 * $SIGNET_STAGING_TRUSTED_ROOT with --staging). Trust material is never fetched
 * at verify time (SECURITY.md F9); distributing it is the operator's job.
 */
function loadTrustedRoot(path: string | undefined, staging: boolean, io: Io): TrustedRoot {
  const envName = staging ? "SIGNET_STAGING_TRUSTED_ROOT" : "SIGNET_TRUSTED_ROOT";
  const file = path ?? io.env[envName];
  if (file === undefined || file === "") throw new UsageError(`no trusted root: pass --trusted-root FILE or set ${envName}`);
  return parseTrustedRoot(readInput(file, "trusted root"));
}

/**
 * FILE_OR_DIGEST per the protocol: `sha256:<64 hex>` that is not a path on
 * disk is a digest; anything else is a file path.
 */
function artifactInput(value: string): { artifact: Uint8Array } | { digest: Uint8Array } {
  if (/^sha256:[0-9a-fA-F]{64}$/.test(value) && !existsSync(value)) return { digest: fromHex(value.slice(7)) };
  let stat;
  try {
    stat = statSync(value);
  } catch {
    throw new UsageError(`cannot read artifact ${value}`);
  }
  if (!stat.isFile()) throw new UsageError(`artifact ${value} is not a file`);
  return { artifact: readFileSync(value) };
}

function reportFailure(e: unknown, io: Io): number {
  if (e instanceof UsageError) throw e;
  if (e instanceof BundleVerificationError) {
    io.err(`verification FAILED: ${e.code} (${e.check})\n${formatTranscript(e.transcript)}\n`);
  } else if (isSignetCryptoError(e)) {
    io.err(`verification FAILED: ${e.code}: ${e.message}\n`);
  } else {
    io.err(`verification FAILED: ${String(e)}\n`);
  }
  return 1;
}

async function run(bundlePath: string, policy: VerificationPolicy, trustedRoot: TrustedRoot, target: string): Promise<VerifiedBundle> {
  return verifyBundle({ bundle: readInput(bundlePath, "bundle"), trustedRoot, policy, ...artifactInput(target) });
}

/**
 * `verify-bundle [--staging] --bundle FILE (--certificate-identity ID
 * --certificate-oidc-issuer URL | --key FILE) [--trusted-root FILE] FILE_OR_DIGEST`.
 * Exit 0 only when the bundle verifies.
 */
export async function verifyBundleCommand(argv: readonly string[], io: Io): Promise<number> {
  const a = parseArgs(argv, { staging: false, bundle: true, "certificate-identity": true, "certificate-oidc-issuer": true, "trusted-root": true, key: true });
  if (a.positionals.length !== 1) throw new UsageError("verify-bundle needs exactly one FILE_OR_DIGEST");
  const bundlePath = a.values.get("bundle");
  if (bundlePath === undefined) throw new UsageError("verify-bundle needs --bundle FILE");
  const keyPath = a.values.get("key");
  const identity = a.values.get("certificate-identity");
  const issuer = a.values.get("certificate-oidc-issuer");
  try {
    const trustedRoot = loadTrustedRoot(a.values.get("trusted-root"), a.switches.has("staging"), io);
    let policy: VerificationPolicy;
    if (keyPath !== undefined) {
      if (identity !== undefined || issuer !== undefined) throw new UsageError("--key excludes --certificate-identity/--certificate-oidc-issuer");
      policy = { publicKey: readInput(keyPath, "key").toString("utf8") };
    } else {
      if (identity === undefined || issuer === undefined) throw new UsageError("verify-bundle needs --certificate-identity and --certificate-oidc-issuer (or --key)");
      policy = { identity: { subjectAlternativeName: identity, issuer } };
    }
    await run(bundlePath, policy, trustedRoot, a.positionals[0]!);
    io.out(`OK: ${bundlePath}\n`);
    return 0;
  } catch (e) {
    return reportFailure(e, io);
  }
}

function matcher(exact: string | undefined, regex: string | undefined, name: string): StringMatcher {
  if ((exact === undefined) === (regex === undefined)) throw new UsageError(`give exactly one of --${name} or --${name}-regex`);
  return exact ?? { regex: regex! };
}

/**
 * `verify <artifact|sha256:digest> --bundle FILE (--identity ID | --identity-regex RE)
 * (--issuer URL | --issuer-regex RE) | --key FILE [--trusted-root FILE]`:
 * prints the verification transcript.
 */
export async function verifyCommand(argv: readonly string[], io: Io): Promise<number> {
  const a = parseArgs(argv, {
    bundle: true,
    identity: true,
    "identity-regex": true,
    issuer: true,
    "issuer-regex": true,
    key: true,
    "trusted-root": true,
    staging: false,
  });
  if (a.positionals.length !== 1) throw new UsageError("verify needs exactly one artifact (or sha256:<hex>)");
  const bundlePath = a.values.get("bundle");
  if (bundlePath === undefined) throw new UsageError("verify needs --bundle FILE");
  const keyPath = a.values.get("key");
  let policy: VerificationPolicy;
  if (keyPath !== undefined) {
    if (["identity", "identity-regex", "issuer", "issuer-regex"].some((k) => a.values.has(k))) throw new UsageError("--key excludes identity and issuer options");
    policy = { publicKey: readInput(keyPath, "key").toString("utf8") };
  } else {
    policy = {
      identity: {
        subjectAlternativeName: matcher(a.values.get("identity"), a.values.get("identity-regex"), "identity"),
        issuer: matcher(a.values.get("issuer"), a.values.get("issuer-regex"), "issuer"),
      },
    };
  }
  try {
    const trustedRoot = loadTrustedRoot(a.values.get("trusted-root"), a.switches.has("staging"), io);
    const result = await run(bundlePath, policy, trustedRoot, a.positionals[0]!);
    io.out(`${formatTranscript(result.transcript)}\n`);
    const who = result.signer.kind === "certificate" ? `${result.signer.identity} (issuer ${result.signer.issuer})` : "the given key";
    io.out(`\nVerified: signed by ${who}; ${result.timestamps.length} trusted time(s), ${result.tlogEntries.length} log entr${result.tlogEntries.length === 1 ? "y" : "ies"}.\n`);
    return 0;
  } catch (e) {
    return reportFailure(e, io);
  }
}
