/**
 * `signet log fsck` against a real log (the api in-process on PostgreSQL and SoftHSM2): clean after
 * appends, and it catches a tile corrupted behind the log's back.
 */
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../../../apps/api/src/testing/api.ts";
import { main, type Io } from "./main.ts";

function capture(env: Record<string, string> = {}): Io & { output: () => string } {
  let text = "";
  return { out: (t) => (text += t), err: (t) => (text += t), env, stdoutIsTty: false, output: () => text };
}

describe("signet log fsck", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pem = Buffer.from(publicKey.export({ type: "spki", format: "pem" }) as string).toString("base64");
    for (let i = 0; i < 300; i++) {
      const artifact = crypto.randomBytes(16);
      const body = { apiVersion: "0.0.1", kind: "hashedrekord", spec: { data: { hash: { algorithm: "sha256", value: crypto.hash("sha256", artifact, "hex") } }, signature: { content: crypto.sign("sha256", artifact, privateKey).toString("base64"), publicKey: { content: pem } } } };
      const res = await fetch(`${api.base}/api/v1/log/entries`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await api?.stop();
  });

  const args = () => ["log", "fsck", "--database-url", api.env.DATABASE_URL, "--origin", api.env.logOrigin, "--data-dir", api.hsm.dataDir];

  it("passes on a healthy log", async () => {
    const io = capture();
    expect(await main(args(), io)).toBe(0);
    expect(io.output()).toContain("size 300, 300 entries");
    expect(io.output()).toContain("ok:");
  });

  it("fails, naming the tile, when a stored tile was altered", async () => {
    await api.db.$executeRawUnsafe(`UPDATE log_tiles SET hashes = set_byte(hashes, 5, get_byte(hashes, 5) # 1) WHERE level = 0 AND index = 0`);
    const io = capture();
    expect(await main(args(), io)).toBe(1);
    expect(io.output()).toMatch(/tile 0\/0 differs/);
  });

  it("asks for a database when none is given", async () => {
    const io = capture();
    expect(await main(["log", "fsck"], io)).toBe(2);
  });
});
