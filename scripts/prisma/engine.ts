/**
 * Prisma's own schema engine (the wasm build, `@prisma/schema-engine-wasm`) driven from Node 20
 * through the pg driver adapter, so migration SQL can be generated and checked on a machine that
 * cannot download the native engine. The traps each work-around below answers are listed in
 * RECIPES.md ("Prisma 7 offline").
 */
import { randomBytes } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import type {
  ErrorCapturingSqlMigrationAwareDriverAdapterFactory,
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
  SqlQuery,
  SqlQueryable,
  Transaction,
} from "@prisma/driver-adapter-utils";
import * as wasmBindings from "@prisma/schema-engine-wasm/schema_engine_bg";
import type { MigrationList, SchemaEngine, SchemasContainer } from "@prisma/schema-engine-wasm/schema_engine_bg";
import pg from "pg";
import { parseIntoClientConfig } from "pg-connection-string";

export type { MigrationList, SchemaEngine, SchemasContainer };

/** Stable codes for everything that can go wrong while driving the engine. */
export type SchemaEngineErrorCode =
  | "ERR_SCHEMA_ENGINE_INIT" // the wasm module or the engine could not start
  | "ERR_SCHEMA_ENGINE_COMMAND" // the engine rejected a command (bad schema, failing migration, ...)
  | "ERR_SCHEMA_ENGINE_PANIC" // the engine panicked: nothing may be called on it afterwards
  | "ERR_SCHEMA_ENGINE_DATABASE" // the database refused a statement of ours (shadow database set-up)
  | "ERR_SCHEMA_ENGINE_MIGRATIONS"; // the migrations folder is unusable

