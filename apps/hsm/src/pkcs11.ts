/**
 * A small, fail-closed wrapper over pkcs11js: one module, one token found by label, a pool of
 * logged-in sessions (PKCS#11 v2.40 §5.6: one active operation per session), named non-extractable
 * EC keys, and raw ECDSA over caller-computed digests. Faults are recovered once (new session,
 * new login, or a full re-initialisation of the module); otherwise the caller gets a typed error.
 * There is deliberately no software fallback anywhere in this file.
 */
import { createPublicKey, randomBytes } from "node:crypto";
import pkcs11js from "pkcs11js";
import type { PKCS11, Template } from "pkcs11js";
import { HsmError, isHsmError } from "./errors.ts";
import type { HsmErrorCode } from "./errors.ts";
import { toPublicPoint, toSpki } from "./der.ts";
import { CURVES, curveFromEcParams } from "./keys.ts";
import type { CurveInfo, KeyAlgorithm } from "./keys.ts";

/** The part of pkcs11js.PKCS11 this wrapper calls (a seam for unit-test doubles; product code passes the real module). */
export type Pkcs11Module = Pick<
  PKCS11,
  | "load"
  | "close"
  | "C_Initialize"
  | "C_Finalize"
  | "C_GetSlotList"
  | "C_GetTokenInfo"
  | "C_OpenSession"
  | "C_CloseSession"
  | "C_GetSessionInfo"
  | "C_Login"
  | "C_FindObjectsInit"
  | "C_FindObjects"
  | "C_FindObjectsFinal"
  | "C_GetAttributeValue"
  | "C_CopyObject"
  | "C_DestroyObject"
  | "C_GenerateKeyPairAsync"
  | "C_SignInit"
  | "C_Sign"
  | "C_SignAsync"
>;

/** PKCS#11 constants used here; the Edwards and session-state values are missing from pkcs11js 2.1.7. */
export const CK = {
  CKF_OS_LOCKING_OK: pkcs11js.CKF_OS_LOCKING_OK,
  CKF_SERIAL_SESSION: pkcs11js.CKF_SERIAL_SESSION,
  CKF_RW_SESSION: pkcs11js.CKF_RW_SESSION,
  CKF_TOKEN_INITIALIZED: pkcs11js.CKF_TOKEN_INITIALIZED,
  CKU_USER: pkcs11js.CKU_USER,
  CKS_RO_USER_FUNCTIONS: 1,
  CKS_RW_USER_FUNCTIONS: 3,
  CKO_PUBLIC_KEY: pkcs11js.CKO_PUBLIC_KEY,
  CKO_PRIVATE_KEY: pkcs11js.CKO_PRIVATE_KEY,
  CKK_EC: pkcs11js.CKK_EC,
  CKK_EC_EDWARDS: 0x40, // PKCS#11 3.0 §6.3.1
  CKM_EC_KEY_PAIR_GEN: pkcs11js.CKM_EC_KEY_PAIR_GEN,
  CKM_ECDSA: pkcs11js.CKM_ECDSA,
  CKM_EC_EDWARDS_KEY_PAIR_GEN: 0x1055, // PKCS#11 3.0 §6.3.5
  CKM_EDDSA: 0x1057, // PKCS#11 3.0 §6.3.14
  CKA_CLASS: pkcs11js.CKA_CLASS,
  CKA_KEY_TYPE: pkcs11js.CKA_KEY_TYPE,
  CKA_LABEL: pkcs11js.CKA_LABEL,
  CKA_ID: pkcs11js.CKA_ID,
  CKA_TOKEN: pkcs11js.CKA_TOKEN,
  CKA_PRIVATE: pkcs11js.CKA_PRIVATE,
  CKA_SENSITIVE: pkcs11js.CKA_SENSITIVE,
  CKA_EXTRACTABLE: pkcs11js.CKA_EXTRACTABLE,
  CKA_SIGN: pkcs11js.CKA_SIGN,
  CKA_VERIFY: pkcs11js.CKA_VERIFY,
  CKA_DERIVE: pkcs11js.CKA_DERIVE,
  CKA_EC_PARAMS: pkcs11js.CKA_EC_PARAMS,
  CKA_EC_POINT: pkcs11js.CKA_EC_POINT,
  CKA_VALUE: pkcs11js.CKA_VALUE,
  CKA_ALWAYS_SENSITIVE: pkcs11js.CKA_ALWAYS_SENSITIVE,
  CKA_NEVER_EXTRACTABLE: pkcs11js.CKA_NEVER_EXTRACTABLE,
  CKR_USER_ALREADY_LOGGED_IN: pkcs11js.CKR_USER_ALREADY_LOGGED_IN,
  CKR_CRYPTOKI_ALREADY_INITIALIZED: pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED,
} as const;

