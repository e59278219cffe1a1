import { createHash } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client.ts";

const pools = new WeakMap<PrismaClient, pg.Pool>();

/**
 * A Prisma client on PostgreSQL through the pg driver adapter, over a pg pool that `sqlOf` also
 * hands out (the pool ends with the client's $disconnect).
 */
export function createDb(connectionString: string, { max = 10 }: { max?: number } = {}): PrismaClient {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5_000 });
  // An idle connection the server closed (restart, administrator command) is dropped by the pool and
  // the next query opens another; without a listener that event would be an uncaught exception.
  pool.on("error", () => undefined);
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(db, pool);
  return db;
}

export type Db = PrismaClient;

/** Parameterised SQL straight on the driver: rows as pg returns them (int8 as strings, bytea as Buffers). */
export interface Sql {
  /**
   * `prepare`: run it as a named statement, parsed and planned once per connection (see `preparedName`).
   * Only for statements whose generic plan has been checked to be as good as the per-call one.
   */
  query<Rows extends unknown[] = unknown[]>(text: string, params: readonly unknown[], options?: { prepare?: boolean }): Promise<Rows>;
}

/**
 * Raw SQL on the connection pool under a client made by createDb, for the transparency log's hot
 * statements: Prisma's raw-query path (argument and result conversion in its client engine) cost
 * ~100 µs of CPU per appended entry in the log bench, a fifth of the api's total. The schema and its
 * migrations stay Prisma's; the statements are the same raw SQL either way.
 */
export function sqlOf(db: Db): Sql {
  const pool = pools.get(db);
  if (!pool) throw new Error("sqlOf: this Prisma client was not made by createDb");
  return {
    query: async <Rows extends unknown[]>(text: string, params: readonly unknown[], options?: { prepare?: boolean }) =>
      (await pool.query({ name: options?.prepare ? preparedName(text) : undefined, text, values: params as unknown[] })).rows as Rows,
  };
}

/**
 * Hot write statements (a log batch's commit, the CA's certificate records) are prepared once per
 * connection instead of parsed, analysed and planned on every execution: pg_stat_statements in the CA
 * bench showed planning alone at ~0.34 ms per log commit (execution ~0.65 ms) and ~0.05 ms per record
 * INSERT. Only statements whose plan cannot depend on the data qualify (inserts, updates by primary key):
 * after five executions PostgreSQL may keep a generic plan, made once, and for the log's de-duplication
 * lookup (`leaf_hash = ANY($2)`, also tried as a join on the unnested array) that plan, made while the
 * table was small, took 4–7 ms per lookup where the per-call plan takes 0.05 ms. The name is a digest of
 * the text, so one name always means one text; past MAX_PREPARED distinct texts statements go unnamed.
 */
const MAX_PREPARED = 64;
const preparedNames = new Map<string, string>();

export function preparedName(text: string): string | undefined {
  let name = preparedNames.get(text);
  if (name === undefined && preparedNames.size < MAX_PREPARED) {
    name = `signet_${createHash("sha256").update(text).digest("hex").slice(0, 32)}`;
    preparedNames.set(text, name);
  }
  return name;
}
