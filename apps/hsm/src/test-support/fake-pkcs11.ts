/**
 * UNIT-TEST DOUBLE ONLY: an in-memory stand-in for the pkcs11js module, for exercising the session
 * pool and fault recovery in src/pkcs11.ts (faults a real SoftHSM cannot produce on demand: stalls,
 * device removal). Signatures are random bytes, not ECDSA: signing correctness is covered by the
 * integration tests against a real SoftHSM2 token. Never import this from product code.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import pkcs11js from "pkcs11js";
import type { Mechanism, Template, TemplateResult } from "pkcs11js";
import { CK } from "../pkcs11.ts";
import type { Pkcs11Module } from "../pkcs11.ts";

interface FakeObject {
  cls: number;
  label: string;
  keyType: number;
  params: Buffer;
  id: Buffer;
  sensitive: boolean;
  extractable: boolean;
  sign: boolean;
  point: Buffer;
  publicKey: KeyObject;
  token: boolean;
  /** The session that made a session object (it dies with that session). */
  owner?: string;
}

interface FakeSession {
  active: "find" | "sign" | null;
  found: Buffer[];
  signKey: FakeObject | null;
  signing: boolean;
}

interface Stalled {
  resolve: (b: Buffer) => void;
  reject: (e: unknown) => void;
  out: Buffer;
}

const NAMED: Record<string, string> = {
  "06082a8648ce3d030107": "prime256v1",
  "06052b81040022": "secp384r1",
};

/** A CKR-coded error shaped like pkcs11js's Pkcs11Error. */
export function ckError(name: keyof typeof pkcs11js & `CKR_${string}`): Error & { code: number } {
  return Object.assign(new Error(name), { code: pkcs11js[name] as number });
}

export class FakePkcs11 {
  pin = "123456";
  tokenLabel = "signet";
  present = true;
  /** While true, C_SignAsync calls hang until releaseStalled(). */
  stall = false;
  loginCalls = 0;
  syncSigns = 0;
  openCalls = 0;
  initializeCalls = 0;
  /** Two operations overlapping on one session: must stay 0. */
  violations = 0;
  maxConcurrentSigns = 0;
  /** How C_CopyObject behaves: copy, refuse (a CKR code name), or hand back a copy that lost CKA_SENSITIVE. */
  copyMode: "copy" | "loosen" | (keyof typeof pkcs11js & `CKR_${string}`) = "copy";
  copies = 0;
  destroyed = 0;
  /** Keys each C_SignInit was given, by their object's CKA_TOKEN. */
  signInitsOnCopies = 0;
  signInitsOnToken = 0;

  private initialized = false;
  private loggedIn = false;
  private nextHandle = 1;
  private readonly slot = handle(0xabcdef);
  private readonly sessions = new Map<string, FakeSession>();
  private readonly objects = new Map<string, FakeObject>();
  private readonly stalled: Stalled[] = [];
  private signsInFlight = 0;

  /** The double, typed as the module seam. */
  asModule(): Pkcs11Module {
    return this as unknown as Pkcs11Module;
  }

  // ---- fault injection ---------------------------------------------------------------------

  /** Close every session behind the wrapper's back (which, per PKCS#11, also logs out). */
  closeAllSessions(): void {
    this.sessions.clear();
    this.dropSessionObjects();
    this.loggedIn = false;
  }

  /** Expire the login without closing sessions. */
  logout(): void {
    this.loggedIn = false;
  }

  removeToken(): void {
    this.present = false;
    this.sessions.clear();
    this.dropSessionObjects();
    this.loggedIn = false;
  }

  insertToken(): void {
    this.present = true;
  }

