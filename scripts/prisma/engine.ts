/**
 * Prisma's own schema engine (the wasm build, `@prisma/schema-engine-wasm`) driven from Node 20
 * through the pg driver adapter, so migration SQL can be generated and checked on a machine that
 * cannot download the native engine. The traps each work-around below answers are listed in
 * RECIPES.md ("Prisma 7 offline").
 */
import { randomBytes } from "node:crypto";
import { readFileSync, type Dirent } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { ColumnTypeEnum, bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
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

/**
 * Receives the panic message: the engine's panic hook calls `set_message` just before the wasm
 * instance traps. The trap itself escapes from a microtask as an uncaught `RuntimeError`, and
 * the command's promise never settles, so commands in flight are rejected from here.
 */
class WasmPanicRegistry {
  message: string | undefined;
  private readonly listeners = new Set<(message: string) => void>();
  set_message(message: string): void {
    this.message = message;
    for (const listener of this.listeners) listener(message);
  }
  onPanic(listener: (message: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

declare global {
  var PRISMA_WASM_PANIC_REGISTRY: WasmPanicRegistry | undefined;
}

const panics = new WasmPanicRegistry();

/**
 * The panic message if the wasm engine has panicked in this process, else undefined. After a
 * panic no engine call is safe: the process must start afresh.
 */
export function getSchemaEnginePanic(): string | undefined {
  return panics.message;
}

function assertNotPanicked(): void {
  if (panics.message !== undefined) {
    throw new SchemaEngineError("ERR_SCHEMA_ENGINE_PANIC", `the schema engine panicked earlier in this process: ${panics.message}`);
  }
}

/** The slice of the WebAssembly JS API used here (lib ES2022 and @types/node 20 do not declare it). */
interface WebAssemblyJsApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, object>) => { exports: Record<string, unknown> };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WebAssemblyJsApi }).WebAssembly;

let wasmLoaded = false;

/**
 * Instantiate `schema_engine_bg.wasm` once per process. The package's own entry point does
 * `import * as wasm from "./schema_engine_bg.wasm"`, which Node 20 only understands behind
 * --experimental-wasm-modules, so the bindings are wired to a hand-made instance instead.
 */
function loadWasm(): void {
  assertNotPanicked();
  if (wasmLoaded) return;
  // The bindings look the registry up by this global name at panic time.
  globalThis.PRISMA_WASM_PANIC_REGISTRY = panics;
  const require = createRequire(import.meta.url);
  const bindingsPath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
  const wasmPath = path.join(path.dirname(bindingsPath), "schema_engine_bg.wasm");
  try {
    // Synchronous on purpose: every later call needs the instance, and this runs once.
    const bytes = readFileSync(wasmPath);
    const module = new WebAssemblyApi.Module(bytes);
    const instance = new WebAssemblyApi.Instance(module, { "./schema_engine_bg.js": wasmBindings });
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
 * engine that returns one. The engine reads those columns as a Rust `char` (a Text column makes
 * it panic, e.g. on `pg_constraint.contype` once a CHECK constraint exists), so they must come
 * back as ColumnType Character. The driver's text form is already the one character: let
 * adapter-pg see text, remember which columns were `"char"` (keyed by the result's rows array,
 * which queryRaw passes through untouched), and retype them.
 */
function readCharColumnsAsCharacter(queryable: SqlQueryable): void {
  const internals = internalsOf(queryable);
  const charColumns = new WeakMap<unknown[], number[]>();
  const performIO = internals.performIO.bind(queryable);
  internals.performIO = async (query) => {
    const result = await performIO(query);
    const indexes: number[] = [];
    result.fields.forEach((field, i) => {
      if (field.dataTypeID === PG_CHAR_OID) {
        field.dataTypeID = PG_TEXT_OID;
        indexes.push(i);
      }
    });
    if (indexes.length > 0) charColumns.set(result.rows, indexes);
    return result;
  };
  const queryRaw = queryable.queryRaw.bind(queryable);
  queryable.queryRaw = async (query) => {
    const result = await queryRaw(query);
    for (const i of charColumns.get(result.rows) ?? []) result.columnTypes[i] = ColumnTypeEnum.Character;
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
  readCharColumnsAsCharacter(adapter);
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) => {
    const tx: Transaction = await startTransaction(isolationLevel);
    readCharColumnsAsCharacter(tx);
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

/** A driver adapter factory that can also close every connection it handed out. */
export interface ClosableAdapterFactory extends SqlMigrationAwareDriverAdapterFactory {
  /** Dispose every adapter still open (the engine does not dispose its main one when freed). */
  closeAll(): Promise<void>;
}

/**
 * An adapter factory over `databaseUrl` whose shadow databases are real, separate databases on
 * the same server: adapter-pg's own `connectToShadowDb` spreads `{...config, database}` over a
 * config holding `connectionString`, and pg lets the string win, so its "shadow" is the main DB.
 */
export function createAdapterFactory(databaseUrl: string): ClosableAdapterFactory {
  if (!databaseUrl) throw new SchemaEngineError("ERR_SCHEMA_ENGINE_INIT", "no database URL given (set DATABASE_URL)");
  const baseConfig = parseIntoClientConfig(databaseUrl);
  const open = new Set<() => Promise<void>>();

  async function connectTo(config: pg.PoolConfig, release?: () => Promise<void>): Promise<SqlDriverAdapter> {
    // One connection is enough for the engine and keeps a shadow database droppable.
    const pool = new pg.Pool({ ...config, max: 1 });
    const adapter = await new PrismaPg(pool, { disposeExternalPool: true }).connect();
    fixAdapter(adapter, pool);
    const dispose = adapter.dispose.bind(adapter);
    let disposed: Promise<void> | undefined;
    const disposeOnce = () =>
      (disposed ??= (async () => {
        open.delete(disposeOnce);
        try {
          await dispose();
        } finally {
          await release?.();
        }
      })());
    adapter.dispose = disposeOnce;
    open.add(disposeOnce);
    return adapter;
  }

  async function admin(sql: string): Promise<void> {
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
      const drop = () => admin(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      await admin(`CREATE DATABASE ${quoteIdent(name)}`);
      try {
        return await connectTo({ ...baseConfig, database: name }, drop);
      } catch (e) {
        await drop();
        throw e;
      }
    },
    async closeAll() {
      const results = await Promise.allSettled([...open].map((dispose) => dispose()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
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
 * original error under N.
 */
function toSchemaEngineError(command: string, error: unknown, factory: ErrorCapturingSqlMigrationAwareDriverAdapterFactory): SchemaEngineError {
  if (error instanceof SchemaEngineError) return error;
  if (panics.message !== undefined) {
    return new SchemaEngineError("ERR_SCHEMA_ENGINE_PANIC", `schema engine panicked in ${command}: ${panics.message}`, { cause: error });
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

/** Settle `promise`, or reject as soon as the wasm engine panics (its promise would never settle). */
async function unlessPanic<T>(command: string, promise: Promise<T>): Promise<T> {
  let stop = () => {};
  const panicked = new Promise<never>((_, reject) => {
    const off = panics.onPanic((message) => reject(new SchemaEngineError("ERR_SCHEMA_ENGINE_PANIC", `schema engine panicked in ${command}: ${message}`)));
    stop = () => void off();
  });
  try {
    return await Promise.race([promise, panicked]);
  } finally {
    stop();
  }
}

/** Start the wasm schema engine against `databaseUrl` (its main database; shadows are created beside it). */
export async function openSchemaEngine(options: { databaseUrl: string; log?: (line: string) => void }): Promise<OpenSchemaEngine> {
  loadWasm();
  const adapters = createAdapterFactory(options.databaseUrl);
  const factory = bindMigrationAwareSqlAdapterFactory(adapters);
  const log = options.log ?? (() => {});
  let engine: SchemaEngine;
  try {
    engine = await unlessPanic("SchemaEngine.new", wasmBindings.SchemaEngine.new({ datamodels: undefined }, (line: string) => log(line), factory));
  } catch (e) {
    await adapters.closeAll().catch(() => {});
    const error = toSchemaEngineError("SchemaEngine.new", e, factory);
    throw error.code === "ERR_SCHEMA_ENGINE_COMMAND" ? new SchemaEngineError("ERR_SCHEMA_ENGINE_INIT", error.message, { cause: e }) : error;
  }
  let closed = false;
  return {
    engine,
    async run(command, call) {
      if (closed) throw new SchemaEngineError("ERR_SCHEMA_ENGINE_COMMAND", `${command}: the engine is closed`);
      assertNotPanicked();
      try {
        return await unlessPanic(command, call(engine));
      } catch (e) {
        throw toSchemaEngineError(command, e, factory);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      // After a panic the instance is poisoned: only the connections can still be closed.
      if (panics.message === undefined) engine.free();
      await adapters.closeAll();
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
  let entries: Dirent[];
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
 * (`prisma migrate diff --from-config-datasource --to-schema … --script`). Prisma 7 dropped
 * `url` diff targets: `schemaDatasource` introspects the database the engine is connected to.
 */
export async function diffDatabaseToSchema(options: { databaseUrl: string; schema: SchemasContainer }): Promise<string> {
  const opened = await openSchemaEngine({ databaseUrl: options.databaseUrl });
  try {
    const result = await opened.run("diff", (engine) =>
      engine.diff({
        from: { tag: "schemaDatasource", files: options.schema.files, configDir: path.dirname(options.schema.files[0]?.path ?? ".") },
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

/** Prisma's migration folder name: `<UTC YYYYMMDDHHMMSS>_<name>`. */
export function toMigrationName(name: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `${stamp}_${name}`;
}

const LOCKFILE_HEADER = "# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\n";

/**
 * What `prisma migrate dev --create-only --name <name>` would write: the folder name and the SQL
 * taking the migrations to the schema, or null when they already agree. Writes nothing.
 * The wasm engine's own `createMigration` cannot reach a shadow database (it is not given the
 * adapter factory: "PostgreSQL shadow DB must be provided through an external factory"), so the
 * SQL comes from `diff`, which renders migration scripts with the same code.
 */
export async function planMigration(options: {
  databaseUrl: string;
  migrations: MigrationList;
  schema: SchemasContainer;
  name: string;
  now?: Date;
}): Promise<{ name: string; sql: string; lockfile: string } | null> {
  const sql = await diffMigrationsToSchema(options);
  if (sql === "") return null;
  const name = toMigrationName(options.name, options.now);
  const last = options.migrations.migrationDirectories.at(-1)?.path;
  if (last !== undefined && name <= last) {
    throw new SchemaEngineError("ERR_SCHEMA_ENGINE_MIGRATIONS", `new migration ${name} would not sort after the last one (${last}): check the clock`);
  }
  return { name, sql, lockfile: `${LOCKFILE_HEADER}provider = "postgresql"\n` };
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
