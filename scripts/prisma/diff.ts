/**
 * Offline stand-in for `prisma migrate dev --create-only` and for a drift check in CI, both run by
 * Prisma's own schema engine (wasm) on a shadow database this script creates and drops.
 *
 *   npx tsx scripts/prisma/diff.ts --create <name>   write prisma/migrations/<timestamp>_<name>/migration.sql
 *   npx tsx scripts/prisma/diff.ts --check           exit 1 and print the SQL when migrations ≠ schema
 *
 * Options: --schema <file|dir> (default prisma/schema.prisma), --migrations <dir> (default
 * prisma/migrations). Needs DATABASE_URL: a PostgreSQL server on which it may create databases.
 * Exit codes: 0 agree / migration written / nothing to write, 1 disagree (--check), 2 error.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { SchemaEngineError, diffMigrationsToSchema, getSchemaEnginePanic, planMigration, readMigrationList, readSchemaFiles } from "./engine.ts";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const MIGRATION_NAME = /^[a-z0-9][a-z0-9_]{0,99}$/;

class UsageError extends Error {}

function usage(): string {
  return "usage: npx tsx scripts/prisma/diff.ts (--check | --create <name>) [--schema <path>] [--migrations <dir>]";
}

/** Run the CLI with `argv` (without node and script); returns the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        check: { type: "boolean" },
        create: { type: "string" },
        schema: { type: "string" },
        migrations: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n${usage()}`);
    return 2;
  }
  if (values.help) {
    console.log(usage());
    return 0;
  }
  try {
    if (Boolean(values.check) === (values.create !== undefined)) throw new UsageError("give exactly one of --check and --create <name>");
    const databaseUrl = env.DATABASE_URL;
    if (!databaseUrl) throw new UsageError("DATABASE_URL is not set: it must point at a PostgreSQL server where this script may create and drop a shadow database");
    const schemaPath = path.resolve(REPO_ROOT, values.schema ?? "prisma/schema.prisma");
    const migrationsDir = path.resolve(REPO_ROOT, values.migrations ?? "prisma/migrations");
    const schema = await readSchemaFiles(schemaPath);
    const migrations = await readMigrationList(migrationsDir);

    if (values.check) {
      const sql = await diffMigrationsToSchema({ databaseUrl, migrations, schema });
      if (sql === "") {
        console.error(`ok: the ${migrations.migrationDirectories.length} migration(s) in ${path.relative(REPO_ROOT, migrationsDir)} produce exactly ${path.relative(REPO_ROOT, schemaPath)}`);
        return 0;
      }
      console.error(`DRIFT: ${path.relative(REPO_ROOT, schemaPath)} differs from what ${path.relative(REPO_ROOT, migrationsDir)} builds. Create a migration with\n  npx tsx scripts/prisma/diff.ts --create <name>\nThe missing SQL:`);
      process.stdout.write(sql.endsWith("\n") ? sql : `${sql}\n`);
      return 1;
    }

    const name = values.create!;
    if (!MIGRATION_NAME.test(name)) throw new UsageError(`migration name must match ${MIGRATION_NAME} (got ${JSON.stringify(name)})`);
    const planned = await planMigration({ databaseUrl, migrations, schema, name });
    if (!planned) {
      console.error("nothing to do: the migrations already produce the schema");
      return 0;
    }
    const dir = path.join(migrationsDir, planned.name);
    await mkdir(migrationsDir, { recursive: true });
    // Non-recursive: fail rather than overwrite an existing migration of the same name.
    await mkdir(dir);
    await writeFile(path.join(dir, "migration.sql"), planned.sql, "utf8");
    const lockPath = path.join(migrationsDir, migrations.lockfile.path);
    if ((await readFile(lockPath, "utf8").catch(() => null)) !== planned.lockfile) await writeFile(lockPath, planned.lockfile, "utf8");
    console.log(path.relative(process.cwd(), path.join(dir, "migration.sql")));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) console.error(`${e.message}\n${usage()}`);
    else if (e instanceof SchemaEngineError) console.error(`${e.code}: ${e.message}`);
    else console.error(e);
    return 2;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // A wasm panic traps inside a microtask: the trap surfaces here while the command in flight
  // is rejected with the panic message (see engine.ts), which main() reports.
  process.on("uncaughtException", (error) => {
    if (getSchemaEnginePanic() !== undefined) return;
    console.error(error);
    process.exit(2);
  });
  process.exitCode = await main(process.argv.slice(2));
}
