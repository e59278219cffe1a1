/**
 * The `signet` command line. `main(argv)` returns the exit code, so tests
 * call it in-process; bin/signet.mjs sets process.exitCode from it.
 */
import { UsageError } from "./args.ts";
import { verifyBundleCommand, verifyCommand, type Io } from "./verify-commands.ts";

export type { Io } from "./verify-commands.ts";

const USAGE = `usage: signet <command> [options]

commands:
  verify <artifact|sha256:HEX> --bundle FILE (--identity ID | --identity-regex RE)
         (--issuer URL | --issuer-regex RE) [--trusted-root FILE]
  verify <artifact|sha256:HEX> --bundle FILE --key PUBKEY.pem [--trusted-root FILE]
      Verify a Sigstore bundle offline and print each check.
  verify-bundle [--staging] --bundle FILE (--certificate-identity ID --certificate-oidc-issuer URL | --key FILE)
         [--trusted-root FILE] FILE_OR_DIGEST
      The sigstore-conformance CLI protocol. Exit 0 only when verified.
  sign-bundle ...
      Not available yet: signing needs Signet's CA and transparency log.

Without --trusted-root the file named by $SIGNET_TRUSTED_ROOT is used
($SIGNET_STAGING_TRUSTED_ROOT with --staging).
`;

const defaultIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
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
      case "sign-bundle":
        io.err("signet sign-bundle: signing needs Signet's certificate authority and transparency log, which later issues add; nothing was signed.\n");
        return 3;
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