// What a failed call says about the state we hold, and therefore how to recover before the one retry.
const SESSION_FAULTS = new Set<number>([
  pkcs11js.CKR_SESSION_HANDLE_INVALID,
  pkcs11js.CKR_SESSION_CLOSED,
  pkcs11js.CKR_OPERATION_ACTIVE,
  pkcs11js.CKR_OPERATION_NOT_INITIALIZED,
  pkcs11js.CKR_SESSION_READ_ONLY,
]);
const LOGIN_FAULTS = new Set<number>([pkcs11js.CKR_USER_NOT_LOGGED_IN]);
const KEY_HANDLE_FAULTS = new Set<number>([pkcs11js.CKR_OBJECT_HANDLE_INVALID, pkcs11js.CKR_KEY_HANDLE_INVALID]);
const TOKEN_FAULTS = new Set<number>([
  pkcs11js.CKR_TOKEN_NOT_PRESENT,
  pkcs11js.CKR_TOKEN_NOT_RECOGNIZED,
  pkcs11js.CKR_DEVICE_REMOVED,
  pkcs11js.CKR_DEVICE_ERROR,
  pkcs11js.CKR_DEVICE_MEMORY,
  pkcs11js.CKR_GENERAL_ERROR,
  pkcs11js.CKR_FUNCTION_FAILED,
  pkcs11js.CKR_CRYPTOKI_NOT_INITIALIZED,
  pkcs11js.CKR_SLOT_ID_INVALID,
  pkcs11js.CKR_SESSION_COUNT,
]);
// Never log in again by ourselves after these: real HSMs lock the PIN after a few wrong attempts.
const PIN_FAULTS = new Set<number>([
  pkcs11js.CKR_PIN_INCORRECT,
  pkcs11js.CKR_PIN_LOCKED,
  pkcs11js.CKR_PIN_EXPIRED,
  pkcs11js.CKR_PIN_INVALID,
  pkcs11js.CKR_PIN_LEN_RANGE,
]);
const INPUT_FAULTS = new Set<number>([pkcs11js.CKR_DATA_LEN_RANGE, pkcs11js.CKR_DATA_INVALID]);
// A module that will not make session copies of a key (CKR_ACTION_PROHIBITED is PKCS#11 v2.40's CKA_COPYABLE=false).
const COPY_REFUSALS = new Set<number>([
  pkcs11js.CKR_FUNCTION_NOT_SUPPORTED,
  0x1b, // CKR_ACTION_PROHIBITED
  pkcs11js.CKR_ATTRIBUTE_READ_ONLY,
  pkcs11js.CKR_ATTRIBUTE_TYPE_INVALID,
  pkcs11js.CKR_ATTRIBUTE_VALUE_INVALID,
  pkcs11js.CKR_TEMPLATE_INCONSISTENT,
]);

const CKR_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(pkcs11js)
    .filter(([k, v]) => k.startsWith("CKR_") && typeof v === "number")
    .map(([k, v]) => [v as number, k]),
);

/** The CKR_* code of an error thrown by pkcs11js (or a test double), if it carries one. */
export function ckrOf(e: unknown): number | undefined {
  if (typeof e !== "object" || e === null) return undefined;
  const { code, message } = e as { code?: unknown; message?: unknown };
  if (typeof message !== "string") return undefined;
  if (/^CKR_/.test(message) && typeof code === "number") return code;
  // Some pkcs11js calls (C_CopyObject among them) throw a plain Error whose message is "CKR_NAME:code".
  const m = /^CKR_[A-Z0-9_]+:(\d{1,10})$/.exec(message);
  return m ? Number(m[1]) : undefined;
}

/** The CKR_* name of a code, for messages. */
export function ckrName(code: number): string {
  return CKR_NAMES.get(code) ?? `CKR_0x${code.toString(16)}`;
}

export interface Pkcs11TokenOptions {
  modulePath: string;
  tokenLabel: string;
  /** The user PIN. Never logged. */
  pin: string;
  /** Sessions kept open and logged in (default 4; libuv runs at most UV_THREADPOOL_SIZE signatures at once). */
  poolSize?: number;
  /** Answer ERR_HSM_TIMEOUT when C_Sign has not returned after this long (default 5000 ms). */
  signTimeoutMs?: number;
  /**
   * Sign with the synchronous C_Sign on the event-loop thread instead of C_SignAsync on libuv's pool
   * (default false). On these machines the thread hand-off costs more CPU than SoftHSM2's signature
   * itself (about 140 µs against 56 µs per P-256 signature), so the embedded SoftHSM2 token uses it. Only for
   * tokens whose C_Sign is pure computation: a C_Sign that blocks would stall the sidecar, and
   * `signTimeoutMs` cannot interrupt it.
   */
  syncSign?: boolean;
  /**
   * Sign digests with session-object copies of the keys (C_CopyObject with CKA_TOKEN=false) while
   * `keyCopyStamp()` returns the value it returned when the copy was made. Unset (the default): always the
   * token object. A copy lives inside the module like the original and keeps CKA_SENSITIVE=true and
   * CKA_EXTRACTABLE=false (PKCS#11 forbids loosening either; checked on every copy). SoftHSM2 re-reads a token
   * object's files on every use (about 40 µs of a 110 µs signature here) and keeps a session object in memory,
   * but it also keeps serving a session object when its token's files are gone; so the stamp must change
   * whenever the token is removed, replaced or modified (`softHsmTokenStamp`). When it changes, or cannot be
   * read (undefined), the copies are destroyed and the call takes the token object, with every failure
   * handling that path has.
   */
  keyCopyStamp?: () => string | undefined;
  /** Key generation is slower on hardware tokens (default 30000 ms). */
  generateTimeoutMs?: number;
  /** Requests waiting for a free session beyond this are refused with ERR_HSM_UNAVAILABLE (default 1024). */
  maxQueue?: number;
  /** Minimum time between two failed attempts to re-initialise the module (default 1000 ms). */
  recoverIntervalMs?: number;
  /** Test seam: a pkcs11js-shaped module. Product code leaves it unset and gets the real pkcs11js. */
  module?: Pkcs11Module;
  log?: (line: string) => void;
}

export interface KeyInfo {
  label: string;
  algorithm: KeyAlgorithm;
}

