import { createPublicKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ckrOf, openPkcs11Token } from "./pkcs11.ts";
import type { Pkcs11TokenOptions } from "./pkcs11.ts";
import { FakePkcs11, ckError } from "./test-support/fake-pkcs11.ts";

// Pool and recovery logic against an in-memory double (SECURITY.md B5, B7). The same paths run
// against a real SoftHSM2 token in pkcs11.integration.test.ts.

async function open(fake: FakePkcs11, extra: Partial<Pkcs11TokenOptions> = {}) {
  const token = await openPkcs11Token({
    modulePath: "/fake/libpkcs11.so",
    tokenLabel: "signet",
    pin: "123456",
    poolSize: 4,
    signTimeoutMs: 150,
    recoverIntervalMs: 20,
    module: fake.asModule(),
    ...extra,
  });
  return token;
}

const digest = new Uint8Array(32).fill(7);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code: string }).code;
  }
  return "resolved";
}

describe("openPkcs11Token", () => {
  it("fails closed with ERR_HSM_UNAVAILABLE when no token has the label", async () => {
    const fake = new FakePkcs11();
    fake.tokenLabel = "other";
    expect(await codeOf(open(fake))).toBe("ERR_HSM_UNAVAILABLE");
  });

  it("makes exactly one login attempt with a wrong PIN", async () => {
    const fake = new FakePkcs11();
    expect(await codeOf(open(fake, { pin: "wrong" }))).toBe("ERR_HSM_UNAVAILABLE");
    expect(fake.loginCalls).toBe(1);
  });
});

