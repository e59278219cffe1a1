/**
 * Explorer procedures over the log service. int64 values travel as decimal strings and bytes as
 * base64, so the browser can verify everything itself with @signet/crypto.
 */
import { z } from "zod";
import { DomainError } from "../errors.ts";
import { publicProcedure, router } from "../trpc.ts";
import type { Context } from "../trpc.ts";
import type { EntryWithProof, LogService } from "../services/log/log-service.ts";
import type { StoredEntry } from "../services/log/log-store.ts";
import { searchEntries } from "../services/log/search.ts";

const uint = z.string().regex(/^(0|[1-9][0-9]{0,18})$/, "a non-negative decimal integer").transform((s) => BigInt(s)).refine((n) => n < 1n << 63n, "too large");
const hex64 = z.string().regex(/^([0-9a-f]{16})?[0-9a-f]{64}$/, "64 or 80 lower-case hex characters");

function logOf(ctx: Context): LogService {
  if (!ctx.services.log) throw new DomainError("UNAVAILABLE", "ERR_LOG_UNAVAILABLE", "the log is not running");
  return ctx.services.log;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

function entrySummary(e: StoredEntry) {
  return {
    index: e.index.toString(),
    uuid: e.leafHash.toString("hex"),
    kind: e.kind,
    apiVersion: e.apiVersion,
    integratedTime: e.integratedTime.toString(),
    body: b64(e.body),
  };
}

function withProof(e: EntryWithProof) {
  return {
    ...entrySummary(e.entry),
    checkpoint: { note: e.checkpoint.note, size: e.checkpoint.size.toString(), rootHash: b64(e.checkpoint.rootHash) },
    inclusionProof: e.inclusionProof.map(b64),
    signedEntryTimestamp: b64(e.signedEntryTimestamp),
  };
}

export const logRouter = router({
  /** The latest signed checkpoint (the browser verifies it against the pinned log key). */
  latestCheckpoint: publicProcedure.query(({ ctx }) => {
    const log = logOf(ctx);
    const cp = log.latestCheckpoint();
    return { origin: log.origin, note: cp.note, size: cp.size.toString(), rootHash: b64(cp.rootHash) };
  }),

  checkpoints: publicProcedure
    .input(z.object({ limit: z.number().int().min(1).max(100).default(20), beforeSize: uint.optional() }).strict())
    .query(async ({ ctx, input }) => {
      const rows = await logOf(ctx).checkpoints(input.limit, input.beforeSize);
      return rows.map((r) => ({ size: r.size.toString(), rootHash: b64(r.rootHash), note: r.note, createdAt: r.createdAt.toISOString() }));
    }),

  checkpointAt: publicProcedure.input(z.object({ size: uint }).strict()).query(async ({ ctx, input }) => {
    const cp = await logOf(ctx).checkpointAt(input.size);
    if (!cp) throw new DomainError("NOT_FOUND", "ERR_LOG_CHECKPOINT_NOT_FOUND", "no checkpoint was published at that size");
    return { size: cp.size.toString(), rootHash: b64(cp.rootHash), note: cp.note };
  }),

  /** A page of entries, newest first: `before` is an exclusive upper index bound. */
  entries: publicProcedure
    .input(z.object({ limit: z.number().int().min(1).max(100).default(25), before: uint.optional() }).strict())
    .query(async ({ ctx, input }) => {
      const log = logOf(ctx);
      const end = input.before !== undefined && input.before < log.size ? input.before : log.size;
      const start = end > BigInt(input.limit) ? end - BigInt(input.limit) : 0n;
      const rows = await log.entriesInRange(start, Number(end - start));
      return { size: log.size.toString(), entries: rows.reverse().map(entrySummary) };
    }),

  entry: publicProcedure
    .input(z.union([z.object({ index: uint }).strict(), z.object({ uuid: hex64 }).strict()]))
    .query(async ({ ctx, input }) => {
      const log = logOf(ctx);
      const e = "index" in input ? await log.entryByIndex(input.index) : await log.entryByLeafHash(Buffer.from(input.uuid.slice(-64), "hex"));
      return withProof(e);
    }),

  search: publicProcedure
    .input(
      z
        .object({
          artifactDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/).optional(),
          identity: z.string().min(1).max(1024).optional(),
          identityPrefix: z.string().min(1).max(1024).optional(),
          issuer: z.string().min(1).max(1024).optional(),
          certFingerprint: z.string().regex(/^[0-9a-f]{64}$/).optional(),
          operator: z.enum(["and", "or"]).default("and"),
          limit: z.number().int().min(1).max(100).default(25),
          beforeIndex: uint.optional(),
        })
        .strict(),
    )
    .query(async ({ ctx, input }) => {
      const log = logOf(ctx);
      const { beforeIndex, ...rest } = input;
      if (!ctx.services.db) throw new DomainError("UNAVAILABLE", "ERR_LOG_UNAVAILABLE", "search is not available");
      const hits = await searchEntries(ctx.services.db, log.logId(), { ...rest, ...(beforeIndex !== undefined ? { beforeIndex } : {}) });
      return hits.map((h) => ({
        index: h.index.toString(),
        uuid: h.leafHash.toString("hex"),
        kind: h.kind,
        apiVersion: h.apiVersion,
        integratedTime: h.integratedTime.toString(),
        artifactDigest: h.artifactDigest,
        identity: h.identity,
        issuer: h.issuer,
      }));
    }),

  inclusionProof: publicProcedure.input(z.object({ index: uint, size: uint }).strict()).query(async ({ ctx, input }) => {
    const hashes = await logOf(ctx).inclusionProof(input.index, input.size);
    return { index: input.index.toString(), size: input.size.toString(), hashes: hashes.map(b64) };
  }),

  consistencyProof: publicProcedure.input(z.object({ size1: uint, size2: uint }).strict()).query(async ({ ctx, input }) => {
    const { hashes, rootHash } = await logOf(ctx).consistencyProof(input.size1, input.size2);
    return { size1: input.size1.toString(), size2: input.size2.toString(), rootHash: b64(rootHash), hashes: hashes.map(b64) };
  }),
});