export class SchemaEngineError extends Error {
  override name = "SchemaEngineError";
  constructor(
    readonly code: SchemaEngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// ---------------------------------------------------------------------------------------------
// The wasm module
// ---------------------------------------------------------------------------------------------

/** Holds the last panic message: the engine's panic hook calls `set_message` before it aborts. */
class WasmPanicRegistry {
  private message = "";
  set_message(message: string): void {
    this.message = message;
  }
  take(): string {
    const message = this.message;
    this.message = "";
    return message;
  }
}

declare global {
  // eslint-disable-next-line no-var
  var PRISMA_WASM_PANIC_REGISTRY: WasmPanicRegistry | undefined;
}

let wasmLoaded = false;

/**
 * Instantiate `schema_engine_bg.wasm` once per process. The package's own entry point does
 * `import * as wasm from "./schema_engine_bg.wasm"`, which Node 20 only understands behind
 * --experimental-wasm-modules, so the bindings are wired to a hand-made instance instead.
 */
function loadWasm(): void {
  if (wasmLoaded) return;
  globalThis.PRISMA_WASM_PANIC_REGISTRY ??= new WasmPanicRegistry();
  const require = createRequire(import.meta.url);
  const bindingsPath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
  const wasmPath = path.join(path.dirname(bindingsPath), "schema_engine_bg.wasm");
  try {
    // Synchronous on purpose: every later call needs the instance, and this runs once.
    const bytes = require("node:fs").readFileSync(wasmPath) as Buffer;
    const module = new WebAssembly.Module(bytes);
    const instance = new WebAssembly.Instance(module, {
      "./schema_engine_bg.js": wasmBindings as unknown as WebAssembly.ModuleImports,
    });
    wasmBindings.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  } catch (e) {
    throw new SchemaEngineError("ERR_SCHEMA_ENGINE_INIT", `cannot instantiate ${wasmPath}: ${(e as Error).message}`, { cause: e });
  }
  wasmLoaded = true;
}

/** The git hash of the wasm engine build (matches the native engine of the same Prisma release). */
export function getSchemaEngineVersion(): string {
  loadWasm();
  return wasmBindings.version();
}

// ---------------------------------------------------------------------------------------------
// The driver adapter, with adapter-pg 7.10's gaps filled
// ---------------------------------------------------------------------------------------------

const PG_CHAR_OID = 18; // PostgreSQL's one-byte internal "char" (pg_class.relkind, pg_constraint.contype, ...)
const PG_TEXT_OID = 25;

/** The parts of adapter-pg's queryable that the fixes below reach into (version pinned to 7.10.0). */
interface PgQueryableInternals {
  performIO(query: SqlQuery): Promise<pg.QueryResult>;
  onError(error: unknown): never;
}

function internalsOf(queryable: SqlQueryable): PgQueryableInternals {
  const internals = queryable as unknown as Partial<PgQueryableInternals>;
  if (typeof internals.performIO !== "function" || typeof internals.onError !== "function") {
    throw new SchemaEngineError("ERR_SCHEMA_ENGINE_INIT", "@prisma/adapter-pg changed shape (performIO/onError missing): re-check scripts/prisma/engine.ts against the installed version");
  }
  return internals as PgQueryableInternals;
}

/**
 * adapter-pg 7.10 has no column type for `"char"` (OID 18) and fails every catalog query of the
 * engine that returns one; its text form is exactly the character, so report it as text.
 */
function readCharColumnsAsText(queryable: SqlQueryable): void {
  const internals = internalsOf(queryable);
  const performIO = internals.performIO.bind(queryable);
  internals.performIO = async (query) => {
    const result = await performIO(query);
    for (const field of result.fields) if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    return result;
  };
}

/**
 * The adapter as the engine needs it: `"char"` readable, and scripts sent as ONE query. adapter-pg
 * splits scripts on every `;`, which breaks `$$` bodies and string literals; PostgreSQL's simple
 * query protocol runs a multi-statement script as one implicit transaction, as Prisma's native
 * engine and Signet's runner (apps/api/src/db/migrate.ts) both do.
 */
function fixAdapter(adapter: SqlDriverAdapter, pool: pg.Pool): SqlDriverAdapter {
  readCharColumnsAsText(adapter);
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) => {
    const tx: Transaction = await startTransaction(isolationLevel);
    readCharColumnsAsText(tx);
    return tx;
  };
  const { onError } = internalsOf(adapter);
  adapter.executeScript = async (script: string) => {
    try {
      await pool.query(script);
    } catch (error) {
      onError.call(adapter, error);
    }
  };
  return adapter;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * An adapter factory over `databaseUrl` whose shadow databases are real, separate databases on
 * the same server: adapter-pg's own `connectToShadowDb` spreads `{...config, database}` over a
 * config holding `connectionString`, and pg lets the string win, so its "shadow" is the main DB.
 */
export function createAdapterFactory(databaseUrl: string): SqlMigrationAwareDriverAdapterFactory {
  const baseConfig = parseIntoClientConfig(databaseUrl);

  async function connectTo(config: pg.PoolConfig, release?: () => Promise<void>): Promise<SqlDriverAdapter> {
    // One connection is enough for the engine and keeps a shadow database droppable.
    const pool = new pg.Pool({ ...config, max: 1 });
    const adapter = await new PrismaPg(pool, { disposeExternalPool: true }).connect();
    fixAdapter(adapter, pool);
    if (release) {
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        try {
          await dispose();
        } finally {
          await release();
        }
      };
    }
    return adapter;
  }

  async function admin<T>(sql: string): Promise<void> {
    const client = new pg.Client(baseConfig);
    await client.connect();
    try {
      await client.query(sql);
    } catch (e) {
      throw new SchemaEngineError("ERR_SCHEMA_ENGINE_DATABASE", `${sql}: ${(e as Error).message}`, { cause: e });
    } finally {
      await client.end();
    }
  }

  return {
    provider: "postgres",
    adapterName: "@prisma/adapter-pg",
    connect: () => connectTo(baseConfig),
    async connectToShadowDb() {
      const name = `signet_shadow_${process.pid}_${randomBytes(6).toString("hex")}`;
      await admin(`CREATE DATABASE ${quoteIdent(name)}`);
      try {
        return await connectTo({ ...baseConfig, database: name }, () => admin(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
      } catch (e) {
        await admin(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
        throw e;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The engine
// ---------------------------------------------------------------------------------------------

/** A running wasm schema engine bound to one database server. */
export interface OpenSchemaEngine {
  readonly engine: SchemaEngine;
  /** Call an engine method, turning its errors into SchemaEngineError with the real cause. */
  run<T>(command: string, call: (engine: SchemaEngine) => Promise<T>): Promise<T>;
  /** Free the engine and close its main connection. */
  close(): Promise<void>;
}

/**
 * The engine reports driver errors as `External error id#N`; the adapter binding keeps the
 * original error under N. Panics leave their message in the panic registry.
 */
function toSchemaEngineError(command: string, error: unknown, factory: ErrorCapturingSqlMigrationAwareDriverAdapterFactory): SchemaEngineError {
  const panic = globalThis.PRISMA_WASM_PANIC_REGISTRY?.take();
  if (panic || (error instanceof Error && error.name === "RuntimeError")) {
    return new SchemaEngineError("ERR_SCHEMA_ENGINE_PANIC", `schema engine panicked in ${command}: ${panic || (error as Error).message}`, { cause: error });
  }
  let message = error instanceof Error ? error.message : typeof error === "string" ? error : JSON.stringify(error);
  message = message.replace(/External error id#(\d+)/g, (whole, id: string) => {
    const record = factory.errorRegistry.consumeError(Number(id));
    if (!record) return whole;
    const inner = record.error as { message?: unknown; cause?: unknown };
    const detail = inner.cause && typeof inner.cause === "object" ? JSON.stringify(inner.cause) : String(inner.message ?? inner);
    return `driver error ${detail}`;
  });
  return new SchemaEngineError("ERR_SCHEMA_ENGINE_COMMAND", `${command}: ${message}`, { cause: error });
}

/** Start the wasm schema engine against `databaseUrl` (its main database; shadows are created beside it). */
export async function openSchemaEngine(options: { databaseUrl: string; log?: (line: string) => void }): Promise<OpenSchemaEngine> {
  loadWasm();
  const factory = bindMigrationAwareSqlAdapterFactory(createAdapterFactory(options.databaseUrl));
  const log = options.log ?? (() => {});
  let engine: SchemaEngine;
  try {
    engine = await wasmBindings.SchemaEngine.new({ datamodels: undefined }, (line: string) => log(line), factory);
  } catch (e) {
    const error = toSchemaEngineError("SchemaEngine.new", e, factory);
    throw new SchemaEngineError(error.code === "ERR_SCHEMA_ENGINE_PANIC" ? error.code : "ERR_SCHEMA_ENGINE_INIT", error.message, { cause: e });
  }
  let closed = false;
  return {
    engine,
    async run(command, call) {
      if (closed) throw new SchemaEngineError("ERR_SCHEMA_ENGINE_COMMAND", `${command}: the engine is closed`);
      try {
        return await call(engine);
      } catch (e) {
        throw toSchemaEngineError(command, e, factory);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      // free() drops the Rust side, whose connector disposes the main adapter (its pg pool).
      engine.free();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Inputs, read the way the Prisma CLI reads them
// ---------------------------------------------------------------------------------------------

/** Read `prisma/migrations` into the engine's MigrationList (directories sorted by name, as the CLI does). */
export async function readMigrationList(migrationsDir: string, shadowDbInitScript = ""): Promise<MigrationList> {
  const baseDir = path.resolve(migrationsDir);
  const lockfilePath = "migration_lock.toml";
  const lockContent = await readFile(path.join(baseDir, lockfilePath), "utf8").catch(() => null);
  let entries;
  try {
    entries = await readdir(baseDir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new SchemaEngineError("ERR_SCHEMA_ENGINE_MIGRATIONS", `cannot read ${baseDir}: ${(e as Error).message}`, { cause: e });
    }
    entries = [];
  }
  const directories = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const migrationDirectories = await Promise.all(
    directories.map(async (dir) => {
      const file = "migration.sql";
      const content = await readFile(path.join(baseDir, dir, file), "utf8").then(
        (value) => ({ tag: "ok" as const, value }),
        (e: Error) => ({ tag: "error" as const, value: e.message }),
      );
      return { path: dir, migrationFile: { path: file, content } };
    }),
  );
  return { baseDir, lockfile: { path: lockfilePath, content: lockContent }, shadowDbInitScript, migrationDirectories };
}

/** Read a schema file, or every `.prisma` file under a folder, into the engine's SchemasContainer. */
export async function readSchemaFiles(schemaPath: string): Promise<SchemasContainer> {
  const resolved = path.resolve(schemaPath);
  const entries = await readdir(resolved, { withFileTypes: true, recursive: true }).catch(() => null);
  const files = entries
    ? entries.filter((e) => e.isFile() && e.name.endsWith(".prisma")).map((e) => path.join(e.parentPath, e.name)).sort()
    : [resolved];
  return { files: await Promise.all(files.map(async (p) => ({ path: p, content: await readFile(p, "utf8") }))) };
}

const NO_FILTER = { externalTables: [], externalEnums: [] };

/**
 * The SQL that takes a database built by replaying `migrations` (on a fresh shadow database) to
 * the state `schema` describes; "" when they agree. Same engine call as
 * `prisma migrate diff --from-migrations … --to-schema … --script`.
 */
export async function diffMigrationsToSchema(options: {
  databaseUrl: string;
  migrations: MigrationList;
  schema: SchemasContainer;
}): Promise<string> {
  const opened = await openSchemaEngine({ databaseUrl: options.databaseUrl });
  try {
    const result = await opened.run("diff", (engine) =>
      engine.diff({
        from: { tag: "migrations", ...options.migrations },
        to: { tag: "schemaDatamodel", ...options.schema },
        script: true,
        exitCode: true,
        filters: NO_FILTER,
      }),
    );
    return result.exitCode === 0 ? "" : (result.stdout ?? "");
  } finally {
    await opened.close();
  }
}

/**
 * The SQL that takes the live database at `databaseUrl` to `schema`; "" when they agree
 * (`prisma migrate diff --from-url … --to-schema … --script`).
 */
export async function diffDatabaseToSchema(options: { databaseUrl: string; schema: SchemasContainer }): Promise<string> {
  const opened = await openSchemaEngine({ databaseUrl: options.databaseUrl });
  try {
    const result = await opened.run("diff", (engine) =>
      engine.diff({
        from: { tag: "url", url: options.databaseUrl },
        to: { tag: "schemaDatamodel", ...options.schema },
        script: true,
        exitCode: true,
        filters: NO_FILTER,
      }),
    );
    return result.exitCode === 0 ? "" : (result.stdout ?? "");
  } finally {
    await opened.close();
  }
}

/**
 * What Prisma would write for `prisma migrate dev --create-only --name <name>`: the migration
 * name it generates (`<UTC timestamp>_<name>`) and its SQL, or null when the migrations already
 * reach the schema. Writes nothing.
 */
export async function planMigration(options: {
  databaseUrl: string;
  migrations: MigrationList;
  schema: SchemasContainer;
  name: string;
}): Promise<{ name: string; sql: string; lockfile: string } | null> {
  const opened = await openSchemaEngine({ databaseUrl: options.databaseUrl });
  try {
    const out = await opened.run("createMigration", (engine) =>
      engine.createMigration({
        draft: false,
        migrationName: options.name,
        migrationsList: options.migrations,
        schema: options.schema,
        filters: NO_FILTER,
      }),
    );
    if (out.migrationScript === null) return null;
    const lockfile = `# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "${out.connectorType}"\n`;
    return { name: out.generatedMigrationName, sql: out.migrationScript, lockfile };
  } finally {
    await opened.close();
  }
}

/**
 * Prisma's own view of a database's migration history against the folder (what
 * `prisma migrate status` reports): which migrations are unapplied, edited or failed.
 */
export async function diagnoseMigrationHistory(options: { databaseUrl: string; migrations: MigrationList }) {
  const opened = await openSchemaEngine({ databaseUrl: options.databaseUrl });
  try {
    return await opened.run("diagnoseMigrationHistory", (engine) =>
      engine.diagnoseMigrationHistory({ migrationsList: options.migrations, optInToShadowDatabase: false, filters: NO_FILTER }),
    );
  } finally {
    await opened.close();
  }
}
