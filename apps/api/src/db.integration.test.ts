/**
 * sqlOf on a real PostgreSQL: statements asked to be prepared become named statements on the
 * connection (parsed and planned once), the others stay unnamed, and both answer the same rows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, preparedName, sqlOf, type Db } from "./db.ts";
import { createTestDatabase } from "./testing/database.ts";

describe("sqlOf (PostgreSQL)", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase("sqlof");
    db = createDb(database.url, { max: 1 }); // one connection, so pg_prepared_statements shows what it holds
  });
  afterAll(async () => {
    await db?.$disconnect();
    await database?.drop();
  });

  it("prepares a statement once per connection when asked, and answers like the unnamed form", async () => {
    const sql = sqlOf(db);
    const text = "SELECT $1::int + 1 AS v /* db.integration.test prepared */";
    const name = preparedName(text)!;
    expect(name).toMatch(/^signet_[0-9a-f]{32}$/);
    for (let i = 0; i < 7; i++) expect(await sql.query(text, [i], { prepare: true })).toEqual([{ v: i + 1 }]);
    expect(await sql.query("SELECT $1::int + 1 AS v /* unnamed */", [41])).toEqual([{ v: 42 }]);
    const held = await sql.query<{ name: string; statement: string }[]>("SELECT name, statement FROM pg_prepared_statements", []);
    expect(held).toEqual([{ name, statement: text }]);
  });

  it("keeps one name per text", () => {
    const a = preparedName("SELECT 1 /* a */");
    expect(preparedName("SELECT 1 /* a */")).toBe(a);
    expect(preparedName("SELECT 1 /* b */")).not.toBe(a);
  });
});
