import { mkdtemp, readFile, rm, stat, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { loadOrCreateSigningKeys } from "./keys.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "signet-idp-keys-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function corruptCode(text: string): Promise<{ code?: string; message?: string }> {
  const file = join(dir, "idp", "jwks.json");
  await loadOrCreateSigningKeys(dir);
  await writeFile(file, text);
  try {
    await loadOrCreateSigningKeys(dir);
  } catch (error) {
    return error as { code?: string; message?: string };
  }
  return {};
}

describe("loadOrCreateSigningKeys", () => {
  it("creates RS256 and ES256 keys in <data>/idp/jwks.json with mode 0600 and reloads the same kids", async () => {
    const first = await loadOrCreateSigningKeys(dir);
    expect(first.file).toBe(join(dir, "idp", "jwks.json"));
    expect((await stat(first.file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "idp"))).mode & 0o777).toBe(0o700);
    expect(first.privateJwks.keys.map((k) => k.alg)).toEqual(["RS256", "ES256"]);
    const second = await loadOrCreateSigningKeys(dir);
    expect(second.keyFor("RS256").kid).toBe(first.keyFor("RS256").kid);
    expect(second.keyFor("ES256").kid).toBe(first.keyFor("ES256").kid);
    expect(first.keyFor("RS256").kid).not.toBe(first.keyFor("ES256").kid);
  });

  it("tightens a loosened file mode back to 0600", async () => {
    const keys = await loadOrCreateSigningKeys(dir);
    await chmod(keys.file, 0o644);
    await loadOrCreateSigningKeys(dir);
    expect((await stat(keys.file)).mode & 0o777).toBe(0o600);
  });

  it("two concurrent first starts end up with one set of keys", async () => {
    const [a, b] = await Promise.all([loadOrCreateSigningKeys(dir), loadOrCreateSigningKeys(dir)]);
    expect(a.keyFor("RS256").kid).toBe(b.keyFor("RS256").kid);
    const onDisk = JSON.parse(await readFile(a.file, "utf8")) as { keys: { kid: string }[] };
    expect(onDisk.keys[0]?.kid).toBe(a.keyFor("RS256").kid);
  });

  const corrupt: [string, () => Promise<string>][] = [
    ["truncated JSON", async () => "{\"keys\": ["],
    ["not an object", async () => "[]"],
    ["no keys array", async () => "{\"keys\": 1}"],
    ["a missing ES256 key", async () => {
      const jwks = JSON.parse(await readFile(join(dir, "idp", "jwks.json"), "utf8")) as { keys: { alg: string }[] };
      return JSON.stringify({ keys: jwks.keys.filter((k) => k.alg !== "ES256") });
    }],
    ["a public-only key", async () => {
      const jwks = JSON.parse(await readFile(join(dir, "idp", "jwks.json"), "utf8")) as { keys: Record<string, unknown>[] };
      return JSON.stringify({ keys: jwks.keys.map((k) => (k.alg === "ES256" ? { ...k, d: undefined } : k)) });
    }],
    ["a kid that is not the thumbprint", async () => {
      const jwks = JSON.parse(await readFile(join(dir, "idp", "jwks.json"), "utf8")) as { keys: Record<string, unknown>[] };
      return JSON.stringify({ keys: jwks.keys.map((k) => ({ ...k, kid: "other" })) });
    }],
    ["a damaged private key", async () => {
      const jwks = JSON.parse(await readFile(join(dir, "idp", "jwks.json"), "utf8")) as { keys: Record<string, unknown>[] };
      return JSON.stringify({ keys: jwks.keys.map((k) => (k.alg === "ES256" ? { ...k, x: "AAAA" } : k)) });
    }],
    ["an oversized file", async () => " ".repeat(70 * 1024)],
  ];
  for (const [what, make] of corrupt) {
    it(`refuses ${what} with ERR_IDP_KEYS_CORRUPT naming the file`, async () => {
      await loadOrCreateSigningKeys(dir);
      const error = await corruptCode(await make());
      expect(error.code).toBe("ERR_IDP_KEYS_CORRUPT");
      expect(error.message).toContain(join(dir, "idp", "jwks.json"));
    });
  }
});