  releaseStalled(withError?: Error): void {
    this.stall = false;
    for (const s of this.stalled.splice(0)) {
      this.signsInFlight--;
      if (withError) s.reject(withError);
      else s.resolve(randomBytes(s.out.length));
    }
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Put a key on the token directly (as an administrator with another tool would). */
  addKey(label: string, curve: "prime256v1" | "secp384r1", opts: { extractable?: boolean; sensitive?: boolean } = {}): void {
    const params = Buffer.from(curve === "prime256v1" ? "06082a8648ce3d030107" : "06052b81040022", "hex");
    this.createPair(label, CK.CKK_EC, params, randomBytes(8), opts.sensitive ?? true, opts.extractable ?? false);
  }

  // ---- the pkcs11js surface ----------------------------------------------------------------

  load(_path: string): void {}
  close(): void {}

  C_Initialize(_opts?: unknown): void {
    this.initializeCalls++;
    if (this.initialized) throw ckError("CKR_CRYPTOKI_ALREADY_INITIALIZED");
    this.initialized = true;
  }

  C_Finalize(): void {
    if (!this.initialized) throw ckError("CKR_CRYPTOKI_NOT_INITIALIZED");
    this.initialized = false;
    this.sessions.clear();
    this.dropSessionObjects();
    this.loggedIn = false;
  }

  C_GetSlotList(_present?: boolean): Buffer[] {
    this.needInit();
    return this.present ? [this.slot] : [];
  }

  C_GetTokenInfo(slot: Buffer): { label: string; flags: number } {
    this.needInit();
    if (!slot.equals(this.slot)) throw ckError("CKR_SLOT_ID_INVALID");
    if (!this.present) throw ckError("CKR_TOKEN_NOT_PRESENT");
    return { label: this.tokenLabel.padEnd(32, " "), flags: CK.CKF_TOKEN_INITIALIZED };
  }

  C_OpenSession(slot: Buffer, _flags: number): Buffer {
    this.needInit();
    if (!slot.equals(this.slot)) throw ckError("CKR_SLOT_ID_INVALID");
    if (!this.present) throw ckError("CKR_TOKEN_NOT_PRESENT");
    this.openCalls++;
    const h = handle(this.nextHandle++);
    this.sessions.set(h.toString("hex"), { active: null, found: [], signKey: null, signing: false });
    return h;
  }

  C_CloseSession(h: Buffer): void {
    this.session(h);
    this.sessions.delete(h.toString("hex"));
    this.dropSessionObjects();
  }

  C_GetSessionInfo(h: Buffer): { state: number } {
    this.session(h);
    return { state: this.loggedIn ? CK.CKS_RW_USER_FUNCTIONS : 2 };
  }

  C_Login(h: Buffer, _type: number, pin?: string): void {
    this.session(h);
    this.loginCalls++;
    if (pin !== this.pin) throw ckError("CKR_PIN_INCORRECT");
    if (this.loggedIn) throw ckError("CKR_USER_ALREADY_LOGGED_IN");
    this.loggedIn = true;
  }

  C_FindObjectsInit(h: Buffer, template: Template): void {
    const s = this.session(h);
    this.begin(s, "find");
    s.found = [...this.objects.entries()]
      .filter(([, o]) => this.visible(o) && template.every((a) => matches(o, a.type, a.value)))
      .map(([k]) => Buffer.from(k, "hex"));
  }

  C_FindObjects(h: Buffer, max = 1): Buffer[] {
    const s = this.session(h);
    if (s.active !== "find") throw ckError("CKR_OPERATION_NOT_INITIALIZED");
    return s.found.splice(0, max);
  }

  C_FindObjectsFinal(h: Buffer): void {
    const s = this.session(h);
    if (s.active !== "find") throw ckError("CKR_OPERATION_NOT_INITIALIZED");
    s.active = null;
  }

  C_GetAttributeValue(h: Buffer, obj: Buffer, template: Template): TemplateResult {
    this.session(h);
    const o = this.object(obj);
    return template.map((a) => {
      const v = (() => {
        switch (a.type) {
          case CK.CKA_CLASS: return u32(o.cls);
          case CK.CKA_KEY_TYPE: return u32(o.keyType);
          case CK.CKA_LABEL: return Buffer.from(o.label);
          case CK.CKA_ID: return o.id;
          case CK.CKA_EC_PARAMS: return o.params;
          case CK.CKA_EC_POINT:
            if (o.cls !== CK.CKO_PUBLIC_KEY) throw ckError("CKR_ATTRIBUTE_TYPE_INVALID");
            return o.point;
          case CK.CKA_SENSITIVE: return bool(o.sensitive);
          case CK.CKA_EXTRACTABLE: return bool(o.extractable);
          case CK.CKA_SIGN: return bool(o.sign);
          case CK.CKA_TOKEN: return bool(o.token);
          case CK.CKA_VALUE:
            if (o.sensitive || !o.extractable) throw ckError("CKR_ATTRIBUTE_SENSITIVE");
            return Buffer.alloc(32);
          default: throw ckError("CKR_ATTRIBUTE_TYPE_INVALID");
        }
      })();
      return { type: a.type, value: v };
    });
  }

  async C_GenerateKeyPairAsync(h: Buffer, _mech: Mechanism, pub: Template, priv: Template): Promise<{ publicKey: Buffer; privateKey: Buffer }> {
    this.session(h);
    if (!this.loggedIn) throw ckError("CKR_USER_NOT_LOGGED_IN");
    await new Promise((r) => setImmediate(r));
    const get = (t: Template, type: number) => t.find((a) => a.type === type)?.value;
    const params = get(pub, CK.CKA_EC_PARAMS) as Buffer;
    const label = get(priv, CK.CKA_LABEL) as string;
    const id = get(priv, CK.CKA_ID) as Buffer;
    return this.createPair(
      label,
      get(priv, CK.CKA_KEY_TYPE) as number,
      params,
      id,
      get(priv, CK.CKA_SENSITIVE) === true,
      get(priv, CK.CKA_EXTRACTABLE) !== false,
    );
  }

  C_CopyObject(h: Buffer, obj: Buffer, template: Template): Buffer {
    this.session(h);
    const o = this.object(obj);
    if (this.copyMode !== "copy" && this.copyMode !== "loosen") throw ckError(this.copyMode);
    const token = template.find((a) => a.type === CK.CKA_TOKEN)?.value === true;
    const h2 = handle(this.nextHandle++);
    const copy = { ...o, token, sensitive: this.copyMode === "loosen" ? false : o.sensitive };
    this.objects.set(h2.toString("hex"), token ? copy : { ...copy, owner: h.toString("hex") });
    this.copies++;
    return h2;
  }

  C_DestroyObject(h: Buffer, obj: Buffer): void {
    this.session(h);
    this.object(obj);
    this.objects.delete(obj.toString("hex"));
    this.destroyed++;
  }

  /** Session objects (copies) currently alive. */
  get sessionObjects(): number {
    return [...this.objects.values()].filter((o) => !o.token).length;
  }

  C_SignInit(h: Buffer, _mech: Mechanism, key: Buffer): void {
    const s = this.session(h);
    const o = this.object(key);
    if (o.token) this.signInitsOnToken++;
    else this.signInitsOnCopies++;
    if (o.cls !== CK.CKO_PRIVATE_KEY) throw ckError("CKR_KEY_HANDLE_INVALID");
    this.begin(s, "sign");
    s.signKey = o;
  }

  C_Sign(h: Buffer, _data: Buffer, out: Buffer): Buffer {
    const s = this.session(h);
    if (s.active !== "sign") throw ckError("CKR_OPERATION_NOT_INITIALIZED");
    this.syncSigns++;
    s.active = null;
    s.signKey = null;
    return randomBytes(out.length);
  }

  C_SignAsync(h: Buffer, _data: Buffer, out: Buffer): Promise<Buffer> {
    let s: FakeSession;
    try {
      s = this.session(h);
    } catch (e) {
      return Promise.reject(e);
    }
    if (s.active !== "sign") return Promise.reject(ckError("CKR_OPERATION_NOT_INITIALIZED"));
    if (s.signing) this.violations++;
    s.signing = true;
    this.signsInFlight++;
    this.maxConcurrentSigns = Math.max(this.maxConcurrentSigns, this.signsInFlight);
    const done = () => {
      s.signing = false;
      s.active = null;
      s.signKey = null;
    };
    if (this.stall) {
      return new Promise<Buffer>((resolve, reject) => {
        this.stalled.push({ out, resolve: (b) => (done(), resolve(b)), reject: (e) => (done(), reject(e)) });
      });
    }
    return new Promise<Buffer>((resolve, reject) => {
      setImmediate(() => {
        this.signsInFlight--;
        done();
        if (!this.sessions.has(h.toString("hex"))) reject(ckError("CKR_SESSION_HANDLE_INVALID"));
        else resolve(randomBytes(out.length));
      });
    });
  }

  // ---- internals ---------------------------------------------------------------------------

  private dropSessionObjects(): void {
    for (const [k, o] of this.objects) if (o.owner !== undefined && !this.sessions.has(o.owner)) this.objects.delete(k);
  }

  private needInit(): void {
    if (!this.initialized) throw ckError("CKR_CRYPTOKI_NOT_INITIALIZED");
  }

  private session(h: Buffer): FakeSession {
    this.needInit();
    if (!this.present) throw ckError("CKR_DEVICE_REMOVED");
    const s = this.sessions.get(h.toString("hex"));
    if (!s) throw ckError("CKR_SESSION_HANDLE_INVALID");
    return s;
  }

  private begin(s: FakeSession, op: "find" | "sign"): void {
    if (s.active !== null) {
      this.violations++;
      throw ckError("CKR_OPERATION_ACTIVE");
    }
    s.active = op;
  }

  private visible(o: FakeObject): boolean {
    return o.cls !== CK.CKO_PRIVATE_KEY || this.loggedIn;
  }

  private object(h: Buffer): FakeObject {
    const o = this.objects.get(h.toString("hex"));
    // Like SoftHSM: private objects vanish for a session that is not logged in.
    if (!o || !this.visible(o)) throw ckError("CKR_OBJECT_HANDLE_INVALID");
    return o;
  }

  private createPair(label: string, keyType: number, params: Buffer, id: Buffer, sensitive: boolean, extractable: boolean) {
    const curve = NAMED[params.toString("hex")];
    if (!curve) throw ckError("CKR_CURVE_NOT_SUPPORTED" as never);
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: curve });
    const jwk = publicKey.export({ format: "jwk" });
    const raw = Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
    const point = Buffer.concat([Buffer.of(0x04, raw.length), raw]);
    const common = { label, keyType, params, id, publicKey, point, token: true };
    const pubH = handle(this.nextHandle++);
    const privH = handle(this.nextHandle++);
    this.objects.set(pubH.toString("hex"), { ...common, cls: CK.CKO_PUBLIC_KEY, sensitive: false, extractable: true, sign: false });
    this.objects.set(privH.toString("hex"), { ...common, cls: CK.CKO_PRIVATE_KEY, sensitive, extractable, sign: true });
    return { publicKey: pubH, privateKey: privH };
  }
}

function handle(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(n, 0);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(n, 0);
  return b;
}

function bool(v: boolean): Buffer {
  return Buffer.of(v ? 1 : 0);
}

function matches(o: FakeObject, type: number, value: unknown): boolean {
  switch (type) {
    case CK.CKA_CLASS: return o.cls === value;
    case CK.CKA_LABEL: return o.label === value;
    case CK.CKA_ID: return Buffer.isBuffer(value) && o.id.equals(value);
    case CK.CKA_KEY_TYPE: return o.keyType === value;
    case CK.CKA_TOKEN: return o.token === value;
    default: return false;
  }
}
