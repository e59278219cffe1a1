#!/usr/bin/env node
// `npm start`: set up everything (idempotent), then start PostgreSQL (unless DATABASE_URL is set),
// migrations, the HSM sidecar, the dev IdP, the api and the web app; print the URLs; Ctrl-C stops all.
import { dataDir } from "./lib/paths.mjs";
import { say, fail, SetupError } from "./lib/log.mjs";
import { setup } from "./lib/setup.mjs";
import { assertPortsFree, buildWeb, defaultPorts, startPlatform, takeLock } from "./lib/platform.mjs";

async function main() {
  const dir = dataDir();
  const ports = defaultPorts();
  const databaseUrl = process.env.DATABASE_URL || undefined;
  // Checked before anything touches the data directory, so a second start changes nothing.
  await assertPortsFree(ports, { withPostgres: !databaseUrl });
  await setup({ dataDir: dir });
  const release = takeLock(dir);
  await buildWeb();
  let platform;
  const shutdown = async (signal) => {
    say("signet", `${signal}: stopping…`);
    await platform?.stop();
    release();
    say("signet", "stopped");
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  try {
    platform = await startPlatform({ dataDir: dir, ports, databaseUrl });
  } catch (e) {
    release();
    throw e;
  }
  say("signet", [
    "",
    "Signet is up:",
    `  portal         ${platform.urls.web}`,
    `  api            ${platform.urls.api}   (health: ${platform.urls.api}/healthz)`,
    `  dev OpenID     ${platform.urls.idp}   (discovery: ${platform.urls.idp}/.well-known/openid-configuration)`,
    `  HSM sidecar    ${platform.urls.hsm}`,
    `  database       ${databaseUrl ? "DATABASE_URL" : `embedded PostgreSQL in ${dir}/postgres`}`,
    "Press Ctrl-C to stop.",
    "",
  ].join("\n"));
}

main().catch((e) => fail(e instanceof SetupError ? e.message : `start failed: ${e?.message ?? e}`));
