/**
 * Set-up of the embedded SoftHSM2 token under `<data>/hsm` (and of the shared secret for any token).
 * Idempotent: every run checks what exists, creates only what is missing, and refuses, naming the
 * file, when what exists is corrupt or inconsistent. It never re-creates a token that exists but
 * cannot be read, since that would silently replace the CA and log keys.
 */
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  statSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import type { Stats } from "node:fs";
import path from "node:path";
import pkcs11js from "pkcs11js";
import type { PKCS11 } from "pkcs11js";
import { HsmError } from "./errors.ts";
import type { HsmEnv } from "./env.ts";
import { CK, ckrName, ckrOf } from "./pkcs11.ts";
import type { Pkcs11Module } from "./pkcs11.ts";

/** The init-time subset of pkcs11js (adds token initialisation to what the sidecar uses). */
type InitModule = Pkcs11Module & Pick<PKCS11, "C_InitToken" | "C_InitPIN" | "C_Logout">;

export interface InitResult {
  /** One line saying what happened, without any secret. */
  summary: string;
  /** Files and objects this run created. */
  created: string[];
}

const PIN_RE = /^[\x21-\x7e]{4,256}$/;
const SECRET_RE = /^[\x21-\x7e]{32,1024}$/;
const INIT_HINT = "run the set-up first: npx tsx apps/hsm/src/init-token.ts";

/** Prepare the token and the shared secret for `env` (run by the start and test set-up before the sidecar). */
export function initHsm(env: HsmEnv): InitResult {
  const created: string[] = [];
  if (!env.embedded) {
    ensureDir(path.dirname(env.secretFile), created, false);
    readOrCreateSecret(env.secretFile, SECRET_RE, () => randomBytes(32).toString("hex"), created);
    withModule(env, (m) => {
      if (findTokens(m, env.tokenLabel).length !== 1) {
        throw new HsmError("ERR_HSM_INIT", `no single initialised token labelled "${env.tokenLabel}" in ${env.modulePath}`);
      }
    });
    return {
      created,
      summary: `hsm: using token "${env.tokenLabel}" from ${env.modulePath}${createdNote(created, env)}`,
    };
  }

  ensureDir(env.hsmDir, created, true);
  ensureDir(env.tokenDir, created, true);
  ensureConf(env, created);
  process.env.SOFTHSM2_CONF = env.softhsmConf;

  let pin = env.pin;
  withModule(env, (m) => {
    let slots = findTokens(m, env.tokenLabel);
    if (slots.length === 0) {
      refuseUnreadableStore(env, m);
      pin ??= readOrCreateSecret(env.pinFile, PIN_RE, () => randomBytes(16).toString("hex"), created);
      const soPin = readOrCreateSecret(env.soPinFile, PIN_RE, () => randomBytes(16).toString("hex"), created);
      createToken(m, env.tokenLabel, soPin, pin);
      created.push(`token "${env.tokenLabel}"`);
      // SoftHSM lists the new token (and a fresh free slot) only after re-initialisation.
      m.C_Finalize();
      m.C_Initialize({ flags: CK.CKF_OS_LOCKING_OK });
      slots = findTokens(m, env.tokenLabel);
    } else if (pin === undefined) {
      pin = readSecret(env.pinFile, PIN_RE, `token "${env.tokenLabel}" exists, but its PIN file`, "restore it from a backup");
    }
    if (slots.length !== 1) {
      throw new HsmError(
        "ERR_HSM_INIT",
        `${slots.length} tokens labelled "${env.tokenLabel}" under ${env.tokenDir}; labels must be unique`,
      );
    }
    checkLogin(m, slots[0]!, pin!, env);
  });
  ensureDir(path.dirname(env.secretFile), created, false);
  readOrCreateSecret(env.secretFile, SECRET_RE, () => randomBytes(32).toString("hex"), created);
  return {
    created,
    summary:
      created.length === 0
        ? `hsm: token "${env.tokenLabel}" ready in ${env.tokenDir} (nothing to do)`
        : `hsm: token "${env.tokenLabel}" ready in ${env.tokenDir}${createdNote(created, env)}`,
  };
}