export interface PublicKeyInfo extends KeyInfo {
  /** SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
}

export interface TokenHealth {
  token: string;
  keys: string[];
}

/** The token as the rest of the sidecar sees it. */
export interface Pkcs11Token {
  readonly tokenLabel: string;
  /** Find a key by label; undefined when there is none. */
  findKey(label: string): Promise<KeyInfo | undefined>;
  /** Generate a non-extractable, sensitive key pair on the token; ERR_HSM_KEY_MISMATCH if the label is taken. */
  generateKeyPair(label: string, algorithm: KeyAlgorithm): Promise<PublicKeyInfo>;
  /** Return the key (creating it if absent); ERR_HSM_KEY_MISMATCH if it exists with another algorithm. */
  ensureKey(label: string, algorithm: KeyAlgorithm): Promise<PublicKeyInfo & { created: boolean }>;
  /** SubjectPublicKeyInfo DER of a key, built from CKA_EC_PARAMS and CKA_EC_POINT. */
  publicKey(label: string): Promise<PublicKeyInfo>;
  /** Raw CKM_ECDSA over a digest whose length matches the curve (32 for P-256, 48 for P-384); returns raw r‖s. */
  signDigest(label: string, digest: Uint8Array): Promise<Uint8Array>;
  /** The same for several digests, in order, on one session (the key is looked up once). */
  signDigests(label: string, digests: readonly Uint8Array[]): Promise<Uint8Array[]>;
  /** CKM_EDDSA (pure Ed25519, RFC 8032 §5.1.6) over a whole message; returns the 64-byte signature. */
  signMessage(label: string, message: Uint8Array): Promise<Uint8Array>;
  /** Every private key on the token whose curve Signet knows. */
  listKeys(): Promise<KeyInfo[]>;
  /** Prove the token is reachable and logged in; throws ERR_HSM_UNAVAILABLE otherwise. */
  health(): Promise<TokenHealth>;
  close(): Promise<void>;
}

interface Session {
  handle: Buffer;
  generation: number;
  abandoned: boolean;
  broken: boolean;
}

interface KeyEntry {
  label: string;
  curve: CurveInfo;
  priv: Buffer;
  id: Buffer;
  spki?: Uint8Array;
  generation: number;
  /** A session-object copy of `priv` (see Pkcs11TokenOptions.keyCopyStamp), the session that owns it, and the stamp it was made under. */
  copy?: { handle: Buffer; owner: Session; stamp: string };
}

interface Waiter {
  resolve: (s: Session) => void;
  reject: (e: HsmError) => void;
  timer: NodeJS.Timeout;
}

/** A classified failure: "retry" once the state it points at has been repaired, "final" to answer now. */
interface Failure {
  kind: "final" | "retry";
  error: HsmError;
}

const MAX_LIST_OBJECTS = 1000;
// pkcs11js reads the mechanism afresh on every call, so one shared object serves every signature.
const ECDSA_MECHANISM = { mechanism: CK.CKM_ECDSA } as const;

/** Load the module, find the token by label, log in and fill the session pool. */
export async function openPkcs11Token(options: Pkcs11TokenOptions): Promise<Pkcs11Token> {
  const token = new TokenImpl(options);
  await token.start();
  return token;
}

class TokenImpl implements Pkcs11Token {
  readonly tokenLabel: string;
  private readonly m: Pkcs11Module;
  private readonly opts: Required<Omit<Pkcs11TokenOptions, "module" | "log" | "keyCopyStamp">>;
  private readonly keyCopyStamp: (() => string | undefined) | undefined;
  /** Set when the module refused to copy a key: sign with the token objects from then on. */
  private copiesRefused = false;
  private readonly log: (line: string) => void;

  private state: "starting" | "ready" | "down" | "closed" = "starting";
  private initialized = false;
  private pinRejected = false;
  private needLogin = false;
  private slot: Buffer | undefined;
  private generation = 0;
  private readonly idle: Session[] = [];
  private readonly waiters: Waiter[] = [];
  private acquired = 0;
  private abandoned = 0;
  private readonly keys = new Map<string, KeyEntry>();
  private recovering: Promise<void> | undefined;
  private lastFailedRecovery = 0;
  private drainWaiters: Array<() => void> = [];
  private ensureChain: Promise<unknown> = Promise.resolve();

  constructor(options: Pkcs11TokenOptions) {
    this.tokenLabel = options.tokenLabel;
    this.opts = {
      modulePath: options.modulePath,
      tokenLabel: options.tokenLabel,
      pin: options.pin,
      poolSize: options.poolSize ?? 4,
      signTimeoutMs: options.signTimeoutMs ?? 5_000,
      generateTimeoutMs: options.generateTimeoutMs ?? 30_000,
      maxQueue: options.maxQueue ?? 1024,
      recoverIntervalMs: options.recoverIntervalMs ?? 1_000,
      syncSign: options.syncSign ?? false,
    };
    this.keyCopyStamp = options.keyCopyStamp;
    this.log = options.log ?? (() => {});
    this.m = options.module ?? new pkcs11js.PKCS11();
  }

  async start(): Promise<void> {
    try {
      this.m.load(this.opts.modulePath);
    } catch (e) {
      throw new HsmError("ERR_HSM_UNAVAILABLE", `cannot load PKCS#11 module ${this.opts.modulePath}: ${describe(e)}`);
    }
    try {
      await this.reset();
    } catch (e) {
      this.teardown();
      throw e;
    }
  }

  // ---- public operations -------------------------------------------------------------------

  findKey(label: string): Promise<KeyInfo | undefined> {
    return this.run(async (s) => {
      const k = this.resolveKey(s, label, false);
      return k && { label: k.label, algorithm: k.curve.algorithm };
    });
  }

  async generateKeyPair(label: string, algorithm: KeyAlgorithm): Promise<PublicKeyInfo> {
    return this.serialiseKeyCreation(() => this.generateLocked(label, algorithm));
  }

