/**
 * Rekor v2 (rekor-tiles): POST /api/v2/log/entries for hashedrekord 0.0.2, answered once the entry
 * is under a signed checkpoint; and the C2SP tlog-tiles read paths under /api/v2 (checkpoint,
 * hash tiles, entry bundles) with immutable caching for full tiles and CORS everywhere.
 */
import { parseTilePath } from "@signet/crypto/tiles/tile-path";
import { encodeEntryBundle } from "@signet/crypto/tiles/entry-bundle";
import { DomainError } from "../errors.ts";
import { readJsonBytes } from "../http/body.ts";
import type { Router } from "../http/router.ts";
import type { EntryWithProof, LogService } from "../services/log/log-service.ts";
import type { EntryPool } from "../services/log/entries/pool.ts";
import { send, sendJson } from "./common.ts";

export interface RekorV2Options {
  log: LogService;
  maxEntryBytes: number;
  limitWrite: (clientAddress: string) => void;
  /** Where submissions are validated and verified (worker threads). */
  entries: Pick<EntryPool, "prepareV2">;
}

/** protobuf-specs TransparencyLogEntry JSON (int64 as strings, bytes as base64). */
export function toTransparencyLogEntry(log: LogService, e: EntryWithProof): Record<string, unknown> {
  return {
    logIndex: e.entry.index.toString(),
    logId: { keyId: log.keys.logId.toString("base64") },
    kindVersion: { kind: e.entry.kind, version: e.entry.apiVersion },
    integratedTime: "0",
    inclusionProof: {
      logIndex: e.entry.index.toString(),
      rootHash: e.checkpoint.rootHash.toString("base64"),
      treeSize: e.checkpoint.size.toString(),
      hashes: e.inclusionProof.map((h) => h.toString("base64")),
      checkpoint: { envelope: e.checkpoint.note },
    },
    canonicalizedBody: e.entry.body.toString("base64"),
  };
}

const IMMUTABLE = "public, max-age=31536000, immutable";

export function registerRekorV2(router: Router, opts: RekorV2Options): void {
  const { log } = opts;

  router.add("POST", "/api/v2/log/entries", async ({ req, res, clientAddress }) => {
    opts.limitWrite(clientAddress);
    const prepared = await opts.entries.prepareV2(await readJsonBytes(req, opts.maxEntryBytes));
    const result = await log.append(prepared);
    sendJson(res, result.duplicate ? 409 : 201, toTransparencyLogEntry(log, result));
  });

  router.add("GET", "/api/v2/checkpoint", ({ res }) => {
    send(res, 200, log.latestCheckpoint().note, { "content-type": "text/plain; charset=utf-8", "cache-control": "public, max-age=1, must-revalidate" });
  });

  router.add("GET", "/api/v2/tile/*path", async ({ res, params }) => {
    let tile;
    try {
      tile = parseTilePath(`tile/${params.path ?? ""}`);
    } catch {
      throw new DomainError("NOT_FOUND", "ERR_NOT_FOUND", "no such endpoint");
    }
    const full = tile.width === 256;
    const cache = full ? IMMUTABLE : "public, max-age=60";
    if (tile.kind === "hash") {
      const data = await log.tile(tile.level, tile.index, tile.width);
      send(res, 200, data, { "content-type": "application/octet-stream", "cache-control": cache });
      return;
    }
    const start = tile.index * 256n;
    if (start + BigInt(tile.width) > log.size) throw new DomainError("NOT_FOUND", "ERR_LOG_TILE_NOT_FOUND", "no such entry bundle");
    const entries = await log.entriesInRange(start, tile.width);
    if (entries.length !== tile.width) throw new DomainError("NOT_FOUND", "ERR_LOG_TILE_NOT_FOUND", "no such entry bundle");
    send(res, 200, Buffer.from(encodeEntryBundle(entries.map((e) => e.body))), { "content-type": "application/octet-stream", "cache-control": cache });
  });
}
