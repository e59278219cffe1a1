import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openLogin, sealLogin } from "./auth-config.ts";
import { deriveLoginKey, getLoginKey, loadOrCreateStateSecret, STATE_KEY_FILE } from "./login-key.ts";

const tmp = mkdtempSync(path.join(os.tmpdir(), "signet-web-key-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const dir = (name: string) => path.join(tmp, name);
const forget = () => delete (globalThis as Record<symbol, unknown>)[Symbol.for("signet.web.login-key")];
const tx = { state: "s".repeat(43), nonce: "n".repeat(43), verifier: "v".repeat(43), returnTo: "/sign", expiresAt: 2_000_000 };

describe("login-state key", () => {
  it("creates <data>/web/state-key once, owner-only, and derives the same key after a restart", () => {
    const data = dir("a");
    const first = getLoginKey({ dataDir: data, webSecret: undefined });
    const file = path.join(data, STATE_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    const secret = readFileSync(file, "utf8");
    // A "restart": the process cache is gone, only the file remains.
    forget();
    const second = getLoginKey({ dataDir: data, webSecret: undefined });
    expect(second.equals(first)).toBe(true);
    expect(readFileSync(file, "utf8")).toBe(secret);
    // A login sealed before the restart opens after it.
    forget();
    expect(openLogin(sealLogin(tx, first), 1_000_000, getLoginKey({ dataDir: data, webSecret: undefined }))).toEqual(tx);
  });

  it("differs between data directories", () => {
    forget();
    const a = getLoginKey({ dataDir: dir("b1"), webSecret: undefined });
    const b = getLoginKey({ dataDir: dir("b2"), webSecret: undefined });
    expect(a.length).toBe(32);
    expect(a.equals(b)).toBe(false);
    expect(openLogin(sealLogin(tx, a), 1_000_000, b)).toBeUndefined();
  });

  it("derives from SIGNET_WEB_SECRET when set, without touching the data directory", () => {
    forget();
    const secret = "x".repeat(44);
    const a = getLoginKey({ dataDir: dir("c1"), webSecret: secret });
    forget();
    const b = getLoginKey({ dataDir: dir("c2"), webSecret: secret });
    expect(a.equals(b)).toBe(true);
    expect(a.equals(deriveLoginKey(secret))).toBe(true);
    expect(a.equals(getLoginKey({ dataDir: dir("c1"), webSecret: "y".repeat(44) }))).toBe(false);
    expect(() => statSync(path.join(dir("c1"), STATE_KEY_FILE))).toThrow();
    // The key is not the secret itself (HKDF with a purpose label).
    expect(a.equals(Buffer.from(secret).subarray(0, 32))).toBe(false);
  });

  it("tightens a loosened file mode and refuses a file that is not a state key", () => {
    const data = dir("d");
    const secret = loadOrCreateStateSecret(data);
    const file = path.join(data, STATE_KEY_FILE);
    chmodSync(file, 0o644);
    expect(loadOrCreateStateSecret(data).equals(secret)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const bad = dir("e");
    mkdirSync(path.join(bad, "web"), { recursive: true });
    writeFileSync(path.join(bad, STATE_KEY_FILE), "short\n");
    expect(() => loadOrCreateStateSecret(bad)).toThrow(/not a Signet state key/);
    writeFileSync(path.join(bad, STATE_KEY_FILE), "A".repeat(4096));
    expect(() => loadOrCreateStateSecret(bad)).toThrow(/larger than/);
  });
});
