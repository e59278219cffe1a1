/**
 * The PKCS#11 wrapper in-process against a REAL SoftHSM2 token (SECURITY.md B5, B7): faults are
 * injected through a second handle on the same module (closing sessions, logging out) and by
 * taking the token's directory away. Also: Ed25519 support, and init-token on a damaged `<data>/hsm`.
 */
import { spawnSync } from "node:child_process";
import { createPublicKey, hash, randomBytes, verify } from "node:crypto";
import { mkdtempSync, readdirSync, renameSync, rmSync, truncateSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pkcs11js from "pkcs11js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawToDerSignature } from "./der.ts";
import { loadHsmEnv, repoRoot } from "./env.ts";
import type { HsmEnv } from "./env.ts";
import { openPkcs11Token } from "./pkcs11.ts";
import type { Pkcs11Token } from "./pkcs11.ts";
import { initHsm, resolvePin, softHsmConfText, softHsmTokenStamp } from "./softhsm.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDataDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "signet-hsm-p11-"));
  dirs.push(d);
  return d;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code: string }).code;
  }
  return "resolved";
}

function verifyRaw(spki: Uint8Array, hashAlg: "sha256" | "sha384", digestOf: Uint8Array, raw: Uint8Array): boolean {
  const key = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  return verify(hashAlg, digestOf, { key, dsaEncoding: "der" }, rawToDerSignature(raw));
}

