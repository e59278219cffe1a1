// Entry point: `npx tsx apps/idp/src/main.ts` (from the repo root) or `npm start -w apps/idp`.
import { loadEnv } from "./env.ts";
import { isIdpError } from "./errors.ts";
import { startIdp } from "./provider.ts";

async function main(): Promise<void> {
  const env = loadEnv();
  const idp = await startIdp(env);
  console.log(`signet-idp: issuer ${idp.issuer}`);
  console.log(`signet-idp: listening on ${idp.addresses.map((a) => `http://${a}`).join(", ")}`);
  console.log(`signet-idp: signing keys in ${idp.keys.file}`);
  console.log(`signet-idp: POST /dev/token ${env.devTokens ? "enabled (loopback only)" : "disabled"}`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`signet-idp: ${signal}, stopping`);
    // A stuck connection must not keep the process alive past a few seconds.
    setTimeout(() => process.exit(1), 5_000).unref();
    idp.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  if (isIdpError(error)) {
    console.error(`signet-idp: ${error.code}: ${error.message}`);
  } else if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
    console.error(`signet-idp: the port is already in use (${(error as Error).message}); set SIGNET_IDP_PORT to another one`);
  } else {
    console.error("signet-idp: failed to start:", error);
  }
  process.exit(1);
});
