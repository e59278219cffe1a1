/**
 * The key that seals the portal's login-state cookie (state, nonce, PKCE verifier between
 * /auth/login and /auth/callback). It derives from a secret that outlives the process, so a login
 * in progress survives a portal restart and several portal processes can share logins: either
 * SIGNET_WEB_SECRET, or 32 random bytes created once in `<dataDir>/web/state-key` (mode 0600).
 * Server-only.
 */
import { randomBytes, hkdfSync } from "node:crypto";
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Where the generated secret lives under the data directory. */
export const STATE_KEY_FILE = path.join("web", "state-key");
// HKDF info (RFC 5869 §3.2): binds the derived key to this one use, so the same secret could key other things safely.
const KEY_INFO = "signet web login-state cookie v1";
// The file holds base64url of 32 bytes (43 characters) and a newline; anything much larger is not ours.
const MAX_FILE_BYTES = 256;

/** The AES-256-GCM key for login-state cookies from a secret (HKDF-SHA256, RFC 5869). */
export function deriveLoginKey(secret: string | Uint8Array): Buffer {
  return Buffer.from(hkdfSync("sha256", typeof secret === "string" ? Buffer.from(secret, "utf8") : secret, Buffer.alloc(0), KEY_INFO, 32));
}

function readSecretFile(file: string): Buffer | undefined {
  let text: string;
  try {
    const bytes = readFileSync(file);
    if (bytes.length > MAX_FILE_BYTES) throw new Error(`${file} is larger than ${MAX_FILE_BYTES} bytes: not a Signet state key`);
    text = bytes.toString("utf8").trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) throw new Error(`${file} is not a Signet state key (expected 32 bytes, base64url); move it away to create a new one`);
  return Buffer.from(text, "base64url");
}

/**
 * The secret in `<dataDir>/web/state-key`, created on first use with mode 0600 in a 0700 directory.
 * Safe when two portal processes start at once: the file is written aside and linked into place,
 * so the loser of the race reads the winner's secret.
 */
export function loadOrCreateStateSecret(dataDir: string): Buffer {
  const file = path.resolve(dataDir, STATE_KEY_FILE);
  const existing = readSecretFile(file);
  if (existing !== undefined) {
    // Keep it owner-only even if someone loosened the mode.
    chmodSync(file, 0o600);
    return existing;
  }
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  writeFileSync(tmp, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  } finally {
    unlinkSync(tmp);
  }
  const created = readSecretFile(file);
  if (created === undefined) throw new Error(`${file} vanished right after it was written`);
  return created;
}

const CACHE_SLOT = Symbol.for("signet.web.login-key");
type Cached = { readonly dataDir: string; readonly webSecret: string | undefined; readonly key: Buffer };

/** The login-state key for this configuration: from SIGNET_WEB_SECRET when set, else from the data directory; cached per process. */
export function getLoginKey(config: { readonly dataDir: string; readonly webSecret: string | undefined }): Buffer {
  const g = globalThis as unknown as Record<symbol, Cached | undefined>;
  const dataDir = path.resolve(config.dataDir);
  const cached = g[CACHE_SLOT];
  // Re-derived only when the configuration changes (tests vary it); a file read once per process otherwise.
  if (cached !== undefined && cached.dataDir === dataDir && cached.webSecret === config.webSecret) return cached.key;
  const key = deriveLoginKey(config.webSecret ?? loadOrCreateStateSecret(dataDir));
  g[CACHE_SLOT] = { dataDir, webSecret: config.webSecret, key };
  return key;
}
