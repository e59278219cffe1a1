/**
 * Crash test (SECURITY.md H1, goal G-D1): a load of concurrent appends against the real api
 * process, which is killed with SIGKILL several times at random moments. Afterwards every
 * acknowledged entry is at its acknowledged index, indices are contiguous, fsck passes, and no two
 * checkpoints of one size differ.
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHsmSigner } from "@signet/hsm/client";
import { createDb } from "../../db.ts";
import { migrate } from "../../db/migrate.ts";
import { createTestDatabase } from "../../testing/database.ts";
import { startTestHsm, type TestHsm } from "../../testing/hsm.ts";
import { fsckLog } from "./fsck.ts";
import { createLogStore } from "./log-store.ts";
import { createProofSource } from "./proofs.ts";
import { createLogKeys } from "./signing.ts";
import { TileCache } from "./tile-cache.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../..");
const ORIGIN = "crash.signet.test";

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
const pemB64 = Buffer.from(publicKey.export({ type: "spki", format: "pem" }) as string).toString("base64");
function proposal(): string {
  const artifact = crypto.randomBytes(32);
  return JSON.stringify({
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: {
      data: { hash: { algorithm: "sha256", value: crypto.hash("sha256", artifact, "hex") } },
      signature: { content: crypto.sign("sha256", artifact, privateKey).toString("base64"), publicKey: { content: pemB64 } },
    },
  });
}

describe("log under SIGKILL (real api process, PostgreSQL, SoftHSM2)", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let hsm: TestHsm;
  let api: ChildProcess | undefined;
  let port: number;

  const startApi = async () => {
    port = await freePort();
    api = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "apps/api/src/main.ts")], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: database.url, SIGNET_DATA_DIR: hsm.dataDir, SIGNET_API_PORT: String(port), SIGNET_LOG_ORIGIN: ORIGIN },
      stdio: "ignore",
    });
    const exited = new Promise((r) => api!.once("exit", r));
    for (let i = 0; i < 300; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200) return;
      } catch {}
      if (await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 100))])) throw new Error("api exited during start");
    }
    throw new Error("api did not become healthy");
  };

  beforeAll(async () => {
    database = await createTestDatabase("crash");
    await migrate(database.url);
    hsm = await startTestHsm();
  });
  afterAll(async () => {
    api?.kill("SIGKILL");
    await hsm?.stop();
    await database?.drop();
  });

  it("never loses an acknowledged entry, never forks", async () => {
    const acked = new Map<string, number>(); // uuid → index
    let failures = 0;
    for (let round = 0; round < 4; round++) {
      await startApi();
      const killAt = Date.now() + 300 + Math.random() * 1200;
      let alive = true;
      const killer = new Promise<void>((r) =>
        setTimeout(() => {
          alive = false;
          api!.kill("SIGKILL");
          r();
        }, killAt - Date.now()),
      );
      const workers = Array.from({ length: 16 }, async () => {
        while (alive) {
          try {
            const res = await fetch(`http://127.0.0.1:${port}/api/v1/log/entries`, { method: "POST", headers: { "content-type": "application/json" }, body: proposal() });
            if (res.status === 201 || res.status === 409) {
              const body = (await res.json()) as Record<string, { logIndex: number }>;
              const [id, entry] = Object.entries(body)[0]!;
              acked.set(id.slice(-64), entry.logIndex);
            } else failures++;
          } catch {
            failures++;
          }
        }
      });
      await Promise.all([killer, ...workers]);
      await new Promise((r) => api!.exitCode !== null || api!.signalCode !== null ? r(null) : api!.once("exit", r));
    }
    expect(acked.size).toBeGreaterThan(50);
    // The kills landed under load: requests in flight at those moments failed (and were never acknowledged).
    expect(failures).toBeGreaterThan(0);

    // Restart once more: the start-up integrity checks must pass on what the kills left.
    await startApi();
    try {
      const db = createDb(database.url);
      const store = createLogStore(db);
      const rows = await db.$queryRawUnsafe<{ id: number }[]>(`SELECT id FROM logs WHERE origin = $1`, ORIGIN);
      const logId = rows[0]!.id;
      for (const [uuid, index] of acked) {
        const [e] = await store.findByLeafHashes(logId, [Buffer.from(uuid, "hex")]);
        expect(e, `acknowledged entry ${uuid}`).toBeDefined();
        expect(Number(e!.index)).toBe(index);
      }
      const signer = createHsmSigner(hsm.client, "log", "P-256");
      const keys = await createLogKeys(ORIGIN, signer);
      const report = await fsckLog({ store, keys, logId, proofs: createProofSource(store, () => logId, new TileCache(256)) });
      expect(report.problems).toEqual([]);
      const dupSizes = await db.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM (SELECT size FROM checkpoints WHERE log_id = $1 GROUP BY size HAVING count(DISTINCT root_hash) > 1) x`, logId);
      expect(Number(dupSizes[0]!.n)).toBe(0);
      await db.$disconnect();
    } finally {
      api!.kill("SIGTERM");
    }
  });
});