  async ensureKey(label: string, algorithm: KeyAlgorithm): Promise<PublicKeyInfo & { created: boolean }> {
    return this.serialiseKeyCreation(async () => {
      const existing = await this.findKey(label);
      if (existing) {
        if (existing.algorithm !== algorithm) {
          throw new HsmError("ERR_HSM_KEY_MISMATCH", `key ${label} exists with algorithm ${existing.algorithm}, not ${algorithm}`);
        }
        return { ...(await this.publicKey(label)), created: false };
      }
      return { ...(await this.generateLocked(label, algorithm)), created: true };
    });
  }

  publicKey(label: string): Promise<PublicKeyInfo> {
    return this.run(async (s) => {
      const k = this.resolveKey(s, label, true)!;
      return { label, algorithm: k.curve.algorithm, spki: this.spkiOf(s, k) };
    });
  }

  signDigest(label: string, digest: Uint8Array): Promise<Uint8Array> {
    return this.signDigests(label, [digest]).then((sigs) => sigs[0]!);
  }

  signDigests(label: string, digests: readonly Uint8Array[]): Promise<Uint8Array[]> {
    return this.run(async (s) => {
      const k = this.resolveKey(s, label, true)!;
      if (k.curve.hash === undefined) {
        throw new HsmError("ERR_HSM_BAD_REQUEST", `key ${label} is ${k.curve.algorithm}: it signs messages, not digests`);
      }
      // Raw CKM_ECDSA truncates or pads whatever it is given; insist on the digest that pairs with the curve.
      for (const digest of digests) {
        if (digest.length !== k.curve.size) {
          throw new HsmError(
            "ERR_HSM_BAD_REQUEST",
            `key ${label} is ${k.curve.algorithm}: the digest must be ${k.curve.size} bytes, got ${digest.length}`,
          );
        }
      }
      // All signatures land in one buffer (no allocation or copy per signature); callers get views of it.
      const sigLength = 2 * k.curve.size;
      const out = Buffer.alloc(digests.length * sigLength);
      const sigs: Uint8Array[] = [];
      const key = this.signingHandle(s, k);
      for (let i = 0; i < digests.length; i++) {
        const digest = digests[i]!;
        const slot = out.subarray(i * sigLength, (i + 1) * sigLength);
        this.m.C_SignInit(s.handle, ECDSA_MECHANISM, key);
        const sig = this.opts.syncSign
          ? // Synchronous: the module has read the digest when C_Sign returns, so a view of the caller's bytes will do.
            this.m.C_Sign(s.handle, asBuffer(digest), slot)
          : // On the thread pool the digest is read later: hand the module a private copy.
            await this.bounded(s, this.m.C_SignAsync(s.handle, Buffer.from(digest), slot), this.opts.signTimeoutMs, "C_Sign");
        if (sig.length !== sigLength) {
          throw new HsmError("ERR_HSM_UNAVAILABLE", `token returned a ${sig.length}-byte ECDSA signature`);
        }
        sigs.push(sig); // pkcs11js returns a view of `slot`
      }
      return sigs;
    });
  }

  signMessage(label: string, message: Uint8Array): Promise<Uint8Array> {
    return this.run(async (s) => {
      const k = this.resolveKey(s, label, true)!;
      if (k.curve.algorithm !== "Ed25519") {
        throw new HsmError("ERR_HSM_BAD_REQUEST", `key ${label} is ${k.curve.algorithm}: sign a digest instead`);
      }
      this.m.C_SignInit(s.handle, { mechanism: CK.CKM_EDDSA }, k.priv);
      const sig = await this.bounded(
        s,
        this.m.C_SignAsync(s.handle, Buffer.from(message), Buffer.alloc(64)),
        this.opts.signTimeoutMs,
        "C_Sign",
      );
      if (sig.length !== 64) throw new HsmError("ERR_HSM_UNAVAILABLE", `token returned a ${sig.length}-byte EdDSA signature`);
      return new Uint8Array(sig);
    });
  }

  listKeys(): Promise<KeyInfo[]> {
    return this.run(async (s) => this.listOn(s));
  }

  health(): Promise<TokenHealth> {
    return this.run(async (s) => {
      const info = this.m.C_GetSessionInfo(s.handle);
      if (info.state !== CK.CKS_RW_USER_FUNCTIONS && info.state !== CK.CKS_RO_USER_FUNCTIONS) {
        throw pkcsError(pkcs11js.CKR_USER_NOT_LOGGED_IN);
      }
      const label = this.m.C_GetTokenInfo(this.slot!).label.trim();
      if (label !== this.tokenLabel) throw pkcsError(pkcs11js.CKR_TOKEN_NOT_RECOGNIZED);
      return { token: this.tokenLabel, keys: this.listOn(s).map((k) => k.label) };
    });
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    this.rejectWaiters("ERR_HSM_UNAVAILABLE", "token closed");
    await this.drain(this.opts.signTimeoutMs + 1_000);
    this.teardown();
    if (this.abandoned === 0) {
      try {
        this.m.close();
      } catch {
        // unloading is best effort at shutdown
      }
    }
  }

  // ---- the retry loop ----------------------------------------------------------------------

