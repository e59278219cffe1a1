/**
 * Assemble the api: services over the database and the HSM sidecar, the REST surfaces and tRPC,
 * behind one HTTP server. main.ts runs it; integration tests start it in-process on real services.
 *
 * Start-up order: the key ceremony (idempotent: keys and CA certificates are created once, then
 * checked against the HSM on every start), the transparency log and the CT log (each re-verifies its
 * tree), then the CA, the TSA and the HTTP surfaces.
 */
import path from "node:path";
import type http from "node:http";
import { createHsmSigner, type HsmClient } from "@signet/hsm/client";
import type { Env } from "./env.ts";
import type { Db } from "./db.ts";
import { createHealthService } from "./services/health.ts";
import { createLogService, type LogService } from "./services/log/log-service.ts";
import { createEngineCtLog } from "./services/log/ct-log.ts";
import { buildTrustedRoot } from "./services/trust/trusted-root.ts";
import { runKeyCeremony, KEY_LABELS } from "./services/ca/ceremony.ts";
import { createCertificateAuthority, type CertificateAuthority } from "./services/ca/issue.ts";
import { createTimestampAuthority } from "./services/tsa/rfc3161.ts";
import { loadIssuersConfig, parseIssuersConfig, type IssuersConfig } from "./services/oidc/issuers.ts";
import { createProviderKeys } from "./services/oidc/provider-keys.ts";
import { createApiServer } from "./http/server.ts";
import { Router } from "./http/router.ts";
import { registerRekorV1 } from "./rest/rekor-v1.ts";
import { createEntryPool } from "./services/log/entries/pool.ts";
import { createCertificateRecorder } from "./services/ca/records.ts";
import { registerRekorV2 } from "./rest/rekor-v2.ts";
import { registerFulcio } from "./rest/fulcio.ts";
import { registerTsa } from "./rest/tsa.ts";
import { registerTrust } from "./rest/trust.ts";
import { createRateLimiter } from "./rest/limits.ts";
import { createPasskeyService, createSessionStore, toLoginIssuers, toRelyingParty } from "./services/auth/index.ts";
import type { AuthServices } from "./services/index.ts";

export { KEY_LABELS };

export interface App {
  server: http.Server;
  log: LogService;
  ctLog: LogService;
  ca: CertificateAuthority;
  issuers: IssuersConfig;
  stop(): Promise<void>;
}

/** The issuers the CA trusts: the configured file, or the embedded default (the dev IdP only). */
export async function issuersFor(env: Env): Promise<IssuersConfig> {
  if (env.SIGNET_ISSUERS_FILE) return loadIssuersConfig(env.SIGNET_ISSUERS_FILE);
  // No issuer configured: the CA refuses every token (ERR_OIDC_*), the log and TSA still serve.
  if (!env.SIGNET_IDP_ISSUER) return { issuers: [] };
  return parseIssuersConfig({
    issuers: [{ description: "The development OpenID provider (embedded default; never for production)", issuerUrl: env.SIGNET_IDP_ISSUER, type: "email" }],
  });
}

/**
 * Portal sign-in: logins are verified against the same issuers as the CA, but with the portal's
 * client id as the audience (the dev IdP's `signet-web` by default), and only for email issuers.
 */
export function createAuthServices(env: Env, db: Db, issuers: IssuersConfig): AuthServices {
  const sessions = createSessionStore(db);
  const web = new URL(env.SIGNET_WEB_URL);
  return {
    sessions,
    passkeys: createPasskeyService(db, sessions, toRelyingParty(env.SIGNET_WEB_URL)),
    loginIssuers: toLoginIssuers(issuers, env.SIGNET_WEB_CLIENT_ID),
    allowPlainCookie: web.protocol === "http:",
    limit: createRateLimiter({ perSecond: env.SIGNET_AUTH_RATE, burst: env.SIGNET_AUTH_BURST }),
  };
}

