import { mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_SOFTHSM_MODULE, loadHsmEnv, repoRoot } from "./env.ts";
import { softHsmTokenStamp } from "./softhsm.ts";

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return "no error";
};

describe("loadHsmEnv", () => {
  it("defaults to the embedded SoftHSM2 token under <repo>/.data/hsm", () => {
    const env = loadHsmEnv({});
    expect(env.dataDir).toBe(path.join(repoRoot(), ".data"));
    expect(env.embedded).toBe(true);
    expect(env.modulePath).toBe(DEFAULT_SOFTHSM_MODULE);
    expect(env.tokenLabel).toBe("signet");
    expect(env.socketPath).toBe(path.join(repoRoot(), ".data", "hsm", "hsm.sock"));
    expect(env.secretFile).toBe(path.join(repoRoot(), ".data", "hsm", "secret"));
    expect(env.softhsmConf).toBe(path.join(repoRoot(), ".data", "hsm", "softhsm2.conf"));
    expect(env.healthPort).toBe(8082);
    expect(env.poolSize).toBe(4);
    expect(env.pin).toBeUndefined();
  });

  it("treats a foreign SOFTHSM2_CONF as a token Signet does not manage, which then needs SIGNET_HSM_PIN", () => {
    expect(code(() => loadHsmEnv({ SOFTHSM2_CONF: "/etc/softhsm/softhsm2.conf" }))).toBe("ERR_HSM_CONFIG");
    const env = loadHsmEnv({ SOFTHSM2_CONF: "/etc/softhsm/softhsm2.conf", SIGNET_HSM_PIN: "1234" });
    expect(env.embedded).toBe(false);
    expect(env.softhsmConf).toBe("/etc/softhsm/softhsm2.conf");
  });

  it("signs synchronously only with the SoftHSM2 module unless told otherwise, and refuses other values", () => {
    expect(loadHsmEnv({}).syncSign).toBe(true);
    expect(loadHsmEnv({ SIGNET_HSM_SYNC_SIGN: "false" }).syncSign).toBe(false);
    const foreign = { SIGNET_HSM_MODULE: process.execPath, SIGNET_HSM_PIN: "1234" };
    expect(loadHsmEnv(foreign).syncSign).toBe(false);
    expect(loadHsmEnv({ ...foreign, SIGNET_HSM_SYNC_SIGN: "1" }).syncSign).toBe(true);
    expect(code(() => loadHsmEnv({ SIGNET_HSM_SYNC_SIGN: "yes" }))).toBe("ERR_HSM_CONFIG");
  });

  it("signs with session key copies only for the embedded token, and refuses them for any other", () => {
    expect(loadHsmEnv({}).keyCopies).toBe(true);
    expect(loadHsmEnv({ SIGNET_HSM_KEY_COPIES: "false" }).keyCopies).toBe(false);
    const foreign = { SIGNET_HSM_MODULE: process.execPath, SIGNET_HSM_PIN: "1234" };
    expect(loadHsmEnv(foreign).keyCopies).toBe(false);
    expect(code(() => loadHsmEnv({ ...foreign, SIGNET_HSM_KEY_COPIES: "true" }))).toBe("ERR_HSM_CONFIG");
    expect(code(() => loadHsmEnv({ SIGNET_HSM_KEY_COPIES: "maybe" }))).toBe("ERR_HSM_CONFIG");
  });

  it("keeps the embedded mode when SOFTHSM2_CONF names the embedded conf", () => {
    const env = loadHsmEnv({ SIGNET_DATA_DIR: "/tmp/x", SOFTHSM2_CONF: "/tmp/x/hsm/softhsm2.conf" });
    expect(env.embedded).toBe(true);
  });

  it.each([
    ["SIGNET_HSM_MODULE", "/nonexistent/libpkcs11.so"],
    ["SIGNET_HSM_TOKEN_LABEL", "a".repeat(33)],
    ["SIGNET_HSM_TOKEN_LABEL", " padded"],
    ["SIGNET_HSM_TOKEN_LABEL", "tab\there"],
    ["SIGNET_HSM_HEALTH_PORT", "65536"],
    ["SIGNET_HSM_HEALTH_PORT", "80a"],
    ["SIGNET_HSM_HEALTH_PORT", "-1"],
    ["SIGNET_HSM_POOL_SIZE", "0"],
    ["SIGNET_HSM_POOL_SIZE", "65"],
    ["SIGNET_HSM_SOCKET", `/tmp/${"s".repeat(120)}.sock`],
    ["SIGNET_HSM_PIN", "12\n34"],
  ])("rejects %s=%j with ERR_HSM_CONFIG naming the variable", (name, value) => {
    let message = "";
    try {
      loadHsmEnv({ [name]: value });
    } catch (e) {
      message = (e as Error).message;
      expect((e as { code: string }).code).toBe("ERR_HSM_CONFIG");
    }
    expect(message).toContain(name);
  });
});

