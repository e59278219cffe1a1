/**
 * The only place in apps/api that reads process.env. Validated once at start; a bad value stops
 * the process with a message naming the variable.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { parseTrustedProxies, type TrustedProxies } from "./http/client-address.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

const port = z.coerce.number().int().min(1).max(65535);

const schema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL"),
  SIGNET_API_PORT: port.default(8080),
  SIGNET_API_HOST: z.string().default("127.0.0.1"),
  SIGNET_DATA_DIR: z.string().default(path.join(repoRoot, ".data")),
  SIGNET_PUBLIC_URL: z.url().optional(),
  SIGNET_WEB_URL: z.url().default("http://localhost:3000"),
  SIGNET_HSM_SOCKET: z.string().optional(),
  SIGNET_HSM_SECRET_FILE: z.string().optional(),
  SIGNET_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  /** Largest accepted log entry submission (Rekor v2's default: 4 MiB). */
  SIGNET_MAX_ENTRY_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(4 * 1024 * 1024),
  /** The log's checkpoint origin (and signed-note key name); defaults to the public URL's host. */
  SIGNET_LOG_ORIGIN: z.string().regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces").refine((s) => !s.includes("+"), "must not contain '+'").optional(),
  /** Writes (log appends, certificate requests) per second and burst, per client address. */
  SIGNET_WRITE_RATE: z.coerce.number().min(0.1).max(1_000_000).default(5000),
  SIGNET_WRITE_BURST: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** The issuers configuration file (docs/ca.md); without it, the embedded default trusts SIGNET_IDP_ISSUER. */
  SIGNET_ISSUERS_FILE: z.string().optional(),
  /** The development OpenID provider's issuer URL (the start command sets it): trusted only when no issuers file is given. */
  SIGNET_IDP_ISSUER: z.url().optional(),
  /** The portal's OIDC client id: the audience its login ID tokens carry (the dev IdP's portal client). */
  SIGNET_WEB_CLIENT_ID: z.string().regex(/^[\x21-\x7e]{1,255}$/).default("signet-web"),
  /** Portal logins (auth.createSession) and WebAuthn calls per second and burst, per client address. */
  SIGNET_AUTH_RATE: z.coerce.number().min(0.1).max(1_000_000).default(20),
  SIGNET_AUTH_BURST: z.coerce.number().int().min(1).max(1_000_000).default(100),
  /**
   * Reverse proxies (the portal's server, a TLS terminator) whose X-Forwarded-For is believed:
   * comma-separated IP addresses. Empty (the default): the header is ignored and every limit uses the TCP peer.
   */
  SIGNET_TRUSTED_PROXIES: z
    .string()
    .default("")
    .refine((v) => {
      try {
        parseTrustedProxies(v);
        return true;
      } catch {
        return false;
      }
    }, "must be comma-separated IP addresses"),
  /** Queue bound of the log sequencer: beyond it appends get 503 + Retry-After. */
  SIGNET_LOG_MAX_PENDING: z.coerce.number().int().min(1).max(1_000_000).default(16_384),
  /** "stdin": stop when stdin ends, i.e. when the process that started the api is gone (lifeline.ts). */
  SIGNET_LIFELINE: z.enum(["stdin"]).optional(),
});

export type Env = z.infer<typeof schema> & {
  publicUrl: string;
  logOrigin: string;
  hsmSocket: string;
  hsmSecretFile: string;
  /** SIGNET_TRUSTED_PROXIES, parsed and canonicalised. */
  trustedProxies: TrustedProxies;
};

/** Parse and validate the environment; throws EnvError listing every bad variable. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new EnvError(`invalid environment for apps/api:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.SIGNET_DATA_DIR);
  const publicUrl = e.SIGNET_PUBLIC_URL ?? `http://localhost:${e.SIGNET_API_PORT}`;
  return {
    ...e,
    logOrigin: e.SIGNET_LOG_ORIGIN ?? new URL(publicUrl).host,
    SIGNET_DATA_DIR: dataDir,
    publicUrl,
    hsmSocket: e.SIGNET_HSM_SOCKET ?? path.join(dataDir, "hsm", "hsm.sock"),
    hsmSecretFile: e.SIGNET_HSM_SECRET_FILE ?? path.join(dataDir, "hsm", "secret"),
    trustedProxies: parseTrustedProxies(e.SIGNET_TRUSTED_PROXIES),
  };
}

export class EnvError extends Error {
  override name = "EnvError";
}
