/**
 * apps/api entry point: validate the environment, connect to PostgreSQL and the HSM sidecar,
 * serve HTTP, and shut down cleanly on SIGINT/SIGTERM.
 */
import { readFileSync } from "node:fs";
import { createHsmClient } from "@signet/hsm/client";
import { loadEnv, EnvError } from "./env.ts";
import { createDb } from "./db.ts";
import { createHealthService } from "./services/health.ts";
import { createApiServer } from "./http/server.ts";

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function readSecret(file: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    throw new EnvError(`cannot read the HSM shared secret ${file} (run the set-up: npm start does it)`);
  }
}

async function main(): Promise<void> {
  const env = loadEnv();
  const db = createDb(env.DATABASE_URL);
  const hsm = createHsmClient({ socketPath: env.hsmSocket, secret: readSecret(env.hsmSecretFile) });
  const health = createHealthService({
    database: () => db.$queryRaw`SELECT 1`.then(() => undefined),
    hsm: () => hsm.health(),
  });
  const server = createApiServer({
    services: { health },
    maxBodyBytes: env.SIGNET_MAX_BODY_BYTES,
    allowedOrigins: [new URL(env.SIGNET_WEB_URL).origin],
    log,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.SIGNET_API_PORT, env.SIGNET_API_HOST, resolve);
  });
  log(`listening on http://${env.SIGNET_API_HOST}:${env.SIGNET_API_PORT}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    server.close();
    server.closeAllConnections();
    await Promise.allSettled([db.$disconnect(), hsm.close?.()]);
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((e: unknown) => {
  if (e instanceof EnvError) process.stderr.write(`${e.message}\n`);
  else if ((e as NodeJS.ErrnoException).code === "EADDRINUSE") process.stderr.write(`port already in use: ${(e as Error).message}\n`);
  else process.stderr.write(`api failed to start: ${(e as Error).message}\n`);
  process.exit(1);
});
