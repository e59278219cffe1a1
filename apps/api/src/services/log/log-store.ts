/**
 * The log's storage: PostgreSQL through Prisma, raw SQL on the hot paths (bulk inserts with unnest,
 * batched tile reads). One row per log is the tree head; `commitBatch` advances it with a
 * compare-and-swap on `version` in the same transaction that writes the entries, the tiles and the
 * signed checkpoint, so a commit is all of them or none.
 */
import { asBuffer as buf, packBytes } from "../../bytes.ts";
import { sqlOf, type Db } from "../../db.ts";
import type { TileWrite } from "./tree-state.ts";

export interface LogHead {
  id: number;
  origin: string;
  size: bigint;
  rootHash: Buffer;
  version: bigint;
  checkpoint: string | null;
  createdAt: Date;
}

export interface StoredEntry {
  index: bigint;
  leafHash: Buffer;
  body: Buffer;
  kind: string;
  apiVersion: string;
  integratedTime: bigint;
}

export interface NewEntry extends StoredEntry {
  artifactDigest?: string | undefined;
  identity?: string | undefined;
  issuer?: string | undefined;
  certFingerprint?: string | undefined;
}

export interface StoredTile {
  level: number;
  index: bigint;
  width: number;
  hashes: Buffer;
}

/** Another writer advanced the tree head: this process must stop integrating (no fork). */
export class TreeHeadConflictError extends Error {
  override name = "TreeHeadConflictError";
}


interface HeadRow {
  id: number;
  origin: string;
  tree_size: bigint;
  root_hash: Uint8Array;
  version: bigint;
  checkpoint_note: string | null;
  created_at: Date;
}

interface EntryRow {
  index: bigint;
  leaf_hash: Uint8Array;
  body: Uint8Array;
  kind: string;
  api_version: string;
  integrated_time: bigint;
}

const toHead = (r: HeadRow): LogHead => ({
  id: r.id,
  origin: r.origin,
  size: BigInt(r.tree_size),
  rootHash: buf(r.root_hash),
  version: BigInt(r.version),
  checkpoint: r.checkpoint_note,
  createdAt: r.created_at,
});

const toEntry = (r: EntryRow): StoredEntry => ({
  index: BigInt(r.index),
  leafHash: buf(r.leaf_hash),
  body: buf(r.body),
  kind: r.kind,
  apiVersion: r.api_version,
  integratedTime: BigInt(r.integrated_time),
});

const ENTRY_COLUMNS = `index, leaf_hash, body, kind, api_version, integrated_time`;

