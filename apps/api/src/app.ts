/**
 * Assemble the api: services over the database and the HSM sidecar, the REST surfaces and tRPC,
 * behind one HTTP server. main.ts runs it; integration tests start it in-process on real services.
 */
import path from "node:path";
import type http from "node:http";
import { createHsmSigner, type HsmClient } from "@signet/hsm/client";
import type { Env } from "./env.ts";
import type { Db } from "./db.ts";
import { createHealthService } from "./services/health.ts";
import { createLogService, type LogService } from "./services/log/log-service.ts";
import { buildTrustedRoot } from "./services/trust/trusted-root.ts";
import { createApiServer } from "./http/server.ts";
import { Router } from "./http/router.ts";
import { registerRekorV1 } from "./rest/rekor-v1.ts";
import { registerRekorV2 } from "./rest/rekor-v2.ts";
import { registerTrust } from "./rest/trust.ts";
import { createRateLimiter } from "./rest/limits.ts";

/** HSM key labels (the CA ceremony creates the same ones: docs/ca.md). */
export const KEY_LABELS = { log: "log" } as const;

export interface App {
  server: http.Server;
  log: LogService;
  stop(): Promise<void>;
}

export async function createApp(env: Env, deps: { db: Db; hsm: HsmClient; log?: (line: string) => void; onFatal?: (e: Error) => void }): Promise<App> {
  const { db, hsm } = deps;
  const logLine = deps.log ?? (() => {});
  const log = await createLogService({
    db,
    origin: env.logOrigin,
    signer: createHsmSigner(hsm, KEY_LABELS.log, "P-256", { create: true }),
    stateDir: path.join(env.SIGNET_DATA_DIR, "log"),
    sequencer: { maxPending: env.SIGNET_LOG_MAX_PENDING, ...(deps.onFatal ? { onFatal: deps.onFatal } : {}) },
    log: (l) => logLine(`log: ${l}`),
  });

  const limitWrite = createRateLimiter({ perSecond: env.SIGNET_WRITE_RATE, burst: env.SIGNET_WRITE_BURST });
  const rest = new Router();
  registerRekorV1(rest, { log, db, maxEntryBytes: env.SIGNET_MAX_ENTRY_BYTES, limitWrite });
  registerRekorV2(rest, { log, maxEntryBytes: env.SIGNET_MAX_ENTRY_BYTES, limitWrite });
  registerTrust(rest, {
    trustedRoot: () =>
      buildTrustedRoot({
        tlogs: [{ baseUrl: env.publicUrl, spki: log.keys.spki, validFrom: log.createdAt }],
        ctlogs: [],
        certificateAuthorities: [],
        timestampAuthorities: [],
      }),
  });

  const health = createHealthService({
    database: () => db.$queryRaw`SELECT 1`.then(() => undefined),
    hsm: () => hsm.health(),
  });
  const server = createApiServer({
    services: { health, log, db },
    maxBodyBytes: env.SIGNET_MAX_BODY_BYTES,
    allowedOrigins: [new URL(env.SIGNET_WEB_URL).origin],
    rest,
    log: logLine,
  });
  return {
    server,
    log,
    async stop() {
      log.stop();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