/** The PIN the sidecar logs in with: SIGNET_HSM_PIN, or the embedded token's PIN file. */
export function resolvePin(env: HsmEnv): string {
  if (env.pin !== undefined) return env.pin;
  if (!env.embedded) throw new HsmError("ERR_HSM_CONFIG", "SIGNET_HSM_PIN is required for this token");
  return readSecret(env.pinFile, PIN_RE, "the PIN file", INIT_HINT);
}

/** The shared secret the api presents on every request (created by init). */
export function resolveSecret(env: HsmEnv): string {
  return readSecret(env.secretFile, SECRET_RE, "the shared secret file", INIT_HINT);
}

/** Refuse to start the embedded token without init's softhsm2.conf: SoftHSM would silently use the system token store. */
export function checkEmbeddedConf(env: HsmEnv): void {
  if (!env.embedded) return;
  try {
    lstatSync(env.softhsmConf!);
  } catch {
    throw new HsmError("ERR_HSM_INIT", `${env.softhsmConf} is missing: ${INIT_HINT}`);
  }
  ensureConf(env, []);
}

/** The softhsm2.conf that points SoftHSM at `<data>/hsm/tokens` (SoftHSM2 softhsm2.conf(5)). */
export function softHsmConfText(tokenDir: string): string {
  return `# Written by Signet (apps/hsm/src/softhsm.ts).\ndirectories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\n`;
}

function createdNote(created: string[], env: HsmEnv): string {
  if (created.length === 0) return "";
  const names = created.map((c) => (c.startsWith(env.hsmDir + path.sep) ? path.relative(env.hsmDir, c) : c));
  return `; created ${names.join(", ")}`;
}

function ensureDir(dir: string, created: string[], tighten: boolean): void {
  let st: Stats | undefined;
  try {
    st = lstatSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw initError(dir, `cannot be read (${errCode(e)})`);
  }
  if (st && !st.isDirectory()) throw initError(dir, "exists but is not a directory");
  if (!st) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw initError(dir, `cannot be created (${errCode(e)})`);
    }
    created.push(dir);
    return;
  }
  // Our own directory: tighten it rather than fail, since nothing secret is in a directory entry itself.
  if (tighten && (st.mode & 0o077) !== 0) {
    try {
      chmodSync(dir, 0o700);
    } catch {
      // not ours to change (a shared parent): the files inside are 0600 anyway
    }
  }
}

function ensureConf(env: HsmEnv, created: string[]): void {
  const file = env.softhsmConf!;
  let text: string | undefined;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw initError(file, `cannot be read (${errCode(e)})`);
  }
  if (text === undefined) {
    createFileExclusive(file, softHsmConfText(env.tokenDir));
    created.push(file);
    return;
  }
  // SoftHSM ignores lines it cannot parse and falls back to the system token directory: check the two that matter.
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (t === "" || t.startsWith("#")) continue;
    const eq = t.indexOf("=");
    if (eq <= 0) throw initError(file, `is corrupt (line ${JSON.stringify(t.slice(0, 40))}); delete it to have it rewritten`);
    values.set(t.slice(0, eq).trim(), t.slice(eq + 1).trim());
  }
  if (values.get("directories.tokendir") !== env.tokenDir || values.get("objectstore.backend") !== "file") {
    throw initError(
      file,
      `does not point at ${env.tokenDir} with objectstore.backend = file; delete it to have it rewritten`,
    );
  }
}

/** Read a secret file, or create it with `make()` when absent. */
function readOrCreateSecret(file: string, re: RegExp, make: () => string, created: string[]): string {
  try {
    lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw initError(file, `cannot be read (${errCode(e)})`);
    const value = make();
    createFileExclusive(file, `${value}\n`);
    created.push(file);
    return value;
  }
  return readSecret(file, re, "the file", "delete it to have a new one generated");
}