// Both ways of signing run every case: with the token objects, and as the sidecar runs the embedded token
// (synchronous C_Sign on session copies of the keys, guarded by the token store's stamp).
describe.each([
  { mode: "token objects", copies: false },
  { mode: "session copies of the keys", copies: true },
])("Pkcs11Token on a real SoftHSM2 token ($mode)", ({ copies }) => {
  let env: HsmEnv;
  let token: Pkcs11Token;
  let injector: InstanceType<typeof pkcs11js.PKCS11>;
  let slot: Buffer;
  const logs: string[] = [];

  beforeAll(async () => {
    env = loadHsmEnv({ SIGNET_DATA_DIR: tempDataDir() });
    initHsm(env); // also points SOFTHSM2_CONF at the new token store
    token = await openPkcs11Token({
      modulePath: env.modulePath,
      tokenLabel: env.tokenLabel,
      pin: resolvePin(env),
      poolSize: 4,
      recoverIntervalMs: 50,
      ...(copies ? { syncSign: true, keyCopyStamp: softHsmTokenStamp(env.tokenDir) } : {}),
      log: (l) => logs.push(l),
    });
    // A second handle on the same (already initialised) module, to break things behind the wrapper's back.
    injector = new pkcs11js.PKCS11();
    injector.load(env.modulePath);
    try {
      injector.C_Initialize();
    } catch (e) {
      if ((e as Error).message !== "CKR_CRYPTOKI_ALREADY_INITIALIZED") throw e;
    }
    slot = injector.C_GetSlotList(true).find((s) => injector.C_GetTokenInfo(s).label.trim() === env.tokenLabel)!;
  });

  afterAll(async () => {
    await token?.close();
  });

  it("signs digests with P-256 and P-384 keys that node:crypto verifies", async () => {
    const p256 = await token.ensureKey("ca", "P-256");
    const p384 = await token.ensureKey("log", "P-384");
    const data = randomBytes(100);
    const sig256 = await token.signDigest("ca", hash("sha256", data, "buffer"));
    const sig384 = await token.signDigest("log", hash("sha384", data, "buffer"));
    expect(sig256).toHaveLength(64);
    expect(sig384).toHaveLength(96);
    expect(verifyRaw(p256.spki, "sha256", data, sig256)).toBe(true);
    expect(verifyRaw(p384.spki, "sha384", data, sig384)).toBe(true);
    expect(verifyRaw(p256.spki, "sha256", randomBytes(100), sig256)).toBe(false);
  });

  it("supports Ed25519 (SoftHSM 2.6.1 offers CKM_EC_EDWARDS_KEY_PAIR_GEN and CKM_EDDSA)", async () => {
    const ed = await token.generateKeyPair("witness", "Ed25519");
    const key = createPublicKey({ key: Buffer.from(ed.spki), format: "der", type: "spki" });
    expect(key.asymmetricKeyType).toBe("ed25519");
    const msg = Buffer.from("example.com/log\n42\nroot\n");
    const sig = await token.signMessage("witness", msg);
    expect(verify(null, msg, key, sig)).toBe(true);
    expect(await codeOf(token.signDigest("witness", new Uint8Array(32)))).toBe("ERR_HSM_BAD_REQUEST");
    expect(await codeOf(token.signMessage("ca", msg))).toBe("ERR_HSM_BAD_REQUEST");
  });

  it("keeps its session copies sensitive and inside the module, one per key", async () => {
    await token.signDigest("ca", sha256(randomBytes(8)));
    const s = injector.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    try {
      injector.C_FindObjectsInit(s, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_TOKEN, value: false },
      ]);
      const found = injector.C_FindObjects(s, 10);
      injector.C_FindObjectsFinal(s);
      expect(found).toHaveLength(copies ? 2 : 0); // "ca" and "log" have signed by now
      for (const h of found) {
        const [sensitive, extractable] = injector.C_GetAttributeValue(s, h, [
          { type: pkcs11js.CKA_SENSITIVE },
          { type: pkcs11js.CKA_EXTRACTABLE },
        ]);
        expect(sensitive!.value).toEqual(Buffer.of(1));
        expect(extractable!.value).toEqual(Buffer.of(0));
        expect(() => injector.C_GetAttributeValue(s, h, [{ type: pkcs11js.CKA_VALUE }])).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
      }
    } finally {
      injector.C_CloseSession(s);
    }
    // The copies are nobody's keys: listings and lookups by label see the token's keys only, also from a
    // second handle in this process (session objects are visible to the whole application).
    const labels = (await token.listKeys()).map((k) => k.label);
    expect(labels).toEqual([...new Set(labels)]);
    const second = await openPkcs11Token({ modulePath: env.modulePath, tokenLabel: env.tokenLabel, pin: resolvePin(env), poolSize: 1 });
    // Not closed: its C_Finalize would end the module for `token` too (one PKCS#11 application per process).
    const d = randomBytes(32);
    expect(verifyRaw((await second.publicKey("ca")).spki, "sha256", d, await second.signDigest("ca", sha256(d)))).toBe(true);
    expect((await second.listKeys()).map((k) => k.label)).toEqual(labels);
  });

  it("stops signing with a key that was deleted from the token behind its back", async () => {
    await token.generateKeyPair("doomed", "P-256");
    await token.signDigest("doomed", sha256(randomBytes(8)));
    const s = injector.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    try {
      for (const cls of [pkcs11js.CKO_PRIVATE_KEY, pkcs11js.CKO_PUBLIC_KEY]) {
        injector.C_FindObjectsInit(s, [
          { type: pkcs11js.CKA_CLASS, value: cls },
          { type: pkcs11js.CKA_LABEL, value: "doomed" },
          { type: pkcs11js.CKA_TOKEN, value: true },
        ]);
        const [h] = injector.C_FindObjects(s, 1);
        injector.C_FindObjectsFinal(s);
        injector.C_DestroyObject(s, h!);
      }
    } finally {
      injector.C_CloseSession(s);
    }
    expect(await codeOf(token.signDigest("doomed", sha256(randomBytes(8))))).toBe("ERR_HSM_KEY_NOT_FOUND");
    expect((await token.signDigest("ca", sha256(randomBytes(8)))).length).toBe(64);
  });

  it("runs 200 concurrent signatures over its session pool; all verify (B7)", async () => {
    const { spki } = await token.publicKey("ca");
    const inputs = Array.from({ length: 200 }, () => randomBytes(32));
    const sigs = await Promise.all(inputs.map((d) => token.signDigest("ca", sha256(d))));
    expect(inputs.filter((d, i) => !verifyRaw(spki, "sha256", d, sigs[i]!))).toHaveLength(0);
  });

  it("recovers when every session is closed behind its back (CKR_SESSION_HANDLE_INVALID, and the login with them)", async () => {
    const { spki } = await token.publicKey("ca");
    injector.C_CloseAllSessions(slot);
    const inputs = Array.from({ length: 50 }, () => randomBytes(32));
    const sigs = await Promise.all(inputs.map((d) => token.signDigest("ca", sha256(d))));
    expect(inputs.filter((d, i) => !verifyRaw(spki, "sha256", d, sigs[i]!))).toHaveLength(0);
    expect((await token.health()).keys).toContain("ca");
  });

  it("logs in again when the login expires (CKR_USER_NOT_LOGGED_IN / invalid private handles)", async () => {
    const s = injector.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    injector.C_Logout(s); // logins are per application: this logs the wrapper out too
    injector.C_CloseSession(s);
    const d = randomBytes(32);
    const sig = await token.signDigest("ca", sha256(d));
    expect(verifyRaw((await token.publicKey("ca")).spki, "sha256", d, sig)).toBe(true);
  });

  it("answers ERR_HSM_KEY_NOT_FOUND for a wrong label, and the token stays healthy", async () => {
    expect(await codeOf(token.signDigest("no-such-label", new Uint8Array(32)))).toBe("ERR_HSM_KEY_NOT_FOUND");
    expect((await token.health()).token).toBe(env.tokenLabel);
  });

  it("fails closed while the token is gone and recovers by itself when it returns", async () => {
    const [tokenDir] = readdirSync(env.tokenDir);
    const from = path.join(env.tokenDir, tokenDir!);
    const aside = path.join(env.hsmDir, "removed-token");
    renameSync(from, aside);
    try {
      const started = Date.now();
      expect(await codeOf(token.signDigest("ca", new Uint8Array(32)))).toBe("ERR_HSM_UNAVAILABLE");
      expect(await codeOf(token.health())).toBe("ERR_HSM_UNAVAILABLE");
      await new Promise((r) => setTimeout(r, 60));
      expect(await codeOf(token.signDigest("ca", new Uint8Array(32)))).toBe("ERR_HSM_UNAVAILABLE");
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      renameSync(aside, from);
    }
    const deadline = Date.now() + 5_000;
    let health: Awaited<ReturnType<Pkcs11Token["health"]>> | undefined;
    while (!health && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 60));
      health = await token.health().catch(() => undefined);
    }
    expect(health?.keys).toEqual(["ca", "log", "witness"]);
    const d = randomBytes(32);
    expect(verifyRaw((await token.publicKey("ca")).spki, "sha256", d, await token.signDigest("ca", sha256(d)))).toBe(true);
    expect(logs.some((l) => l.includes("recovered"))).toBe(true);
  });
});

