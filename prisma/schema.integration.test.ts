// The migrations in prisma/migrations and prisma/schema.prisma must describe the same database,
// as judged by Prisma's own schema engine (wasm) on a real PostgreSQL. Needs DATABASE_URL: a
// server where the test may create and drop databases (scripts/test.mjs provides one).
import { randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { parseIntoClientConfig } from "pg-connection-string";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { migrate } from "../apps/api/src/db/migrate.ts";
import { main as diffCli } from "../scripts/prisma/diff.ts";
import {
  SchemaEngineError,
  diagnoseMigrationHistory,
  diffDatabaseToSchema,
  diffMigrationsToSchema,
  readMigrationList,
  readSchemaFiles,
  type SchemasContainer,
} from "../scripts/prisma/engine.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MIGRATIONS_DIR = path.join(HERE, "migrations");
const SCHEMA_PATH = path.join(HERE, "schema.prisma");

const DATABASE_URL = process.env.DATABASE_URL ?? "";
const created: string[] = [];
let tmp = "";

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(parseIntoClientConfig(DATABASE_URL));
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database on the test server, dropped after the file; returns its URL. */
async function createDatabase(): Promise<string> {
  const name = `signet_schema_test_${randomBytes(5).toString("hex")}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  created.push(name);
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function listDatabases(): Promise<string[]> {
  return admin(async (c) => (await c.query<{ datname: string }>("SELECT datname FROM pg_database ORDER BY datname")).rows.map((r) => r.datname));
}

/** A copy of prisma/migrations plus extra migration folders, in a temporary directory. */
async function migrationsWith(extra: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmp, "migrations-"));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) {
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, "migration.sql"), sql);
  }
  return dir;
}

/** schema.prisma with one extra column on Log. */
async function schemaWithExtraField(): Promise<SchemasContainer> {
  const schema = await readSchemaFiles(SCHEMA_PATH);
  const file = schema.files[0]!;
  const content = file.content.replace(/(model Log \{\n)/, "$1  extraField String? @map(\"extra_field\")\n");
  expect(content).not.toBe(file.content);
  return { files: [{ path: file.path, content }] };
}

/** Run the diff CLI in-process, capturing what it prints. */
async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void (stdout += `${a.join(" ")}\n`));
  const err = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void (stderr += `${a.join(" ")}\n`));
  try {
    const code = await diffCli(args, { DATABASE_URL });
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    log.mockRestore();
    err.mockRestore();
  }
}

beforeAll(async () => {
  if (!DATABASE_URL) throw new Error("DATABASE_URL is not set: these tests need a PostgreSQL server (scripts/test.mjs starts one)");
  tmp = await mkdtemp(path.join(os.tmpdir(), "signet-prisma-test-"));
});

afterAll(async () => {
  if (DATABASE_URL) {
    for (const name of created) await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  }
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe("prisma/migrations against prisma/schema.prisma", () => {
  it("replaying the migrations yields exactly the schema (empty diff)", async () => {
    const migrations = await readMigrationList(MIGRATIONS_DIR);
    expect(migrations.migrationDirectories.length).toBeGreaterThan(0);
    expect(migrations.lockfile.content).toMatch(/provider = "postgresql"/);
    const sql = await diffMigrationsToSchema({ databaseUrl: DATABASE_URL, migrations, schema: await readSchemaFiles(SCHEMA_PATH) });
    expect(sql).toBe("");
  });

  it("a schema with one extra field gives a non-empty diff adding that column", async () => {
    const sql = await diffMigrationsToSchema({
      databaseUrl: DATABASE_URL,
      migrations: await readMigrationList(MIGRATIONS_DIR),
      schema: await schemaWithExtraField(),
    });
    expect(sql).toContain(`ALTER TABLE "logs" ADD COLUMN     "extra_field" TEXT`);
  });

  it("migrations missing from the folder show up as drift too", async () => {
    const empty = await mkdtemp(path.join(tmp, "empty-"));
    await cp(path.join(MIGRATIONS_DIR, "migration_lock.toml"), path.join(empty, "migration_lock.toml"));
    const sql = await diffMigrationsToSchema({ databaseUrl: DATABASE_URL, migrations: await readMigrationList(empty), schema: await readSchemaFiles(SCHEMA_PATH) });
    expect(sql).toContain(`CREATE TABLE "log_entries"`);
  });

  it("creates and drops its own shadow database, leaving the server as it found it", async () => {
    const before = await listDatabases();
    await diffMigrationsToSchema({ databaseUrl: DATABASE_URL, migrations: await readMigrationList(MIGRATIONS_DIR), schema: await readSchemaFiles(SCHEMA_PATH) });
    expect(await listDatabases()).toEqual(before);
  });
});

describe("replaying migrations the way PostgreSQL runs them", () => {
  it("sends each migration.sql as one query ($$ bodies with ; survive) and reads \"char\" catalog columns (CHECK constraints)", async () => {
    // Neither object is visible to Prisma's differ, so the diff stays empty once both apply.
    const dir = await migrationsWith({
      "29990101000000_function": `CREATE FUNCTION signet_test_fn() RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1;
  RETURN 2;
END;
$$;
ALTER TABLE "log_tiles" ADD CONSTRAINT "log_tiles_width_check" CHECK ("width" BETWEEN 1 AND 256);
`,
    });
    const sql = await diffMigrationsToSchema({ databaseUrl: DATABASE_URL, migrations: await readMigrationList(dir), schema: await readSchemaFiles(SCHEMA_PATH) });
    expect(sql).toBe("");
  });

  it("a migration that fails on the shadow database is an ERR_SCHEMA_ENGINE_COMMAND naming it, and the shadow is dropped", async () => {
    const before = await listDatabases();
    const dir = await migrationsWith({ "29990101000000_broken": `SELECT * FROM "no_such_table";\n` });
    const error = await diffMigrationsToSchema({ databaseUrl: DATABASE_URL, migrations: await readMigrationList(dir), schema: await readSchemaFiles(SCHEMA_PATH) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaEngineError);
    expect((error as SchemaEngineError).code).toBe("ERR_SCHEMA_ENGINE_COMMAND");
    expect((error as SchemaEngineError).message).toContain("29990101000000_broken");
    expect((error as SchemaEngineError).message).toContain("no_such_table");
    expect(await listDatabases()).toEqual(before);
  });

  it("an unreachable server is an error, not an empty diff", async () => {
    const url = new URL(DATABASE_URL);
    url.username = "no_such_role_signet";
    const error = await diffMigrationsToSchema({ databaseUrl: url.toString(), migrations: await readMigrationList(MIGRATIONS_DIR), schema: await readSchemaFiles(SCHEMA_PATH) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaEngineError);
    expect(["ERR_SCHEMA_ENGINE_INIT", "ERR_SCHEMA_ENGINE_COMMAND", "ERR_SCHEMA_ENGINE_DATABASE"]).toContain((error as SchemaEngineError).code);
  });
});

describe("a database migrated by Signet's runner (apps/api/src/db/migrate.ts)", () => {
  let url = "";
  beforeAll(async () => {
    url = await createDatabase();
    const { applied, total } = await migrate(url, MIGRATIONS_DIR);
    expect(applied.length).toBe(total);
  });

  it("is what Prisma itself considers fully and cleanly migrated", async () => {
    const status = await diagnoseMigrationHistory({ databaseUrl: url, migrations: await readMigrationList(MIGRATIONS_DIR) });
    expect(status).toEqual({ hasMigrationsTable: true, history: null, editedMigrationNames: [], failedMigrationNames: [] });
  });

  it("matches schema.prisma, introspected live (and an empty database does not)", async () => {
    const schema = await readSchemaFiles(SCHEMA_PATH);
    expect(await diffDatabaseToSchema({ databaseUrl: url, schema })).toBe("");
    expect(await diffDatabaseToSchema({ databaseUrl: await createDatabase(), schema })).toContain(`CREATE TABLE "logs"`);
  });

  it("is reported as edited by Prisma when a migration file changes after it was applied", async () => {
    const dir = await migrationsWith({});
    const [first] = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory());
    const file = path.join(dir, first!.name, "migration.sql");
    await writeFile(file, `${await readFile(file, "utf8")}\n-- edited\n`);
    const status = await diagnoseMigrationHistory({ databaseUrl: url, migrations: await readMigrationList(dir) });
    expect(status.editedMigrationNames).toEqual([first!.name]);
  });

  it("is read and written by the generated Prisma client through the pg adapter", async () => {
    const { PrismaClient } = await import("../apps/api/src/generated/prisma/client.ts").catch((e: unknown) => {
      throw new Error(`generated client missing: run \`npx prisma generate\` (${(e as Error).message})`);
    });
    const { PrismaPg } = await import("@prisma/adapter-pg");
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
    try {
      const root = new Uint8Array(32).fill(7);
      const log = await prisma.log.create({ data: { origin: "signet.test/log", rootHash: root } });
      await prisma.logEntry.create({
        data: {
          logId: log.id,
          index: 2n ** 40n,
          leafHash: new Uint8Array(32).fill(1),
          body: new TextEncoder().encode("{}"),
          kind: "hashedrekord",
          apiVersion: "0.0.1",
          integratedTime: 1_700_000_000n,
          identity: "https://github.com/signet/repo/.github/workflows/release.yml@refs/heads/main",
        },
      });
      const found = await prisma.logEntry.findMany({ where: { logId: log.id, identity: { startsWith: "https://github.com/signet/" } } });
      expect(found.map((e) => e.index)).toEqual([2n ** 40n]);
      const reread = await prisma.log.findUniqueOrThrow({ where: { origin: "signet.test/log" } });
      expect(reread.treeSize).toBe(0n);
      expect(Array.from(reread.rootHash)).toEqual(Array.from(root));
      // The unique leaf hash per log is what de-duplicates identical submissions.
      const duplicate = await prisma.logEntry
        .create({ data: { logId: log.id, index: 1n, leafHash: new Uint8Array(32).fill(1), body: new Uint8Array(), kind: "x", apiVersion: "x", integratedTime: 0n } })
        .catch((e: unknown) => e);
      expect((duplicate as { code?: string }).code).toBe("P2002");
    } finally {
      await prisma.$disconnect();
    }
  });
});