export async function createApp(env: Env, deps: { db: Db; hsm: HsmClient; log?: (line: string) => void; onFatal?: (e: Error) => void }): Promise<App> {
  const { db, hsm } = deps;
  const logLine = deps.log ?? (() => {});

  // Configuration first: a bad issuers file must stop the start before anything runs.
  const issuers = await issuersFor(env);
  const ceremony = await runKeyCeremony({ keyStore: hsm, dir: path.join(env.SIGNET_DATA_DIR, "ca") });
  if (ceremony.created.length) logLine(`key ceremony: created ${ceremony.created.join(", ")} in ${path.join(env.SIGNET_DATA_DIR, "ca")}`);
  for (const w of ceremony.warnings) logLine(`key ceremony: ${w}`);
  const pinned = (label: keyof typeof ceremony.publicKeys) => ({ pinnedPublicKey: ceremony.publicKeys[label] });

  // Entry checks and the log's per-entry signature self-checks run on worker threads.
  const entries = createEntryPool({ log: (l) => logLine(`log: ${l}`) });
  // A later step that fails must not leave the pool's threads or a log's sequencer running behind it.
  const undo: (() => unknown)[] = [() => entries.close()];
  const guard = async <T>(step: Promise<T>): Promise<T> => {
    try {
      return await step;
    } catch (e) {
      for (const u of undo.reverse()) await u();
      throw e;
    }
  };
  const sequencer = { maxPending: env.SIGNET_LOG_MAX_PENDING, ...(deps.onFatal ? { onFatal: deps.onFatal } : {}) };
  const log = await guard(createLogService({
    db,
    origin: env.logOrigin,
    // Checkpoints only: the log verifies each checkpoint signature against the published key itself
    // (createLogKeys), so this signer does not check it a second time on every batch's critical path.
    signer: createHsmSigner(hsm, KEY_LABELS.log, "P-256", { ...pinned(KEY_LABELS.log), selfCheck: false }),
    // bulk: the SETs queue in this Signer rather than at the sidecar, so a batch's checkpoint signature (on
    // its critical path) waits behind at most one batch of them.
    entrySigner: createHsmSigner(hsm, KEY_LABELS.log, "P-256", {
      ...pinned(KEY_LABELS.log),
      bulk: true,
      // A whole batch's SETs in one request (64 clients: one batch of ≤ 64): `npm run bench -- log`, four
      // pairs, 2,230–2,654 appends/s (mean 2,489) against 2,075–2,335 (mean 2,225) with 16, and the
      // sidecar's CPU per entry 77–88 against 99–110 µs. The SETs finish later than the commit in a batch,
      // so they are on its answers' path; a checkpoint may wait behind one such request (~4 ms at most).
      batchSize: 64,
      verify: (spki, data, der) => entries.verifyEcdsa(spki, "sha256", data, der),
    }),
    stateDir: path.join(env.SIGNET_DATA_DIR, "log"),
    sequencer: { ...sequencer, incoming: () => entries.checking },
    log: (l) => logLine(`log: ${l}`),
  }));
  undo.push(() => log.stop());
  const ctLog = await guard(createLogService({
    db,
    origin: `${env.logOrigin}/ct`,
    attestEntries: false,
    storeDeduplication: false,
    // Checkpoints, verified by the log itself (as above); the CT log makes no SETs.
    signer: createHsmSigner(hsm, KEY_LABELS.ctLog, "P-256", { ...pinned(KEY_LABELS.ctLog), selfCheck: false }),
    stateDir: path.join(env.SIGNET_DATA_DIR, "log"),
    // The CA submits one precertificate per issuance as it gets there, with nothing announced ahead: an idle
    // CT log starts a batch at once (entries arriving meanwhile still share the next one). The 5 ms collection
    // delay was a fixed part of every issuance's latency (open-loop p99 at 500/s 57–81 ms with, 70–101 ms without).
    // Its checkpoints are not served anywhere (no CT read API; the SCTs it answers promise inclusion and
    // name no checkpoint), so an SCT waits for the commit under a signed checkpoint but not for the
    // checkpoint file's fdatasync (3–4 ms at the median at 500 issuances/s); the file still follows every
    // commit and is compared with the database at start (rollback detection).
    sequencer: { ...sequencer, incoming: () => 0, awaitCheckpointFile: false },
    log: (l) => logLine(`ct: ${l}`),
  }));
  undo.push(() => ctLog.stop());
  // The CA verifies every SCT and certificate signature against the pinned keys itself (issue.ts), so
  // these two signers skip their own, identical check: one verification per signature, not two.
  const ct = await guard(createEngineCtLog(ctLog, createHsmSigner(hsm, KEY_LABELS.ctLog, "P-256", { ...pinned(KEY_LABELS.ctLog), selfCheck: false })));

  const intermediateAlg = ceremony.intermediate.cert.publicKey.kind === "ecdsa" && ceremony.intermediate.cert.publicKey.curve === "P-384" ? "P-384" : "P-256";
  const ca = createCertificateAuthority({
    rootCert: ceremony.root.der,
    intermediateCert: ceremony.intermediate.der,
    signer: createHsmSigner(hsm, KEY_LABELS.caIntermediate, intermediateAlg, { ...pinned(KEY_LABELS.caIntermediate), selfCheck: false }),
    ctLog: ct,
    ctLogPublicKey: ct.spki,
    recordCertificate: createCertificateRecorder(db),
  });
  const tsa = createTimestampAuthority({
    signer: createHsmSigner(hsm, KEY_LABELS.tsa, "P-256", pinned(KEY_LABELS.tsa)),
    certificates: [ceremony.tsa.der, ceremony.root.der],
  });
  const providerKeys = createProviderKeys();

  const limitWrite = createRateLimiter({ perSecond: env.SIGNET_WRITE_RATE, burst: env.SIGNET_WRITE_BURST });
  const rest = new Router();
  registerRekorV1(rest, { log, db, maxEntryBytes: env.SIGNET_MAX_ENTRY_BYTES, limitWrite, entries });
  registerRekorV2(rest, { log, maxEntryBytes: env.SIGNET_MAX_ENTRY_BYTES, limitWrite, entries });
  registerFulcio(rest, { ca, issuers, keys: providerKeys, limitWrite });
  registerTsa(rest, { tsa, limitWrite });

  const org = "signet";
  const trustedRoot = () =>
    buildTrustedRoot({
      tlogs: [{ baseUrl: env.publicUrl, spki: log.keys.spki, validFrom: log.createdAt }],
      ctlogs: [{ baseUrl: `${env.publicUrl}/ct`, spki: ct.spki, validFrom: ctLog.createdAt }],
      certificateAuthorities: [
        {
          uri: env.publicUrl,
          organization: org,
          commonName: "signet",
          chain: [ceremony.intermediate.der, ceremony.root.der],
          validFrom: new Date(ceremony.intermediate.cert.notBefore),
          validTo: new Date(ceremony.intermediate.cert.notAfter),
        },
      ],
      timestampAuthorities: [
        {
          uri: `${env.publicUrl}/api/v1/timestamp`,
          organization: org,
          commonName: "signet-tsa",
          chain: [ceremony.tsa.der, ceremony.root.der],
          validFrom: new Date(ceremony.tsa.cert.notBefore),
          validTo: new Date(ceremony.tsa.cert.notAfter),
        },
      ],
    });
  const service = (url: string, majorApiVersion: number, start: Date) => ({ url, majorApiVersion, validFor: { start: start.toISOString() }, operator: org });
  const signingConfig = () => ({
    mediaType: "application/vnd.dev.sigstore.signingconfig.v0.2+json",
    caUrls: [service(env.publicUrl, 1, new Date(ceremony.intermediate.cert.notBefore))],
    oidcUrls: env.SIGNET_IDP_ISSUER && !env.SIGNET_ISSUERS_FILE ? [service(env.SIGNET_IDP_ISSUER, 1, new Date(ceremony.root.cert.notBefore))] : [],
    rekorTlogUrls: [service(env.publicUrl, 1, log.createdAt)],
    rekorTlogConfig: { selector: "ANY" },
    tsaUrls: [service(`${env.publicUrl}/api/v1/timestamp`, 1, new Date(ceremony.tsa.cert.notBefore))],
    tsaConfig: { selector: "ANY" },
  });
  registerTrust(rest, { trustedRoot, signingConfig });

  const health = createHealthService({
    database: () => db.$queryRaw`SELECT 1`.then(() => undefined),
    hsm: () => hsm.health(),
  });
  const auth = createAuthServices(env, db, issuers);
  const server = createApiServer({
    services: { health, log, db, auth, ca },
    maxBodyBytes: env.SIGNET_MAX_BODY_BYTES,
    allowedOrigins: [new URL(env.SIGNET_WEB_URL).origin],
    rest,
    trustedProxies: env.trustedProxies,
    log: logLine,
  });
  return {
    server,
    log,
    ctLog,
    ca,
    issuers,
    async stop() {
      log.stop();
      ctLog.stop();
      await new Promise<void>((r) => server.close(() => r()));
      await entries.close();
    },
  };
}
