/**
 * Search over the log's search columns. With several criteria, `and` returns only entries matching
 * every one of them (SECURITY.md D9) and `or` any of them. Results come newest first, paged by index.
 */
import type { Db } from "../../db.ts";

export interface SearchQuery {
  artifactDigest?: string;
  identity?: string;
  identityPrefix?: string;
  issuer?: string;
  certFingerprint?: string;
  operator?: "and" | "or";
  limit: number;
  /** Only entries with an index below this (keyset paging). */
  beforeIndex?: bigint;
}

export interface SearchHit {
  index: bigint;
  leafHash: Buffer;
  kind: string;
  apiVersion: string;
  integratedTime: bigint;
  artifactDigest: string | null;
  identity: string | null;
  issuer: string | null;
}

/** Escape LIKE metacharacters so a prefix is matched literally. */
export function likePrefix(prefix: string): string {
  return prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + "%";
}

export async function searchEntries(db: Db, logId: number, q: SearchQuery): Promise<SearchHit[]> {
  const params: unknown[] = [logId];
  const conds: string[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    conds.push(sql(`$${params.length}`));
  };
  if (q.artifactDigest !== undefined) add((p) => `artifact_digest = ${p}`, q.artifactDigest);
  if (q.identity !== undefined) add((p) => `identity = ${p}`, q.identity);
  if (q.identityPrefix !== undefined) add((p) => `identity LIKE ${p} ESCAPE '\\'`, likePrefix(q.identityPrefix));
  if (q.issuer !== undefined) add((p) => `issuer = ${p}`, q.issuer);
  if (q.certFingerprint !== undefined) add((p) => `cert_fingerprint = ${p}`, q.certFingerprint);
  if (conds.length === 0) return [];
  let where = `log_id = $1 AND (${conds.join(q.operator === "or" ? " OR " : " AND ")})`;
  if (q.beforeIndex !== undefined) {
    params.push(q.beforeIndex);
    where += ` AND index < $${params.length}`;
  }
  params.push(q.limit);
  const rows = await db.$queryRawUnsafe<
    { index: bigint; leaf_hash: Uint8Array; kind: string; api_version: string; integrated_time: bigint; artifact_digest: string | null; identity: string | null; issuer: string | null }[]
  >(
    `SELECT index, leaf_hash, kind, api_version, integrated_time, artifact_digest, identity, issuer FROM log_entries WHERE ${where} ORDER BY index DESC LIMIT $${params.length}`,
    ...params,
  );
  return rows.map((r) => ({
    index: BigInt(r.index),
    leafHash: Buffer.from(r.leaf_hash),
    kind: r.kind,
    apiVersion: r.api_version,
    integratedTime: BigInt(r.integrated_time),
    artifactDigest: r.artifact_digest,
    identity: r.identity,
    issuer: r.issuer,
  }));
}