describe("keys", () => {
  it("generates a key once, returns the same SPKI after, and refuses another algorithm for the label", async () => {
    const fake = new FakePkcs11();
    const token = await open(fake);
    const [a, b] = await Promise.all([token.ensureKey("ca", "P-256"), token.ensureKey("ca", "P-256")]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(Buffer.from(a.spki).equals(Buffer.from(b.spki))).toBe(true);
    const key = createPublicKey({ key: Buffer.from(a.spki), format: "der", type: "spki" });
    expect(key.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(await codeOf(token.ensureKey("ca", "P-384"))).toBe("ERR_HSM_KEY_MISMATCH");
    expect(await token.listKeys()).toEqual([{ label: "ca", algorithm: "P-256" }]);
    await token.close();
  });

  it("builds the SPKI of a P-384 key that node:crypto accepts", async () => {
    const token = await open(new FakePkcs11());
    const k = await token.ensureKey("log", "P-384");
    const key = createPublicKey({ key: Buffer.from(k.spki), format: "der", type: "spki" });
    expect(key.asymmetricKeyDetails?.namedCurve).toBe("secp384r1");
    await token.close();
  });

  it("answers ERR_HSM_KEY_NOT_FOUND for an unknown label", async () => {
    const token = await open(new FakePkcs11());
    expect(await codeOf(token.signDigest("nope", digest))).toBe("ERR_HSM_KEY_NOT_FOUND");
    expect(await codeOf(token.publicKey("nope"))).toBe("ERR_HSM_KEY_NOT_FOUND");
    expect(await token.findKey("nope")).toBeUndefined();
    await token.close();
  });

  it("refuses to use a key that could leave the token", async () => {
    const fake = new FakePkcs11();
    fake.addKey("leaky", "prime256v1", { extractable: true });
    fake.addKey("plain", "prime256v1", { sensitive: false });
    const token = await open(fake);
    expect(await codeOf(token.signDigest("leaky", digest))).toBe("ERR_HSM_KEY_POLICY");
    expect(await codeOf(token.signDigest("plain", digest))).toBe("ERR_HSM_KEY_POLICY");
    await token.close();
  });

  it("refuses two keys with one label instead of guessing", async () => {
    const fake = new FakePkcs11();
    fake.addKey("twin", "prime256v1");
    fake.addKey("twin", "prime256v1");
    const token = await open(fake);
    expect(await codeOf(token.signDigest("twin", digest))).toBe("ERR_HSM_KEY_POLICY");
    await token.close();
  });

  it("insists on the digest length that pairs with the curve", async () => {
    const token = await open(new FakePkcs11());
    await token.ensureKey("ca", "P-256");
    await token.ensureKey("log", "P-384");
    expect(await codeOf(token.signDigest("ca", new Uint8Array(48)))).toBe("ERR_HSM_BAD_REQUEST");
    expect(await codeOf(token.signDigest("log", new Uint8Array(32)))).toBe("ERR_HSM_BAD_REQUEST");
    expect((await token.signDigest("log", new Uint8Array(48))).length).toBe(96);
    await token.close();
  });
});

describe("session pool (B7)", () => {
  it("runs 200 concurrent signatures on 4 sessions without ever sharing a session", async () => {
    const fake = new FakePkcs11();
    const token = await open(fake);
    await token.ensureKey("ca", "P-256");
    const sigs = await Promise.all(Array.from({ length: 200 }, () => token.signDigest("ca", digest)));
    expect(sigs.every((s) => s.length === 64)).toBe(true);
    expect(fake.violations).toBe(0);
    expect(fake.maxConcurrentSigns).toBeGreaterThan(1);
    expect(fake.maxConcurrentSigns).toBeLessThanOrEqual(4);
    await token.close();
  });

  it("signs a batch in order on one session, synchronously when configured, and refuses it whole for one bad digest", async () => {
    for (const syncSign of [false, true]) {
      const fake = new FakePkcs11();
      const token = await open(fake, { syncSign });
      await token.ensureKey("ca", "P-256");
      const sigs = await token.signDigests("ca", Array.from({ length: 10 }, () => digest));
      expect(sigs.map((s) => s.length)).toEqual(Array(10).fill(64));
      expect(fake.syncSigns).toBe(syncSign ? 10 : 0);
      expect(await codeOf(token.signDigests("ca", [digest, new Uint8Array(48)]))).toBe("ERR_HSM_BAD_REQUEST");
      expect(fake.syncSigns).toBe(syncSign ? 10 : 0);
      await token.close();
    }
  });

  it("refuses work beyond the queue bound instead of growing without limit", async () => {
    const fake = new FakePkcs11();
    const token = await open(fake, { poolSize: 1, maxQueue: 2 });
    await token.ensureKey("ca", "P-256");
    const results = await Promise.all(Array.from({ length: 6 }, () => codeOf(token.signDigest("ca", digest))));
    expect(results.filter((r) => r === "resolved").length).toBe(3);
    expect(results.filter((r) => r === "ERR_HSM_UNAVAILABLE").length).toBe(3);
    await token.close();
  });
});

describe("fault recovery (B5)", () => {
  it("replaces sessions closed under load and logs in again", async () => {
    const fake = new FakePkcs11();
    const token = await open(fake);
    await token.ensureKey("ca", "P-256");
    const logins = fake.loginCalls;
    fake.closeAllSessions();
    const sigs = await Promise.all(Array.from({ length: 50 }, () => token.signDigest("ca", digest)));
    expect(sigs).toHaveLength(50);
    expect(fake.loginCalls).toBeGreaterThan(logins);
    expect(fake.violations).toBe(0);
    await token.close();
  });

  it("logs in again once the login expires", async () => {
    const fake = new FakePkcs11();
    const token = await open(fake);
    await token.ensureKey("ca", "P-256");
    const logins = fake.loginCalls;
    fake.logout();
    expect((await token.signDigest("ca", digest)).length).toBe(64);
    expect(fake.loginCalls).toBe(logins + 1);
    await token.close();
  });

  it("stops logging in after the PIN is rejected (no lockout by retries)", async () => {
    const fake = new FakePkcs11();
    const token = await open(fake);
    await token.ensureKey("ca", "P-256");
    fake.pin = "changed-elsewhere";
    fake.logout();
    const logins = fake.loginCalls;
    expect(await codeOf(token.signDigest("ca", digest))).toBe("ERR_HSM_UNAVAILABLE");
    expect(await codeOf(token.signDigest("ca", digest))).toBe("ERR_HSM_UNAVAILABLE");
    expect(await codeOf(token.health())).toBe("ERR_HSM_UNAVAILABLE");
    expect(fake.loginCalls).toBe(logins + 1);
    await token.close();
  });

  it("fails closed while the token is removed and recovers by itself when it returns", async () => {
    const fake = new FakePkcs11();
    const token = await open(fake);
    await token.ensureKey("ca", "P-256");
    fake.removeToken();
    expect(await codeOf(token.signDigest("ca", digest))).toBe("ERR_HSM_UNAVAILABLE");
    expect(await codeOf(token.health())).toBe("ERR_HSM_UNAVAILABLE");
    fake.insertToken();
    await new Promise((r) => setTimeout(r, 30)); // past recoverIntervalMs
    expect((await token.signDigest("ca", digest)).length).toBe(64);
    expect((await token.health()).keys).toEqual(["ca"]);
    expect(fake.sessionCount).toBe(4);
    await token.close();
  });

  it("answers ERR_HSM_TIMEOUT for a stalled C_Sign, keeps serving, and replaces the session when it returns", async () => {
    const fake = new FakePkcs11();
    const token = await open(fake);
    await token.ensureKey("ca", "P-256");
    fake.stall = true;
    const started = Date.now();
    const stalled = codeOf(token.signDigest("ca", digest));
    await new Promise((r) => setImmediate(r));
    fake.stall = false;
    expect((await token.signDigest("ca", digest)).length).toBe(64);
    expect(await stalled).toBe("ERR_HSM_TIMEOUT");
    expect(Date.now() - started).toBeLessThan(1_000);
    const opened = fake.openCalls;
    fake.releaseStalled();
    await new Promise((r) => setImmediate(r));
    expect(fake.openCalls).toBe(opened + 1);
    expect(fake.sessionCount).toBe(4);
    expect((await token.signDigest("ca", digest)).length).toBe(64);
    await token.close();
  });

  it("does not re-initialise the module while a stalled call is inside it", async () => {
    const fake = new FakePkcs11();
    const token = await open(fake, { poolSize: 2 });
    await token.ensureKey("ca", "P-256");
    fake.stall = true;
    expect(await codeOf(token.signDigest("ca", digest))).toBe("ERR_HSM_TIMEOUT");
    fake.stall = false;
    fake.removeToken();
    const inits = fake.initializeCalls;
    expect(await codeOf(token.signDigest("ca", digest))).toBe("ERR_HSM_UNAVAILABLE");
    fake.insertToken();
    await new Promise((r) => setTimeout(r, 30));
    expect(await codeOf(token.signDigest("ca", digest))).toBe("ERR_HSM_UNAVAILABLE");
    expect(fake.initializeCalls).toBe(inits);
    fake.releaseStalled(ckError("CKR_DEVICE_REMOVED"));
    await new Promise((r) => setTimeout(r, 30));
    expect((await token.signDigest("ca", digest)).length).toBe(64);
    expect(fake.initializeCalls).toBe(inits + 1);
    await token.close();
  });
});

describe("session copies of keys (keyCopyStamp)", () => {
  const digest32 = new Uint8Array(32);

  it("signs with one session copy while the stamp holds, and with a fresh copy after it changes", async () => {
    const fake = new FakePkcs11();
    let stamp = "a";
    const token = await open(fake, { syncSign: true, keyCopyStamp: () => stamp });
    await token.ensureKey("ca", "P-256");
    await token.signDigests("ca", Array.from({ length: 5 }, () => digest32));
    await token.signDigest("ca", digest32);
    expect(fake.copies).toBe(1);
    expect(fake.signInitsOnCopies).toBe(6);
    expect(fake.signInitsOnToken).toBe(0);
    stamp = "b";
    await token.signDigest("ca", digest32);
    expect(fake.copies).toBe(2);
    expect(fake.destroyed).toBe(1); // the old copy does not linger in the module
    expect(fake.sessionObjects).toBe(1);
    expect((await token.listKeys()).map((k) => k.label)).toEqual(["ca"]); // the copy is no key of its own
    await token.close();
  });

  it("takes the token object, and fails closed with it, while the stamp cannot be read", async () => {
    const fake = new FakePkcs11();
    let stamp: string | undefined = "a";
    const token = await open(fake, { syncSign: true, keyCopyStamp: () => stamp });
    await token.ensureKey("ca", "P-256");
    await token.signDigest("ca", digest32);
    stamp = undefined;
    await token.signDigest("ca", digest32);
    expect(fake.signInitsOnToken).toBe(1);
    expect(fake.sessionObjects).toBe(0);
    fake.removeToken();
    expect(await codeOf(token.signDigest("ca", digest32))).toBe("ERR_HSM_UNAVAILABLE");
    await token.close();
  });

  it("re-copies after the owning session dies, instead of failing", async () => {
    const fake = new FakePkcs11();
    const token = await open(fake, { syncSign: true, keyCopyStamp: () => "a" });
    await token.ensureKey("ca", "P-256");
    await token.signDigest("ca", digest32);
    fake.closeAllSessions(); // the copy dies with its session
    expect((await token.signDigest("ca", digest32)).length).toBe(64);
    expect(fake.copies).toBe(2);
    await token.close();
  });

  it("signs with the token objects when the module refuses to copy keys", async () => {
    const fake = new FakePkcs11();
    fake.copyMode = "CKR_FUNCTION_NOT_SUPPORTED";
    const lines: string[] = [];
    const token = await open(fake, { syncSign: true, keyCopyStamp: () => "a", log: (l) => lines.push(l) });
    await token.ensureKey("ca", "P-256");
    await token.signDigest("ca", digest32);
    await token.signDigest("ca", digest32);
    expect(fake.signInitsOnToken).toBe(2);
    expect(lines.filter((l) => l.includes("does not copy keys"))).toHaveLength(1);
    await token.close();
  });

  it("refuses a copy that is no longer sensitive, and destroys it", async () => {
    const fake = new FakePkcs11();
    fake.copyMode = "loosen";
    const token = await open(fake, { syncSign: true, keyCopyStamp: () => "a" });
    await token.ensureKey("ca", "P-256");
    expect(await codeOf(token.signDigest("ca", digest32))).toBe("ERR_HSM_KEY_POLICY");
    expect(fake.sessionObjects).toBe(0);
    expect(fake.signInitsOnCopies + fake.signInitsOnToken).toBe(0);
    await token.close();
  });
});

describe("ckrOf", () => {
  it("reads the code from both error shapes pkcs11js throws, and nothing from other errors", () => {
    expect(ckrOf(ckError("CKR_KEY_HANDLE_INVALID"))).toBe(0x60);
    expect(ckrOf(new Error("CKR_OBJECT_HANDLE_INVALID:130"))).toBe(130);
    expect(ckrOf(new Error("CKR_OBJECT_HANDLE_INVALID"))).toBeUndefined();
    expect(ckrOf(new Error("something CKR_OBJECT_HANDLE_INVALID:130"))).toBeUndefined();
    expect(ckrOf("CKR_OBJECT_HANDLE_INVALID:130")).toBeUndefined();
  });
});
