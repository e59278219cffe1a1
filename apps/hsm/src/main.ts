/**
 * The HSM sidecar process: the only Signet process that loads a PKCS#11 module.
 * `npx tsx apps/hsm/src/main.ts` from the repo root, after init-token, with SIGNET_DATA_DIR set.
 * Exits 0 after SIGINT/SIGTERM, 1 on a configuration or token problem, 2 when another sidecar
 * already serves the socket.
 */
import { applySoftHsmConf, loadHsmEnv } from "./env.ts";
import { isHsmError } from "./errors.ts";
import { openPkcs11Token } from "./pkcs11.ts";
import type { Pkcs11Token } from "./pkcs11.ts";
import { claimSocketPath, startHsmServer } from "./server.ts";
import type { HsmServer } from "./server.ts";
import { checkEmbeddedConf, resolvePin, resolveSecret, softHsmTokenStamp } from "./softhsm.ts";

const log = (line: string): void => void process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const env = loadHsmEnv();
  checkEmbeddedConf(env);
  applySoftHsmConf(env);
  const pin = resolvePin(env);
  const secret = resolveSecret(env);
  // Before touching the token: a second sidecar on the same data directory must not log in or steal the socket.
  await claimSocketPath(env.socketPath);

  // Filled in as startup proceeds, so a signal during startup still closes whatever is open.
  const running: { token?: Pkcs11Token; server?: HsmServer } = {};
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    log(`hsm: ${signal}: shutting down`);
    await running.server?.close();
    await running.token?.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  const token = await openPkcs11Token({
    modulePath: env.modulePath,
    tokenLabel: env.tokenLabel,
    pin,
    poolSize: env.poolSize,
    syncSign: env.syncSign,
    ...(env.keyCopies ? { keyCopyStamp: softHsmTokenStamp(env.tokenDir) } : {}),
    log,
  });
  running.token = token;
  const server = await startHsmServer({
    socketPath: env.socketPath,
    secret,
    backend: token,
    tokenLabel: env.tokenLabel,
    healthHost: env.healthHost,
    healthPort: env.healthPort,
    log,
  });
  running.server = server;
  log(
    `hsm: listening on ${env.socketPath} (token "${env.tokenLabel}", ${env.poolSize} sessions); ` +
      `health on http://${env.healthHost}:${server.healthPort}/healthz`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`hsm: cannot start: ${isHsmError(e) ? e.message : e instanceof Error ? e.message : String(e)}\n`);
  process.exit(isHsmError(e) && e.code === "ERR_HSM_ALREADY_RUNNING" ? 2 : 1);
});