export function createLogStore(db: Db) {
  const sql = sqlOf(db);
  return {
    /** The head row of `origin`, created empty (size 0, root of the empty tree) on first use. */
    async ensureLog(origin: string, emptyRoot: Uint8Array): Promise<LogHead> {
      await sql.query(
        `INSERT INTO logs (origin, root_hash, tree_size, version, updated_at) VALUES ($1, $2, 0, 0, now()) ON CONFLICT (origin) DO NOTHING`,
        [origin, buf(emptyRoot)],
      );
      const rows = await sql.query<HeadRow[]>(
        `SELECT id, origin, tree_size, root_hash, version, checkpoint_note, created_at FROM logs WHERE origin = $1`,
        [origin],
      );
      return toHead(rows[0]!);
    },

    async readHead(logId: number): Promise<LogHead> {
      const rows = await sql.query<HeadRow[]>(
        `SELECT id, origin, tree_size, root_hash, version, checkpoint_note, created_at FROM logs WHERE id = $1`,
        [logId],
      );
      if (!rows[0]) throw new Error(`log ${logId} does not exist`);
      return toHead(rows[0]);
    },

    /** Tiles by (level, index), in one query. */
    async readTiles(logId: number, keys: readonly { level: number; index: bigint }[]): Promise<StoredTile[]> {
      if (keys.length === 0) return [];
      const rows = await sql.query<{ level: number; index: bigint; width: number; hashes: Uint8Array }[]>(
        `SELECT t.level, t.index, t.width, t.hashes FROM log_tiles t
         JOIN unnest($2::int[], $3::bigint[]) AS k(level, index) ON t.level = k.level AND t.index = k.index
         WHERE t.log_id = $1`,
        [logId, keys.map((k) => k.level), keys.map((k) => k.index)],
      );
      return rows.map((r) => ({ level: r.level, index: BigInt(r.index), width: r.width, hashes: buf(r.hashes) }));
    },

    /** Existing entries with any of these leaf hashes (de-duplication). */
    async findByLeafHashes(logId: number, hashes: readonly Uint8Array[]): Promise<StoredEntry[]> {
      if (hashes.length === 0) return [];
      const rows = await sql.query<EntryRow[]>(
        `SELECT ${ENTRY_COLUMNS} FROM log_entries WHERE log_id = $1 AND leaf_hash = ANY($2::bytea[])`,
        [logId, hashes.map(buf)],
      );
      return rows.map(toEntry);
    },

    async entryByIndex(logId: number, index: bigint): Promise<StoredEntry | undefined> {
      const rows = await sql.query<EntryRow[]>(`SELECT ${ENTRY_COLUMNS} FROM log_entries WHERE log_id = $1 AND index = $2`, [logId, index]);
      return rows[0] ? toEntry(rows[0]) : undefined;
    },

    async entriesByIndexes(logId: number, indexes: readonly bigint[]): Promise<StoredEntry[]> {
      if (indexes.length === 0) return [];
      const rows = await sql.query<EntryRow[]>(
        `SELECT ${ENTRY_COLUMNS} FROM log_entries WHERE log_id = $1 AND index = ANY($2::bigint[]) ORDER BY index`,
        [logId, [...indexes]],
      );
      return rows.map(toEntry);
    },

    /** Entries [start, end) in index order. */
    async entriesInRange(logId: number, start: bigint, end: bigint): Promise<StoredEntry[]> {
      const rows = await sql.query<EntryRow[]>(
        `SELECT ${ENTRY_COLUMNS} FROM log_entries WHERE log_id = $1 AND index >= $2 AND index < $3 ORDER BY index`,
        [logId, start, end],
      );
      return rows.map(toEntry);
    },

    async lastIntegratedTime(logId: number): Promise<bigint> {
      const rows = await sql.query<{ integrated_time: bigint }[]>(
        `SELECT integrated_time FROM log_entries WHERE log_id = $1 ORDER BY index DESC LIMIT 1`,
        [logId],
      );
      return rows[0] ? BigInt(rows[0].integrated_time) : 0n;
    },

    async checkpointAt(logId: number, size: bigint): Promise<{ size: bigint; rootHash: Buffer; note: string } | undefined> {
      const rows = await sql.query<{ size: bigint; root_hash: Uint8Array; note: string }[]>(
        `SELECT size, root_hash, note FROM checkpoints WHERE log_id = $1 AND size = $2`,
        [logId, size],
      );
      const r = rows[0];
      return r ? { size: BigInt(r.size), rootHash: buf(r.root_hash), note: r.note } : undefined;
    },

    /** Checkpoints newest first, below `beforeSize` when given. */
    async checkpoints(logId: number, { limit, beforeSize }: { limit: number; beforeSize?: bigint }) {
      const rows = await sql.query<{ size: bigint; root_hash: Uint8Array; note: string; created_at: Date }[]>(
        `SELECT size, root_hash, note, created_at FROM checkpoints WHERE log_id = $1 AND ($2::bigint IS NULL OR size < $2) ORDER BY size DESC LIMIT $3`,
        [logId, beforeSize ?? null, limit],
      );
      return rows.map((r) => ({ size: BigInt(r.size), rootHash: buf(r.root_hash), note: r.note, createdAt: r.created_at }));
    },

    /** Every checkpoint in size order, streamed in pages (fsck). */
    async *allCheckpoints(logId: number, pageSize = 1000) {
      let after = -1n;
      for (;;) {
        const rows = await sql.query<{ size: bigint; root_hash: Uint8Array; note: string }[]>(
          `SELECT size, root_hash, note FROM checkpoints WHERE log_id = $1 AND size > $2 ORDER BY size LIMIT $3`,
          [logId, after, pageSize],
        );
        if (rows.length === 0) return;
        for (const r of rows) yield { size: BigInt(r.size), rootHash: buf(r.root_hash), note: r.note };
        after = BigInt(rows[rows.length - 1]!.size);
      }
    },

    /**
     * Commit a batch: advance the tree head from `expectedVersion` (compare-and-swap), insert the
     * entries, upsert the tiles (a tile only ever grows), and record the signed checkpoint, in one
     * transaction. Throws TreeHeadConflictError when another writer moved the head.
     */
    async commitBatch(input: {
      logId: number;
      expectedVersion: bigint;
      size: bigint;
      rootHash: Uint8Array;
      checkpoint: string;
      entries: readonly NewEntry[];
      tiles: readonly TileWrite[];
    }): Promise<bigint> {
      const { logId, entries, tiles } = input;
      // The byte strings travel as one binary parameter each, cut apart by offset in the statement (packBytes).
      const leafHashes = Buffer.concat(entries.map((e) => e.leafHash));
      if (leafHashes.length !== entries.length * 32) throw new Error("commitBatch: every leaf hash must be 32 bytes");
      const bodies = packBytes(entries.map((e) => e.body));
      const tileHashes = packBytes(tiles.map((t) => t.hashes));
      // One statement, so one round trip and one implicit transaction: the head's compare-and-swap
      // gates every insert (a lost race inserts nothing and returns no row), and either all of it
      // commits or none does. Round trips matter here: each one is paid once per batch, in series.
      const rows = await sql.query<{ version: bigint }[]>(
        `WITH head AS (
           UPDATE logs SET tree_size = $3, root_hash = $4, checkpoint_note = $5, version = version + 1, updated_at = now()
           WHERE id = $1 AND version = $2 RETURNING version
         ), new_entries AS (
           INSERT INTO log_entries (log_id, index, leaf_hash, body, kind, api_version, integrated_time, artifact_digest, identity, issuer, cert_fingerprint)
           SELECT $1, e.i, substring($7::bytea FROM ((e.n - 1) * 32 + 1)::int FOR 32), substring($8::bytea FROM e.bo + 1 FOR e.bl), e.k, e.v, e.t, e.d, e.id, e.iss, e.fp
           FROM unnest($6::bigint[], $20::int[], $21::int[], $9::text[], $10::text[], $11::bigint[], $12::text[], $13::text[], $14::text[], $15::text[])
             WITH ORDINALITY AS e(i, bo, bl, k, v, t, d, id, iss, fp, n)
           WHERE EXISTS (SELECT 1 FROM head)
         ), new_tiles AS (
           INSERT INTO log_tiles (log_id, level, index, width, hashes)
           SELECT $1, t.l, t.i, t.w, substring($19::bytea FROM t.o + 1 FOR t.w * 32)
           FROM unnest($16::int[], $17::bigint[], $18::int[], $22::int[]) AS t(l, i, w, o)
           WHERE EXISTS (SELECT 1 FROM head)
           ON CONFLICT (log_id, level, index) DO UPDATE SET width = EXCLUDED.width, hashes = EXCLUDED.hashes
           WHERE log_tiles.width < EXCLUDED.width
         ), new_checkpoint AS (
           INSERT INTO checkpoints (log_id, size, root_hash, note) SELECT $1, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM head)
         )
         SELECT version FROM head`,
        [
          logId,
          input.expectedVersion,
          input.size,
          buf(input.rootHash),
          input.checkpoint,
          entries.map((e) => e.index),
          leafHashes,
          bodies.data,
          entries.map((e) => e.kind),
          entries.map((e) => e.apiVersion),
          entries.map((e) => e.integratedTime),
          entries.map((e) => e.artifactDigest ?? null),
          entries.map((e) => e.identity ?? null),
          entries.map((e) => e.issuer ?? null),
          entries.map((e) => e.certFingerprint ?? null),
          tiles.map((t) => t.level),
          tiles.map((t) => t.index),
          tiles.map((t) => t.hashes.length / 32),
          tileHashes.data,
          bodies.offsets,
          bodies.lengths,
          tileHashes.offsets,
        ],
        { prepare: true },
      );
      if (rows.length !== 1) throw new TreeHeadConflictError(`tree head of log ${logId} is no longer at version ${input.expectedVersion}`);
      return BigInt(rows[0]!.version);
    },
  };
}

export type LogStore = ReturnType<typeof createLogStore>;
