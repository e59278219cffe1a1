/**
 * apps/api entry point: validate the environment, connect to PostgreSQL and the HSM sidecar,
 * serve HTTP, and shut down cleanly on SIGINT/SIGTERM. Losing the log's tree-head
 * compare-and-swap to another integrator is fatal (exit 70): carrying on could fork the log.
 */
import { createHsmClient, readHsmSecret } from "@signet/hsm/client";
import { loadEnv, EnvError } from "./env.ts";
import { createDb } from "./db.ts";
import { createApp } from "./app.ts";
import { LogIntegrityError } from "./services/log/integrator.ts";
import { stopWithParent } from "./lifeline.ts";

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function waitForHsm(hsm: ReturnType<typeof createHsmClient>, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      await hsm.health();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new EnvError(`the HSM sidecar does not answer (${(e as Error).message}); is apps/hsm running?`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function main(): Promise<void> {
  const env = loadEnv();
  const db = createDb(env.DATABASE_URL);
  let secret: string;
  try {
    secret = readHsmSecret(env.hsmSecretFile);
  } catch {
    throw new EnvError(`cannot read the HSM shared secret ${env.hsmSecretFile} (the set-up creates it: npm start does it)`);
  }
  const hsm = createHsmClient({ socketPath: env.hsmSocket, secret });
  await waitForHsm(hsm, 30);
  const app = await createApp(env, {
    db,
    hsm,
    log,
    onFatal: (e) => {
      log(`FATAL: ${e.message}: another integrator is writing this log; stopping so the log cannot fork`);
      process.exit(70);
    },
  });
  await new Promise<void>((resolve, reject) => {
    app.server.once("error", reject);
    app.server.listen(env.SIGNET_API_PORT, env.SIGNET_API_HOST, resolve);
  });
  log(`listening on http://${env.SIGNET_API_HOST}:${env.SIGNET_API_PORT} (log ${env.logOrigin}, size ${app.log.size})`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    app.server.closeAllConnections();
    await Promise.allSettled([app.stop(), db.$disconnect(), hsm.close()]);
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  stopWithParent(env.SIGNET_LIFELINE, process.stdin, () => void stop("parent process gone"));
}

main().catch((e: unknown) => {
  const name = (e as Error).name;
  if (e instanceof EnvError || e instanceof LogIntegrityError || name === "CeremonyError" || name === "IssuersConfigError") process.stderr.write(`${(e as Error).message}\n`);
  else if ((e as NodeJS.ErrnoException).code === "EADDRINUSE") process.stderr.write(`port already in use: ${(e as Error).message}\n`);
  else process.stderr.write(`api failed to start: ${(e as Error).message}\n`);
  process.exit(1);
});
