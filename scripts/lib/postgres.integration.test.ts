import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createCluster } from "./postgres.mjs";
import { freePort } from "./ports.mjs";

const base = mkdtempSync(path.join(os.tmpdir(), "signet-pgtest-"));
chmodSync(base, 0o755);
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("embedded PostgreSQL cluster", () => {
  it("initialises on first start, listens on loopback only, and restarts on the same data", async () => {
    const port = await freePort();
    const cluster = createCluster({ dir: path.join(base, "ok"), port });
    await cluster.start();
    try {
      const url = await cluster.ensureDatabase("signet");
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query("CREATE TABLE kept (v int)");
      await c.query("INSERT INTO kept VALUES (42)");
      const { rows } = await c.query("SHOW listen_addresses");
      expect(rows[0].listen_addresses).toBe("127.0.0.1");
      await c.end();
      await cluster.stop();
      await cluster.start();
      const c2 = new pg.Client({ connectionString: url });
      await c2.connect();
      expect((await c2.query("SELECT v FROM kept")).rows[0].v).toBe(42);
      await c2.end();
    } finally {
      await cluster.stop();
    }
  });

  it("refuses to start a second server on the same cluster", async () => {
    const dir = path.join(base, "twice");
    const a = createCluster({ dir, port: await freePort() });
    await a.start();
    try {
      const b = createCluster({ dir, port: await freePort() });
      await expect(b.start()).rejects.toThrow(/already running/);
    } finally {
      await a.stop();
    }
  });

  it("reports a corrupt cluster directory by name instead of overwriting it", async () => {
    const dir = path.join(base, "corrupt");
    mkdirSync(path.join(dir, "pgdata"), { recursive: true });
    writeFileSync(path.join(dir, "pgdata", "junk"), "not a cluster");
    const cluster = createCluster({ dir, port: await freePort() });
    await expect(cluster.start()).rejects.toThrow(new RegExp(`${path.join(dir, "pgdata")} exists but is not a PostgreSQL cluster`));
  });
});
