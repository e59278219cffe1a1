/**
 * The `signet` command line. `main(argv)` returns the exit code, so tests
 * call it in-process; bin/signet.mjs sets process.exitCode from it.
 */
import { UsageError } from "./args.ts";
import type { Io } from "./io.ts";
import { devTokenCommand, signBundleCommand, signCommand } from "./sign-commands.ts";
import { verifyBundleCommand, verifyCommand } from "./verify-commands.ts";
import { logCommand } from "./log-commands.ts";

export type { Io } from "./io.ts";

const USAGE = `usage: signet <command> [options]

commands:
  sign <file> (--identity-token T | --email E [--idp URL]) [--instance URL | --signing-config FILE]
       [--trusted-root FILE] [--bundle OUT] [--in-toto]
      Sign keylessly: ephemeral key, certificate, log entry, timestamp, bundle v0.3
      (verified before it is written to OUT, default <file>.sigstore.json).
  dev-token (--email E | --workload-repository org/repo [--workload-ref REF ...]) [--audience A] [--idp URL]
      Print an identity token from the development OpenID provider.
  verify <artifact|sha256:HEX> --bundle FILE (--identity ID | --identity-regex RE)
         (--issuer URL | --issuer-regex RE) [--trusted-root FILE]
  verify <artifact|sha256:HEX> --bundle FILE --key PUBKEY.pem [--trusted-root FILE]
      Verify a Sigstore bundle offline and print each check.
  sign-bundle [--staging] [--in-toto] --identity-token TOKEN --bundle FILE
         [--trusted-root FILE] [--signing-config FILE] FILE
  verify-bundle [--staging] --bundle FILE (--certificate-identity ID --certificate-oidc-issuer URL | --key FILE)
         [--trusted-root FILE] FILE_OR_DIGEST
      The sigstore-conformance CLI protocol. Exit 0 only on success.
  log fsck [--database-url URL] [--origin ORIGIN] [--public-key PEM | --data-dir DIR]
      Recompute a log from its entries and check every tile, the root and every checkpoint
      (DATABASE_URL, SIGNET_LOG_ORIGIN and SIGNET_DATA_DIR are the defaults).

The instance is --instance, else $SIGNET_API_URL, else http://localhost:8080; its signing config
and trusted root come from /.well-known/signet/. The dev OpenID provider is --idp, else
$SIGNET_IDP_URL, else http://localhost:8081.
Without --trusted-root the file named by $SIGNET_TRUSTED_ROOT is used ($SIGNET_STAGING_TRUSTED_ROOT
with --staging); verification never fetches one, signing falls back to the instance's.
`;

const defaultIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
  stdoutIsTty: process.stdout.isTTY === true,
};

/** Run one `signet` command; resolves to the process exit code (0 only on success). */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "verify":
        return await verifyCommand(rest, io);
      case "verify-bundle":
        return await verifyBundleCommand(rest, io);
      case "sign":
        return await signCommand(rest, io);
      case "sign-bundle":
        return await signBundleCommand(rest, io);
      case "dev-token":
        return await devTokenCommand(rest, io);
      case "log":
        return await logCommand(rest, io);
      case "help":
      case "--help":
      case "-h":
        io.out(USAGE);
        return 0;
      default:
        throw new UsageError(command === undefined ? "no command given" : `unknown command ${command}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`signet: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    // Fail closed: an unexpected error is never success.
    io.err(`signet: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
