import { cpSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, migrate, readMigrations } from "./migrate.ts";
import { createTestDatabase } from "../testing/database.ts";

describe("migration runner (real PostgreSQL)", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const tmp = mkdtempSync(path.join(os.tmpdir(), "signet-migrations-"));
  beforeAll(async () => {
    db = await createTestDatabase("migrate");
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("applies the repository's migrations once, then is idempotent", async () => {
    const all = readMigrations();
    expect(all.length).toBeGreaterThan(0);
    const first = await migrate(db.url);
    expect(first.applied).toEqual(all.map((m) => m.name));
    const second = await migrate(db.url);
    expect(second.applied).toEqual([]);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query(`SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name`);
    await client.end();
    expect(rows.map((r) => r.migration_name)).toEqual(all.map((m) => m.name));
    expect(rows.map((r) => r.checksum)).toEqual(all.map((m) => m.checksum));
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
  });

  it("refuses a migration edited after it was applied", async () => {
    const dir = path.join(tmp, "edited");
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    const first = readMigrations(dir)[0]!;
    writeFileSync(path.join(dir, first.name, "migration.sql"), first.sql + "\n-- edited\n");
    await expect(migrate(db.url, dir)).rejects.toThrow(/changed after it was applied/);
  });

  it("rolls back a failing migration completely and records nothing", async () => {
    const dir = path.join(tmp, "failing");
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    mkdirSync(path.join(dir, "99990101000000_broken"));
    writeFileSync(path.join(dir, "99990101000000_broken", "migration.sql"), `CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;`);
    await expect(migrate(db.url, dir)).rejects.toThrow(/99990101000000_broken failed/);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const table = await client.query(`SELECT to_regclass('half_done') AS t`);
    const rec = await client.query(`SELECT 1 FROM "_prisma_migrations" WHERE migration_name = '99990101000000_broken'`);
    await client.end();
    expect(table.rows[0].t).toBeNull();
    expect(rec.rowCount).toBe(0);
  });
});