describe("softHsmTokenStamp", () => {
  function store() {
    const dir = mkdtempSync(path.join(tmpdir(), "signet-stamp-"));
    const token = path.join(dir, "3f0c9a1e-token");
    mkdirSync(token);
    writeFileSync(path.join(token, "generation"), Buffer.alloc(8));
    return { dir, token, gen: path.join(token, "generation") };
  }

  it("stays the same while nothing changes, and changes when the token's generation file is rewritten", () => {
    const { dir, gen } = store();
    const stamp = softHsmTokenStamp(dir);
    const first = stamp();
    expect(first).toBeDefined();
    expect(stamp()).toBe(first);
    writeFileSync(path.join(dir, "stray-file"), "not a token");
    const second = stamp(); // the store's listing changed: still a stamp (a stray file is no token)
    expect(second).toBeDefined();
    expect(stamp()).toBe(second);
    writeFileSync(gen, Buffer.of(0, 0, 0, 0, 0, 0, 0, 1));
    utimesSync(gen, new Date(2001, 1, 1), new Date(2001, 1, 1)); // a different mtime even within one clock tick
    expect(stamp()).not.toBe(second);
    rmSync(dir, { recursive: true });
  });

  it("changes when the token is taken away or replaced, and is undefined when the store cannot be read", () => {
    const { dir, token, gen } = store();
    const stamp = softHsmTokenStamp(dir);
    const first = stamp();
    renameSync(token, `${dir}-aside`);
    expect(stamp()).toBeUndefined();
    renameSync(`${dir}-aside`, token);
    const back = stamp(); // the same token back: copies may be made again
    expect(back).toBeDefined();
    rmSync(gen);
    writeFileSync(gen, Buffer.alloc(8)); // a new file (its inode may be reused, so give it another time too)
    utimesSync(gen, new Date(2002, 1, 1), new Date(2002, 1, 1));
    expect(stamp()).not.toBe(back);
    expect(first).not.toBe(back);
    rmSync(dir, { recursive: true });
    expect(stamp()).toBeUndefined();
  });

  it("sees every removal of one of several tokens, however often it comes and goes", () => {
    const { dir, token } = store();
    const other = path.join(dir, "9a7e-other-token");
    mkdirSync(other);
    writeFileSync(path.join(other, "generation"), Buffer.alloc(8));
    const stamp = softHsmTokenStamp(dir);
    const seen = new Set<string | undefined>([stamp()]);
    for (let i = 0; i < 3; i++) {
      renameSync(token, `${dir}-aside`);
      const away = stamp();
      renameSync(`${dir}-aside`, token);
      const back = stamp();
      expect(back).toBeDefined();
      // While it is away the stamp is never one that copies were made under while it was there.
      expect(seen.has(away)).toBe(false);
      seen.add(back);
    }
    rmSync(dir, { recursive: true });
  });
});