function readSecret(file: string, re: RegExp, what: string, hint: string): string {
  let st: Stats;
  try {
    st = lstatSync(file);
  } catch (e) {
    throw new HsmError("ERR_HSM_INIT", `${what} ${file} is missing or unreadable (${errCode(e)}): ${hint}`);
  }
  if (!st.isFile()) throw initError(file, "is not a regular file");
  if ((st.mode & 0o077) !== 0) {
    throw initError(file, `is accessible to other users (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
  }
  if (st.size > 4096) throw initError(file, "is too large to be a Signet secret file");
  const value = readFileSync(file, "utf8").trim();
  if (!re.test(value)) throw initError(file, `is empty or corrupt: ${hint}`);
  return value;
}

function createFileExclusive(file: string, content: string): void {
  // Write then hard-link into place: the final name never holds a half-written file, and never replaces one.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    writeFileSync(tmp, content, { mode: 0o600, flag: "wx" });
    linkSync(tmp, file);
  } catch (e) {
    throw initError(file, `cannot be created (${errCode(e)})`);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
}

function withModule(env: HsmEnv, fn: (m: InitModule) => void): void {
  const m = new pkcs11js.PKCS11() as InitModule;
  try {
    m.load(env.modulePath);
  } catch (e) {
    throw new HsmError("ERR_HSM_INIT", `cannot load PKCS#11 module ${env.modulePath}: ${describe(e)}`);
  }
  let initialized = false;
  try {
    try {
      m.C_Initialize({ flags: CK.CKF_OS_LOCKING_OK });
      initialized = true;
    } catch (e) {
      throw storeError(env, `C_Initialize failed with ${describe(e)}`);
    }
    fn(m);
  } catch (e) {
    if (e instanceof HsmError) throw e;
    throw env.embedded
      ? storeError(env, describe(e))
      : new HsmError("ERR_HSM_INIT", `PKCS#11 module ${env.modulePath}: ${describe(e)}`);
  } finally {
    if (initialized) {
      try {
        m.C_Finalize();
      } catch {
        // best effort: the process ends right after init
      }
    }
    try {
      m.close();
    } catch {
      // best effort
    }
  }
}

function findTokens(m: InitModule, label: string): Buffer[] {
  return m.C_GetSlotList(true).filter((slot) => {
    const info = m.C_GetTokenInfo(slot);
    return (info.flags & CK.CKF_TOKEN_INITIALIZED) !== 0 && info.label.trim() === label;
  });
}

/** SoftHSM silently skips token directories it cannot parse; a store with more directories than readable tokens is damaged. */
function refuseUnreadableStore(env: HsmEnv, m: InitModule): void {
  const dirs = tokenDirs(env);
  const readable = m.C_GetSlotList(true).filter((s) => (m.C_GetTokenInfo(s).flags & CK.CKF_TOKEN_INITIALIZED) !== 0).length;
  if (dirs.length > readable) {
    const files = dirs.map((d) => path.join(d, "token.object"));
    throw new HsmError(
      "ERR_HSM_INIT",
      `SoftHSM cannot read a token under ${env.tokenDir}: ${files.join(" or ")} is missing or corrupt. ` +
        `Restore ${env.hsmDir} from a backup, or delete ${env.hsmDir} to start over (this destroys the keys).`,
    );
  }
}

/**
 * A stamp of the embedded token store for `keyCopyStamp` (apps/hsm/src/pkcs11.ts): the token directory's own
 * inode and times (they change when a token is added, removed or renamed) and, for every token in it, the
 * inode and times of its `generation` file, which SoftHSM2 rewrites on every change to the token's objects.
 * Removing, renaming or replacing a token, and creating, deleting or changing any of its objects, changes the
 * stamp; undefined when the store cannot be read or holds no token. It runs before every signing call, so
 * the directory is listed again only when its own stamp changed (a `readdir` per call was half of the
 * sidecar's own CPU per CA signature): one `stat` for the store and one per token per call.
 */
export function softHsmTokenStamp(tokenDir: string): () => string | undefined {
  let listed: { dir: string; names: string[] } | undefined;
  return () => {
    try {
      const d = statSync(tokenDir, { bigint: true });
      const dir = `${d.ino}:${d.mtimeNs}:${d.ctimeNs}`;
      if (listed?.dir !== dir) listed = { dir, names: subdirectories(tokenDir) };
      let stamp = `${dir}|`;
      for (const name of listed.names) {
        const st = statSync(path.join(tokenDir, name, "generation"), { bigint: true, throwIfNoEntry: false });
        // A listed token without its file (being removed, or not a token): nothing to vouch for the copies.
        if (!st) return undefined;
        stamp += `${name}:${st.ino}:${st.mtimeNs}:${st.ctimeNs}:${st.size};`;
      }
      return listed.names.length === 0 ? undefined : stamp;
    } catch {
      listed = undefined;
      return undefined;
    }
  };
}

/** The token directories SoftHSM2 keeps in a token store (names only). */
function subdirectories(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
}

function tokenDirs(env: HsmEnv): string[] {
  try {
    return subdirectories(env.tokenDir).map((name) => path.join(env.tokenDir, name));
  } catch (e) {
    throw initError(env.tokenDir, `cannot be read (${errCode(e)})`);
  }
}

function createToken(m: InitModule, label: string, soPin: string, pin: string): void {
  const free = m.C_GetSlotList(true).find((s) => (m.C_GetTokenInfo(s).flags & CK.CKF_TOKEN_INITIALIZED) === 0);
  if (!free) throw new HsmError("ERR_HSM_INIT", "SoftHSM offers no free slot to initialise a token in");
  // C_InitToken reads exactly 32 bytes of label, blank padded (PKCS#11 v2.40 §5.5). PINs go through the API, never argv.
  m.C_InitToken(free, soPin, label.padEnd(32, " "));
  const s = m.C_OpenSession(free, CK.CKF_SERIAL_SESSION | CK.CKF_RW_SESSION);
  try {
    m.C_Login(s, pkcs11js.CKU_SO, soPin);
    m.C_InitPIN(s, pin);
    m.C_Logout(s);
  } finally {
    m.C_CloseSession(s);
  }
}

function checkLogin(m: InitModule, slot: Buffer, pin: string, env: HsmEnv): void {
  const s = m.C_OpenSession(slot, CK.CKF_SERIAL_SESSION);
  try {
    m.C_Login(s, CK.CKU_USER, pin);
    m.C_Logout(s);
  } catch (e) {
    const code = ckrOf(e);
    if (code === pkcs11js.CKR_PIN_INCORRECT || code === pkcs11js.CKR_PIN_LOCKED) {
      const source = env.pin !== undefined ? "SIGNET_HSM_PIN" : env.pinFile;
      throw new HsmError("ERR_HSM_INIT", `${source} does not open token "${env.tokenLabel}" (${ckrName(code)})`);
    }
    throw e;
  } finally {
    try {
      m.C_CloseSession(s);
    } catch {
      // closing after a failed login is best effort
    }
  }
}

function storeError(env: HsmEnv, why: string): HsmError {
  if (!env.embedded) return new HsmError("ERR_HSM_INIT", `PKCS#11 module ${env.modulePath}: ${why}`);
  let files: string[] = [];
  try {
    files = tokenDirs(env).map((d) => path.join(d, "token.object"));
  } catch {
    // the directory itself is the problem; name it
  }
  const where = files.length > 0 ? files.join(" or ") : env.tokenDir;
  return new HsmError(
    "ERR_HSM_INIT",
    `SoftHSM cannot read its token store (${why}): check ${where} and ${env.softhsmConf}. ` +
      `Restore ${env.hsmDir} from a backup, or delete it to start over (this destroys the keys).`,
  );
}

function initError(file: string, problem: string): HsmError {
  return new HsmError("ERR_HSM_INIT", `${file} ${problem}`);
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

function describe(e: unknown): string {
  const code = ckrOf(e);
  if (code !== undefined) return ckrName(code);
  return e instanceof Error ? e.message : String(e);
}
