/**
 * The sidecar's configuration: the only place in apps/hsm that reads process.env.
 * Validated once; a bad value fails with ERR_HSM_CONFIG and a message naming the variable.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HsmError } from "./errors.ts";

/** Where Debian's softhsm2 package installs the module; using it (with no foreign SOFTHSM2_CONF) selects the embedded token. */
export const DEFAULT_SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so";

// sun_path is 108 bytes on Linux including the terminating NUL; leave a little room.
const MAX_SOCKET_PATH_BYTES = 100;

export interface HsmEnv {
  /** Absolute SIGNET_DATA_DIR (default `<repo>/.data`). */
  dataDir: string;
  /** `<data>/hsm`: conf, token store, PIN and secret files of the embedded token, and the default socket. */
  hsmDir: string;
  modulePath: string;
  tokenLabel: string;
  /** True when Signet manages the token itself (SoftHSM2 under `<data>/hsm`); false for a foreign or hardware token. */
  embedded: boolean;
  /** SIGNET_HSM_PIN when set; otherwise the embedded token's PIN lives in `pinFile`. Never log it. */
  pin: string | undefined;
  pinFile: string;
  soPinFile: string;
  /** The SOFTHSM2_CONF the module must see: ours when embedded, the caller's (or none) otherwise. */
  softhsmConf: string | undefined;
  tokenDir: string;
  socketPath: string;
  secretFile: string;
  healthHost: "127.0.0.1";
  healthPort: number;
  poolSize: number;
  /** SIGNET_HSM_SYNC_SIGN: C_Sign called synchronously (default true for the SoftHSM2 module only). */
  syncSign: boolean;
  /**
   * SIGNET_HSM_KEY_COPIES: sign with session copies of the keys, guarded by the token store's stamp
   * (Pkcs11TokenOptions.keyCopyStamp). Only for the embedded token, whose store Signet knows (default true there).
   */
  keyCopies: boolean;
}

/** The repository root, found from this file's location (apps/hsm/src/env.ts). */
export function repoRoot(): string {
  return fileURLToPath(new URL("../../../", import.meta.url));
}

/** Read and validate the sidecar's environment (pass `source` in tests instead of mutating process.env). */
export function loadHsmEnv(source: NodeJS.ProcessEnv = process.env): HsmEnv {
  const get = (name: string): string | undefined => {
    const v = source[name];
    return v === undefined || v === "" ? undefined : v;
  };

  const dataDir = path.resolve(get("SIGNET_DATA_DIR") ?? path.join(repoRoot(), ".data"));
  const hsmDir = path.join(dataDir, "hsm");
  const embeddedConf = path.join(hsmDir, "softhsm2.conf");

  const modulePath = path.resolve(get("SIGNET_HSM_MODULE") ?? DEFAULT_SOFTHSM_MODULE);
  if (!existsSync(modulePath)) {
    fail(
      "SIGNET_HSM_MODULE",
      `PKCS#11 module ${modulePath} does not exist` +
        (modulePath === DEFAULT_SOFTHSM_MODULE ? " (install it: apt-get install softhsm2)" : ""),
    );
  }

  const tokenLabel = get("SIGNET_HSM_TOKEN_LABEL") ?? "signet";
  const labelBytes = Buffer.byteLength(tokenLabel, "utf8");
  // A PKCS#11 token label is a fixed 32-byte blank-padded field (PKCS#11 v2.40 §3.2 CK_TOKEN_INFO).
  if (labelBytes > 32 || !/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(tokenLabel)) {
    fail("SIGNET_HSM_TOKEN_LABEL", "must be 1-32 printable ASCII characters without leading or trailing blanks");
  }

  const foreignConf = get("SOFTHSM2_CONF");
  const embedded =
    modulePath === DEFAULT_SOFTHSM_MODULE && (foreignConf === undefined || path.resolve(foreignConf) === embeddedConf);

  const pin = get("SIGNET_HSM_PIN");
  if (pin !== undefined && (pin.length > 256 || /[\0\r\n]/.test(pin))) {
    fail("SIGNET_HSM_PIN", "must be at most 256 characters with no NUL or line breaks");
  }
  if (!embedded && pin === undefined) {
    fail(
      "SIGNET_HSM_PIN",
      "is required when SIGNET_HSM_MODULE or SOFTHSM2_CONF point at a token Signet does not manage " +
        `(module ${modulePath}${foreignConf ? `, SOFTHSM2_CONF ${foreignConf}` : ""})`,
    );
  }

  const socketPath = path.resolve(get("SIGNET_HSM_SOCKET") ?? path.join(hsmDir, "hsm.sock"));
  if (Buffer.byteLength(socketPath, "utf8") > MAX_SOCKET_PATH_BYTES) {
    fail("SIGNET_HSM_SOCKET", `${socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes (Unix socket path limit)`);
  }

  return {
    dataDir,
    hsmDir,
    modulePath,
    tokenLabel,
    embedded,
    pin,
    pinFile: path.join(hsmDir, "pin"),
    soPinFile: path.join(hsmDir, "so-pin"),
    softhsmConf: embedded ? embeddedConf : foreignConf,
    tokenDir: path.join(hsmDir, "tokens"),
    socketPath,
    secretFile: path.resolve(get("SIGNET_HSM_SECRET_FILE") ?? path.join(hsmDir, "secret")),
    healthHost: "127.0.0.1",
    healthPort: intVar(get, "SIGNET_HSM_HEALTH_PORT", 8082, 0, 65535),
    poolSize: intVar(get, "SIGNET_HSM_POOL_SIZE", 4, 1, 64),
    // SoftHSM2 signs in memory, so its C_Sign cannot block: call it synchronously (see Pkcs11TokenOptions.syncSign).
    syncSign: boolVar(get, "SIGNET_HSM_SYNC_SIGN", modulePath === DEFAULT_SOFTHSM_MODULE),
    keyCopies: keyCopiesVar(get, embedded),
  };
}

/**
 * Point SoftHSM at the right configuration before the module is initialised: SoftHSM reads
 * SOFTHSM2_CONF in C_Initialize, and a missing or unreadable one silently falls back to the system token directory.
 */
export function applySoftHsmConf(env: HsmEnv): void {
  if (env.softhsmConf !== undefined) process.env.SOFTHSM2_CONF = env.softhsmConf;
}

function keyCopiesVar(get: (name: string) => string | undefined, embedded: boolean): boolean {
  const on = boolVar(get, "SIGNET_HSM_KEY_COPIES", embedded);
  // The guard watches the embedded token's files; for any other token Signet cannot tell when it is gone.
  if (on && !embedded) fail("SIGNET_HSM_KEY_COPIES", "is only supported for the embedded SoftHSM2 token");
  return on;
}

function boolVar(get: (name: string) => string | undefined, name: string, fallback: boolean): boolean {
  const raw = get(name);
  if (raw === undefined) return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  fail(name, `must be true or false, got ${JSON.stringify(raw.slice(0, 20))}`);
}

function intVar(
  get: (name: string) => string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = get(name);
  if (raw === undefined) return fallback;
  if (!/^[0-9]{1,6}$/.test(raw)) fail(name, `must be a decimal integer, got ${JSON.stringify(raw.slice(0, 20))}`);
  const n = Number(raw);
  if (n < min || n > max) fail(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function fail(name: string, problem: string): never {
  throw new HsmError("ERR_HSM_CONFIG", `${name} ${problem}`);
}