describe("init-token on a damaged <data>/hsm", () => {
  function init(dataDir: string) {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, SIGNET_DATA_DIR: dataDir };
    for (const k of ["SOFTHSM2_CONF", "SIGNET_HSM_PIN", "SIGNET_HSM_MODULE", "SIGNET_HSM_SECRET_FILE", "SIGNET_HSM_TOKEN_LABEL"]) {
      delete childEnv[k];
    }
    const r = spawnSync(process.execPath, ["--import", "tsx", "apps/hsm/src/init-token.ts"], {
      cwd: repoRoot(),
      env: childEnv,
      encoding: "utf8",
      timeout: 60_000,
    });
    return { status: r.status, out: r.stdout + r.stderr };
  }

  let good: string;
  beforeAll(() => {
    good = tempDataDir();
    expect(init(good).status).toBe(0);
  });

  /** A fresh copy of the good data directory, damaged by `damage`. */
  function damaged(damage: (hsm: string) => void): string {
    const d = tempDataDir();
    spawnSync("cp", ["-a", path.join(good, "hsm"), d]);
    // The copy's conf must point at its own token store before the damage is done.
    writeFileSync(path.join(d, "hsm", "softhsm2.conf"), softHsmConfText(path.join(d, "hsm", "tokens")), { mode: 0o600 });
    damage(path.join(d, "hsm"));
    return d;
  }

  it("accepts an undamaged copy (so the cases below fail for their damage alone)", () => {
    expect(init(damaged(() => {})).status).toBe(0);
  });

  it.each([
    ["a truncated token.object", (h: string) => truncateSync(path.join(h, "tokens", readdirSync(path.join(h, "tokens"))[0]!, "token.object"), 40), "token.object"],
    ["a garbage softhsm2.conf", (h: string) => writeFileSync(path.join(h, "softhsm2.conf"), "garbage\n"), "softhsm2.conf"],
    ["a conf pointing elsewhere", (h: string) => writeFileSync(path.join(h, "softhsm2.conf"), "directories.tokendir = /var/lib/softhsm/tokens\nobjectstore.backend = file\n"), "softhsm2.conf"],
    ["a missing PIN file", (h: string) => rmSync(path.join(h, "pin")), "pin"],
    ["an empty PIN file", (h: string) => writeFileSync(path.join(h, "pin"), ""), "pin"],
    ["a wrong PIN", (h: string) => writeFileSync(path.join(h, "pin"), "0123456789abcdef\n"), "pin"],
    ["a world-readable secret", (h: string) => chmodSync(path.join(h, "secret"), 0o644), "secret"],
  ])("refuses %s with one clear line naming the file, and no stack trace", (_name, damage, file) => {
    const r = init(damaged(damage));
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/^hsm init failed: .+\n$/);
    expect(r.out).toContain(file);
    expect(r.out).not.toMatch(/\n\s+at /);
  });

  it("regenerates a missing shared secret without touching the token", () => {
    const r = init(damaged((h) => rmSync(path.join(h, "secret"))));
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/ready in .*; created secret\n$/);
  });
});

function sha256(d: Uint8Array): Buffer {
  return hash("sha256", d, "buffer");
}