describe("scripts/prisma/diff.ts", () => {
  it("--check exits 0 when migrations and schema agree", async () => {
    const { code, stdout } = await runCli(["--check"]);
    expect(code).toBe(0);
    expect(stdout).toBe("");
  });

  it("--check exits 1 and prints the missing SQL when they disagree", async () => {
    const schema = await schemaWithExtraField();
    const schemaFile = path.join(tmp, "extra.prisma");
    await writeFile(schemaFile, schema.files[0]!.content);
    const { code, stdout } = await runCli(["--check", "--schema", schemaFile]);
    expect(code).toBe(1);
    expect(stdout).toContain(`ADD COLUMN     "extra_field" TEXT`);
  });

  it("--create writes the migration that makes --check pass, and nothing when there is nothing to do", async () => {
    const dir = await migrationsWith({});
    const schemaFile = path.join(tmp, "extra-create.prisma");
    await writeFile(schemaFile, (await schemaWithExtraField()).files[0]!.content);
    const before = (await readdir(dir)).sort();

    const created = await runCli(["--create", "add_extra", "--schema", schemaFile, "--migrations", dir]);
    expect(created.code).toBe(0);
    const added = (await readdir(dir)).filter((n) => !before.includes(n));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatch(/^\d{14}_add_extra$/);
    expect(await readFile(path.join(dir, added[0]!, "migration.sql"), "utf8")).toContain(`"extra_field" TEXT`);

    expect((await runCli(["--check", "--schema", schemaFile, "--migrations", dir])).code).toBe(0);
    const again = await runCli(["--create", "more", "--schema", schemaFile, "--migrations", dir]);
    expect(again.code).toBe(0);
    expect((await readdir(dir)).length).toBe(before.length + 1);
  });

  it("rejects bad usage with exit code 2", async () => {
    expect((await runCli([])).code).toBe(2);
    expect((await runCli(["--check", "--create", "x"])).code).toBe(2);
    expect((await runCli(["--create", "Bad Name"])).code).toBe(2);
    expect((await runCli(["--bogus"])).code).toBe(2);
  });
});
