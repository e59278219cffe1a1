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
  query<Rows extends unknown[] = unknown[]>(text: string, params: readonly unknown[]): Promise<Rows>;
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
  return { query: async <Rows extends unknown[]>(text: string, params: readonly unknown[]) => (await pool.query(text, params as unknown[])).rows as Rows };
}