  /** Run `fn` on a pool session; after a recoverable fault, repair what it points at and try exactly once more. */
  private async run<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    let failure: Failure | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      await this.ready();
      const s = await this.acquire();
      try {
        if (this.needLogin) this.login(s);
        return await fn(s);
      } catch (e) {
        failure = this.classify(e, s);
      } finally {
        this.release(s);
      }
      if (failure.kind === "final") throw failure.error;
      this.log(`hsm: ${failure.error.message}; ${attempt === 0 ? "recovering and retrying once" : "giving up"}`);
    }
    throw failure!.error;
  }

  private classify(e: unknown, s: Session): Failure {
    if (isHsmError(e)) {
      // Errors we raised ourselves already say what they mean; a timeout abandoned the session already.
      return { kind: "final", error: e };
    }
    const code = ckrOf(e);
    if (code === undefined) {
      s.broken = true;
      return { kind: "final", error: new HsmError("ERR_HSM_UNAVAILABLE", `PKCS#11 call failed: ${describe(e)}`, { cause: e }) };
    }
    const name = ckrName(code);
    const err = (c: HsmErrorCode, m: string) => new HsmError(c, m, { cause: e });
    if (PIN_FAULTS.has(code)) {
      this.pinRejected = true;
      this.markDown(`the token rejected the PIN (${name}); not retrying to avoid locking it`);
      return { kind: "final", error: err("ERR_HSM_UNAVAILABLE", `the token rejected the PIN (${name})`) };
    }
    if (SESSION_FAULTS.has(code)) {
      s.broken = true;
      // Sessions rarely die alone (C_CloseAllSessions, a token reset): check the idle ones before the retry picks one.
      this.sweepIdle();
      return { kind: "retry", error: err("ERR_HSM_UNAVAILABLE", `session fault ${name}`) };
    }
    if (LOGIN_FAULTS.has(code)) {
      this.needLogin = true;
      this.forgetKeys();
      return { kind: "retry", error: err("ERR_HSM_UNAVAILABLE", `login lost (${name})`) };
    }
    if (KEY_HANDLE_FAULTS.has(code)) {
      // SoftHSM answers this both for a deleted key and for a logged-out or vanished token.
      this.forgetKeys();
      this.needLogin = true;
      return { kind: "retry", error: err("ERR_HSM_UNAVAILABLE", `key handle no longer valid (${name})`) };
    }
    if (TOKEN_FAULTS.has(code)) {
      s.broken = true;
      this.markDown(`token fault ${name}`);
      return { kind: "retry", error: err("ERR_HSM_UNAVAILABLE", `token unavailable (${name})`) };
    }
    if (INPUT_FAULTS.has(code)) return { kind: "final", error: err("ERR_HSM_BAD_REQUEST", `token refused the input (${name})`) };
    s.broken = true;
    return { kind: "final", error: err("ERR_HSM_UNAVAILABLE", `PKCS#11 call failed with ${name}`) };
  }

  /** Wait for a usable token: recover it when it is down (at most once per recoverIntervalMs after a failure). */
  private async ready(): Promise<void> {
    if (this.state === "ready") return;
    if (this.state === "closed") throw new HsmError("ERR_HSM_UNAVAILABLE", "token closed");
    if (this.pinRejected) throw new HsmError("ERR_HSM_UNAVAILABLE", "the token rejected the PIN; fix SIGNET_HSM_PIN and restart");
    if (this.recovering) return this.recovering;
    if (Date.now() - this.lastFailedRecovery < this.opts.recoverIntervalMs) {
      throw new HsmError("ERR_HSM_UNAVAILABLE", `token ${this.tokenLabel} is unavailable`);
    }
    this.recovering = this.reset()
      .then(() => this.log(`hsm: token ${this.tokenLabel} recovered`))
      .catch((e: unknown) => {
        this.lastFailedRecovery = Date.now();
        throw isHsmError(e) ? e : new HsmError("ERR_HSM_UNAVAILABLE", describe(e));
      })
      .finally(() => {
        this.recovering = undefined;
      });
    return this.recovering;
  }

  private markDown(why: string): void {
    if (this.state !== "ready") return;
    this.state = "down";
    this.log(`hsm: token ${this.tokenLabel} marked unavailable: ${why}`);
    this.rejectWaiters("ERR_HSM_UNAVAILABLE", `token ${this.tokenLabel} is unavailable`);
  }

  /** (Re)initialise the module from scratch: the only repair for a token that vanished and came back. */
  private async reset(): Promise<void> {
    if (this.state === "closed") throw new HsmError("ERR_HSM_UNAVAILABLE", "token closed");
    await this.drain(this.opts.signTimeoutMs + 1_000);
    if (this.abandoned > 0 || this.acquired > 0) {
      // C_Finalize under a thread still inside the module is undefined behaviour in most modules.
      throw new HsmError(
        "ERR_HSM_UNAVAILABLE",
        `${this.abandoned + this.acquired} operation(s) still inside the module; cannot re-initialise it yet`,
      );
    }
    this.teardown();
    this.generation++;
    try {
      this.m.C_Initialize({ flags: CK.CKF_OS_LOCKING_OK });
    } catch (e) {
      // Another user of the same library in this process (a test, the init code) may own initialisation.
      if (ckrOf(e) !== CK.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw unavailable("C_Initialize failed", e);
    }
    this.initialized = true;
    this.slot = this.findSlot();
    const sessions: Session[] = [];
    try {
      for (let i = 0; i < this.opts.poolSize; i++) sessions.push(this.openSession());
      this.login(sessions[0]!);
    } catch (e) {
      for (const s of sessions) this.closeQuietly(s);
      if (isHsmError(e)) throw e;
      throw unavailable("cannot open a session on the token", e);
    }
    this.idle.push(...sessions);
    this.state = "ready";
  }

  private findSlot(): Buffer {
    let slots: Buffer[];
    try {
      slots = this.m.C_GetSlotList(true);
    } catch (e) {
      throw unavailable("C_GetSlotList failed", e);
    }
    const matches: Buffer[] = [];
    for (const slot of slots) {
      try {
        const info = this.m.C_GetTokenInfo(slot);
        if ((info.flags & CK.CKF_TOKEN_INITIALIZED) !== 0 && info.label.trim() === this.tokenLabel) matches.push(slot);
      } catch {
        // A slot whose token cannot be read is not ours to judge; keep looking.
      }
    }
    if (matches.length === 0) {
      throw new HsmError("ERR_HSM_UNAVAILABLE", `no initialised token labelled "${this.tokenLabel}" in ${this.opts.modulePath}`);
    }
    if (matches.length > 1) {
      throw new HsmError("ERR_HSM_UNAVAILABLE", `${matches.length} tokens are labelled "${this.tokenLabel}"; labels must be unique`);
    }
    return matches[0]!;
  }

  private teardown(): void {
    for (const s of this.idle.splice(0)) this.closeQuietly(s);
    this.keys.clear();
    this.needLogin = false;
    if (this.initialized) {
      try {
        this.m.C_Finalize();
      } catch {
        // finalising a module that already lost its token may fail; we initialise afresh anyway
      }
      this.initialized = false;
    }
  }

  // ---- sessions ----------------------------------------------------------------------------

  private openSession(): Session {
    const handle = this.m.C_OpenSession(this.slot!, CK.CKF_SERIAL_SESSION | CK.CKF_RW_SESSION);
    return { handle, generation: this.generation, abandoned: false, broken: false };
  }

  /** Log the application in (PKCS#11 logins are per token, shared by all sessions). */
  private login(s: Session): void {
    if (this.pinRejected) throw new HsmError("ERR_HSM_UNAVAILABLE", "the token rejected the PIN");
    try {
      this.m.C_Login(s.handle, CK.CKU_USER, this.opts.pin);
    } catch (e) {
      const code = ckrOf(e);
      if (code !== CK.CKR_USER_ALREADY_LOGGED_IN) {
        if (code !== undefined && PIN_FAULTS.has(code)) {
          this.pinRejected = true;
          throw new HsmError("ERR_HSM_UNAVAILABLE", `the token rejected the PIN (${ckrName(code)})`);
        }
        throw e;
      }
    }
    this.needLogin = false;
  }

  private acquire(): Promise<Session> {
    if (this.state !== "ready") return Promise.reject(new HsmError("ERR_HSM_UNAVAILABLE", `token ${this.tokenLabel} is unavailable`));
    const s = this.idle.pop();
    if (s) {
      this.acquired++;
      return Promise.resolve(s);
    }
    if (this.waiters.length >= this.opts.maxQueue) {
      return Promise.reject(new HsmError("ERR_HSM_UNAVAILABLE", "too many requests waiting for an HSM session"));
    }
    return new Promise<Session>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new HsmError("ERR_HSM_TIMEOUT", `no HSM session became free within ${this.opts.signTimeoutMs} ms`));
        }, this.opts.signTimeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  private release(s: Session): void {
    if (s.abandoned) return; // accounted for when the stalled call was abandoned
    this.acquired--;
    if (s.generation !== this.generation) {
      // It belonged to a module instance that was finalised since: nothing to close, nothing to replace.
    } else if (s.broken || this.state !== "ready") {
      this.closeQuietly(s);
      if (this.state === "ready") this.replaceSession();
    } else {
      this.handOut(s);
    }
    if (this.acquired === 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  private handOut(s: Session): void {
    const w = this.waiters.shift();
    if (w) {
      clearTimeout(w.timer);
      this.acquired++;
      w.resolve(s);
    } else {
      this.idle.push(s);
    }
  }

  /** Replace idle sessions the module no longer knows, and note a lost login. */
  private sweepIdle(): void {
    for (const s of [...this.idle]) {
      try {
        const { state } = this.m.C_GetSessionInfo(s.handle);
        if (state !== CK.CKS_RW_USER_FUNCTIONS && state !== CK.CKS_RO_USER_FUNCTIONS) this.needLogin = true;
      } catch {
        this.idle.splice(this.idle.indexOf(s), 1);
        this.closeQuietly(s);
        this.replaceSession();
      }
    }
  }

  private replaceSession(): void {
    try {
      const fresh = this.openSession();
      // Closing every session also ends the login (PKCS#11 v2.40 §5.6.7): a fresh session may start logged out.
      const { state } = this.m.C_GetSessionInfo(fresh.handle);
      if (this.needLogin || (state !== CK.CKS_RW_USER_FUNCTIONS && state !== CK.CKS_RO_USER_FUNCTIONS)) {
        this.login(fresh);
        this.forgetKeys();
      }
      this.handOut(fresh);
    } catch (e) {
      const code = ckrOf(e);
      if (code === undefined || TOKEN_FAULTS.has(code) || PIN_FAULTS.has(code) || isHsmError(e)) {
        this.markDown(`cannot open a replacement session: ${describe(e)}`);
      } else {
        this.log(`hsm: cannot open a replacement session: ${describe(e)}; the pool runs one short`);
      }
    }
  }

  private closeQuietly(s: Session): void {
    if (s.generation !== this.generation || !this.initialized) return;
    // Session objects die with the session that made them.
    for (const k of this.keys.values()) if (k.copy?.owner === s) k.copy = undefined;
    try {
      this.m.C_CloseSession(s.handle);
    } catch {
      // the session may already be gone; that is why we are closing it
    }
  }

  /** Race a native call against a deadline; on timeout the session is abandoned (a PKCS#11 call cannot be cancelled). */
  private bounded<T>(s: Session, call: Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        s.abandoned = true;
        this.acquired--;
        this.abandoned++;
        if (this.acquired === 0) for (const w of this.drainWaiters.splice(0)) w();
        this.log(`hsm: ${what} did not return within ${ms} ms; session abandoned`);
        reject(new HsmError("ERR_HSM_TIMEOUT", `${what} did not return within ${ms} ms`));
      }, ms);
      call.then(
        (v) => {
          if (!s.abandoned) {
            clearTimeout(timer);
            resolve(v);
          } else this.settleAbandoned(s);
        },
        (e: unknown) => {
          if (!s.abandoned) {
            clearTimeout(timer);
            reject(e);
          } else this.settleAbandoned(s);
        },
      );
    });
  }

  private settleAbandoned(s: Session): void {
    this.abandoned--;
    this.closeQuietly(s);
    if (this.state === "ready" && s.generation === this.generation) this.replaceSession();
    this.log("hsm: a stalled operation returned; its session was closed");
  }

  private drain(ms: number): Promise<void> {
    if (this.acquired === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.drainWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private rejectWaiters(code: HsmErrorCode, message: string): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new HsmError(code, message));
    }
  }

  // ---- keys --------------------------------------------------------------------------------

  /** The handle to sign with: the key's session copy while the token's stamp is unchanged, else the token object. */
  private signingHandle(s: Session, k: KeyEntry): Buffer {
    if (this.keyCopyStamp === undefined || this.copiesRefused) return k.priv;
    const stamp = this.keyCopyStamp();
    if (k.copy && k.copy.stamp === stamp) return k.copy.handle;
    this.dropCopy(k);
    if (stamp === undefined) return k.priv;
    let handle: Buffer;
    try {
      // Copying reads the token object, so a token that is gone fails here, through the usual fault handling.
      handle = this.m.C_CopyObject(s.handle, k.priv, [{ type: CK.CKA_TOKEN, value: false }]);
    } catch (e) {
      const code = ckrOf(e);
      if (code === undefined || !COPY_REFUSALS.has(code)) throw e;
      this.copiesRefused = true;
      this.log(`hsm: the module does not copy keys into session objects (${ckrName(code)}); signing with the token objects`);
      return k.priv;
    }
    const [token, sensitive, extractable, sign] = this.m
      .C_GetAttributeValue(s.handle, handle, [
        { type: CK.CKA_TOKEN },
        { type: CK.CKA_SENSITIVE },
        { type: CK.CKA_EXTRACTABLE },
        { type: CK.CKA_SIGN },
      ])
      .map((a) => a.value);
    if (isTrue(token) || !isTrue(sensitive) || isTrue(extractable) || !isTrue(sign)) {
      this.destroyQuietly(s, handle);
      throw new HsmError("ERR_HSM_KEY_POLICY", `the session copy of key ${k.label} is not a sensitive, non-extractable session object`);
    }
    k.copy = { handle, owner: s, stamp };
    return handle;
  }

  private dropCopy(k: KeyEntry): void {
    if (!k.copy) return;
    const { handle, owner } = k.copy;
    k.copy = undefined;
    if (owner.generation === this.generation) this.destroyQuietly(owner, handle);
  }

  private destroyQuietly(s: Session, handle: Buffer): void {
    try {
      this.m.C_DestroyObject(s.handle, handle);
    } catch {
      // already gone with its session or its login; nothing else refers to it
    }
  }

  /** Drop every cached key handle (and destroy the session copies). */
  private forgetKeys(): void {
    for (const k of this.keys.values()) this.dropCopy(k);
    this.keys.clear();
  }

  private serialiseKeyCreation<T>(fn: () => Promise<T>): Promise<T> {
    // Two concurrent ensureKey calls for one label must not create two keys with that label.
    const next = this.ensureChain.then(fn, fn);
    this.ensureChain = next.catch(() => undefined);
    return next;
  }

  private async generateLocked(label: string, algorithm: KeyAlgorithm): Promise<PublicKeyInfo> {
    const curve = CURVES[algorithm];
    return this.run(async (s) => {
      if (this.resolveKey(s, label, false)) throw new HsmError("ERR_HSM_KEY_MISMATCH", `key ${label} already exists`);
      const id = randomBytes(16);
      const edwards = algorithm === "Ed25519";
      const keyType = edwards ? CK.CKK_EC_EDWARDS : CK.CKK_EC;
      const common: Template = [
        { type: CK.CKA_KEY_TYPE, value: keyType },
        { type: CK.CKA_TOKEN, value: true },
        { type: CK.CKA_LABEL, value: label },
        { type: CK.CKA_ID, value: id },
      ];
      const pub: Template = [
        { type: CK.CKA_CLASS, value: CK.CKO_PUBLIC_KEY },
        ...common,
        { type: CK.CKA_VERIFY, value: true },
        { type: CK.CKA_EC_PARAMS, value: Buffer.from(curve.ecParams) },
      ];
      const priv: Template = [
        { type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY },
        ...common,
        { type: CK.CKA_PRIVATE, value: true },
        { type: CK.CKA_SENSITIVE, value: true },
        { type: CK.CKA_EXTRACTABLE, value: false },
        { type: CK.CKA_SIGN, value: true },
        { type: CK.CKA_DERIVE, value: false },
      ];
      const mechanism = edwards ? CK.CKM_EC_EDWARDS_KEY_PAIR_GEN : CK.CKM_EC_KEY_PAIR_GEN;
      const pair = await this.bounded(
        s,
        this.m.C_GenerateKeyPairAsync(s.handle, { mechanism }, pub, priv),
        this.opts.generateTimeoutMs,
        "C_GenerateKeyPair",
      );
      const entry = this.loadKeyEntry(s, label, pair.privateKey);
      this.keys.set(label, entry);
      this.log(`hsm: generated ${algorithm} key ${label}`);
      return { label, algorithm, spki: this.spkiOf(s, entry) };
    });
  }

  /** Find a private key by label, from the cache when its handle is still of this module generation. */
  private resolveKey(s: Session, label: string, required: boolean): KeyEntry | undefined {
    const cached = this.keys.get(label);
    if (cached && cached.generation === this.generation) return cached;
    // CKA_TOKEN: the keys on the token, not this process's session copies of them (keyCopyStamp).
    let found = this.findObjects(s, [
      { type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY },
      { type: CK.CKA_TOKEN, value: true },
      { type: CK.CKA_LABEL, value: label },
    ], 2);
    if (found.length === 0) {
      // Private objects are invisible without a login, and SoftHSM shows a vanished token as an empty one:
      // make sure neither is the case before telling the caller the key does not exist.
      const info = this.m.C_GetSessionInfo(s.handle);
      if (info.state !== CK.CKS_RW_USER_FUNCTIONS && info.state !== CK.CKS_RO_USER_FUNCTIONS) {
        this.login(s);
        found = this.findObjects(s, [
          { type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY },
          { type: CK.CKA_TOKEN, value: true },
          { type: CK.CKA_LABEL, value: label },
        ], 2);
      }
      this.m.C_GetTokenInfo(this.slot!);
    }
    if (found.length === 0) {
      if (!required) return undefined;
      throw new HsmError("ERR_HSM_KEY_NOT_FOUND", `no key labelled ${label} on token ${this.tokenLabel}`);
    }
    if (found.length > 1) {
      throw new HsmError("ERR_HSM_KEY_POLICY", `${found.length} private keys are labelled ${label}; refusing to guess`);
    }
    const entry = this.loadKeyEntry(s, label, found[0]!);
    this.keys.set(label, entry);
    return entry;
  }

  private loadKeyEntry(s: Session, label: string, priv: Buffer): KeyEntry {
    const attrs = this.m.C_GetAttributeValue(s.handle, priv, [
      { type: CK.CKA_EC_PARAMS },
      { type: CK.CKA_ID },
      { type: CK.CKA_SENSITIVE },
      { type: CK.CKA_EXTRACTABLE },
      { type: CK.CKA_SIGN },
    ]);
    const [params, id, sensitive, extractable, sign] = attrs.map((a) => a.value);
    const curve = params && curveFromEcParams(params);
    if (!curve) throw new HsmError("ERR_HSM_KEY_POLICY", `key ${label} is not on a curve Signet supports`);
    // Refuse keys that could leave the token, even when someone else created them.
    if (!isTrue(sensitive) || isTrue(extractable) || !isTrue(sign)) {
      throw new HsmError(
        "ERR_HSM_KEY_POLICY",
        `key ${label} must be CKA_SENSITIVE=true, CKA_EXTRACTABLE=false, CKA_SIGN=true`,
      );
    }
    return { label, curve, priv, id: id ?? Buffer.alloc(0), generation: this.generation };
  }

  private spkiOf(s: Session, k: KeyEntry): Uint8Array {
    if (k.spki) return k.spki;
    const template: Template = [
      { type: CK.CKA_CLASS, value: CK.CKO_PUBLIC_KEY },
      { type: CK.CKA_LABEL, value: k.label },
    ];
    if (k.id.length > 0) template.push({ type: CK.CKA_ID, value: k.id });
    const found = this.findObjects(s, template, 2);
    if (found.length !== 1) {
      throw new HsmError(
        found.length === 0 ? "ERR_HSM_KEY_NOT_FOUND" : "ERR_HSM_KEY_POLICY",
        `expected one public key labelled ${k.label}, found ${found.length}`,
      );
    }
    const [params, point] = this.m
      .C_GetAttributeValue(s.handle, found[0]!, [{ type: CK.CKA_EC_PARAMS }, { type: CK.CKA_EC_POINT }])
      .map((a) => a.value);
    if (!params || !point || curveFromEcParams(params) !== k.curve) {
      throw new HsmError("ERR_HSM_KEY_POLICY", `public key ${k.label} does not match its private key's curve`);
    }
    const spki = toSpki(k.curve, toPublicPoint(k.curve, point));
    try {
      // Reject points that are not on the curve before anyone pins them.
      createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
    } catch (e) {
      throw new HsmError("ERR_HSM_KEY_POLICY", `public key ${k.label} is not a valid ${k.curve.algorithm} key`, { cause: e });
    }
    k.spki = spki;
    return spki;
  }

  private listOn(s: Session): KeyInfo[] {
    const handles = this.findObjects(s, [
      { type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY },
      { type: CK.CKA_TOKEN, value: true },
    ], MAX_LIST_OBJECTS);
    const out: KeyInfo[] = [];
    for (const h of handles) {
      const [label, params] = this.m
        .C_GetAttributeValue(s.handle, h, [{ type: CK.CKA_LABEL }, { type: CK.CKA_EC_PARAMS }])
        .map((a) => a.value);
      const curve = params && params.length > 0 ? curveFromEcParams(params) : undefined;
      if (!curve || !label) continue;
      out.push({ label: label.toString("utf8"), algorithm: curve.algorithm });
    }
    return out.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  }

  private findObjects(s: Session, template: Template, max: number): Buffer[] {
    this.m.C_FindObjectsInit(s.handle, template);
    try {
      return this.m.C_FindObjects(s.handle, max);
    } finally {
      try {
        this.m.C_FindObjectsFinal(s.handle);
      } catch {
        // a failed search already ended the operation
      }
    }
  }
}

/** A Buffer view of the same bytes (no copy). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

function isTrue(v: Buffer | undefined): boolean {
  return v !== undefined && v.length > 0 && v.some((b) => b !== 0);
}

function pkcsError(code: number): Error & { code: number } {
  return Object.assign(new Error(ckrName(code)), { code });
}

function unavailable(what: string, e: unknown): HsmError {
  return new HsmError("ERR_HSM_UNAVAILABLE", `${what}: ${describe(e)}`, { cause: e });
}

function describe(e: unknown): string {
  const code = ckrOf(e);
  if (code !== undefined) return ckrName(code);
  return e instanceof Error ? e.message : String(e);
}
