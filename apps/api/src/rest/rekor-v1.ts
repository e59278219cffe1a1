/**
 * Rekor v1 REST (sigstore/rekor openapi.yaml), thin over the log service: what every deployed
 * Sigstore client (sigstore-js RekorWitness, cosign) speaks.
 */
import { z } from "zod";
import { DomainError } from "../errors.ts";
import { readJson, readJsonBytes } from "../http/body.ts";
import type { Router } from "../http/router.ts";
import type { EntryWithProof, LogService } from "../services/log/log-service.ts";
import { prepareRekorV1Entry } from "../services/log/entries/prepare.ts";
import type { EntryPool } from "../services/log/entries/pool.ts";
import { searchEntries } from "../services/log/search.ts";
import type { Db } from "../db.ts";
import { createHash, createPublicKey, X509Certificate } from "node:crypto";
import { num, parseUint63, send, sendJson } from "./common.ts";

export interface RekorV1Options {
  log: LogService;
  db: Db;
  maxEntryBytes: number;
  /** Rate limit for writes, per client address: resolves or throws PUSHBACK. */
  limitWrite: (clientAddress: string) => void;
  /** Where submissions are validated and verified (worker threads). */
  entries: Pick<EntryPool, "prepareV1">;
}

/** The Rekor v1 `LogEntry` JSON: a map from entry ID (16-hex tree ID + 64-hex UUID) to the entry. */
export function toRekorLogEntry(log: LogService, e: EntryWithProof): Record<string, unknown> {
  return {
    [entryId(log, e.uuid)]: {
      body: e.entry.body.toString("base64"),
      integratedTime: num(e.entry.integratedTime),
      logID: log.keys.logId.toString("hex"),
      logIndex: num(e.entry.index),
      verification: {
        inclusionProof: {
          checkpoint: e.checkpoint.note,
          hashes: e.inclusionProof.map((h) => h.toString("hex")),
          logIndex: num(e.entry.index),
          rootHash: e.checkpoint.rootHash.toString("hex"),
          treeSize: num(e.checkpoint.size),
        },
        signedEntryTimestamp: e.signedEntryTimestamp.toString("base64"),
      },
    },
  };
}

const entryId = (log: LogService, uuid: string) => log.treeId.toString(16).padStart(16, "0") + uuid;

/** A 64-hex UUID, or an 80-hex entry ID whose tree ID must be this log's. */
function parseEntryUuid(log: LogService, text: unknown): Buffer {
  // attacker-controlled
  if (typeof text !== "string" || !/^([0-9a-f]{16})?[0-9a-f]{64}$/.test(text)) {
    throw new DomainError("BAD_REQUEST", "ERR_LOG_BAD_UUID", "entry UUID must be 64 or 80 lower-case hex characters");
  }
  if (text.length === 80 && text.slice(0, 16) !== log.treeId.toString(16).padStart(16, "0")) {
    throw new DomainError("NOT_FOUND", "ERR_LOG_ENTRY_NOT_FOUND", "that entry ID belongs to another log");
  }
  return Buffer.from(text.slice(-64), "hex");
}

const retrieveSchema = z
  .object({
    entryUUIDs: z.array(z.string()).max(10).optional(),
    logIndexes: z.array(z.union([z.number(), z.string()])).max(10).optional(),
    entries: z.array(z.unknown()).max(10).optional(),
  })
  .strict();

const indexSchema = z
  .object({
    email: z.string().max(512).optional(),
    subject: z.string().max(1024).optional(),
    hash: z.string().regex(/^(sha256:)?[0-9a-fA-F]{64}$/).optional(),
    publicKey: z.object({ format: z.enum(["x509", "pgp", "minisign", "ssh", "tuf"]), content: z.string().max(65536).optional(), url: z.string().optional() }).strict().optional(),
    operator: z.enum(["and", "or"]).optional(),
  })
  .strict();

function fingerprintOf(format: string, content: string | undefined): string {
  if (format !== "x509" || !content) throw new DomainError("BAD_REQUEST", "ERR_SEARCH_UNSUPPORTED_KEY", "only x509 public keys (PEM certificate or key, base64 or plain) can be searched; key URLs are not fetched");
  let pem = content;
  if (!pem.includes("-----BEGIN")) pem = Buffer.from(content, "base64").toString("utf8");
  try {
    if (pem.includes("CERTIFICATE")) return createHash("sha256").update(new X509Certificate(pem).raw).digest("hex");
    const der = createPublicKey(pem).export({ type: "spki", format: "der" });
    return createHash("sha256").update(der).digest("hex");
  } catch {
    throw new DomainError("BAD_REQUEST", "ERR_SEARCH_BAD_KEY", "publicKey.content is not a PEM certificate or public key");
  }
}

export function registerRekorV1(router: Router, opts: RekorV1Options): void {
  const { log } = opts;

  router.add("POST", "/api/v1/log/entries", async ({ req, res, clientAddress }) => {
    opts.limitWrite(clientAddress);
    // The raw bytes: the strict parser rejects duplicate keys that JSON.parse would hide (D4).
    const prepared = await opts.entries.prepareV1(await readJsonBytes(req, opts.maxEntryBytes));
    const result = await log.append(prepared);
    const id = entryId(log, result.uuid);
    const headers = { location: `/api/v1/log/entries/${id}`, etag: id };
    // A canonically identical entry is never appended twice: 409 with the existing entry (D6).
    sendJson(res, result.duplicate ? 409 : 201, toRekorLogEntry(log, result), headers);
  });

  router.add("GET", "/api/v1/log/entries", async ({ res, url }) => {
    const index = parseUint63(url.searchParams.get("logIndex"), "logIndex");
    sendJson(res, 200, toRekorLogEntry(log, await log.entryByIndex(index)));
  });

  router.add("GET", "/api/v1/log/entries/:uuid", async ({ res, params }) => {
    const leaf = parseEntryUuid(log, params.uuid);
    sendJson(res, 200, toRekorLogEntry(log, await log.entryByLeafHash(leaf)));
  });

  router.add("POST", "/api/v1/log/entries/retrieve", async ({ req, res }) => {
    const parsed = retrieveSchema.safeParse(await readJson(req, 64 * 1024));
    if (!parsed.success) throw new DomainError("BAD_REQUEST", "ERR_BAD_REQUEST", "expected {entryUUIDs|logIndexes|entries}, at most 10 each");
    const out: Record<string, unknown>[] = [];
    for (const u of parsed.data.entryUUIDs ?? []) {
      try {
        out.push(toRekorLogEntry(log, await log.entryByLeafHash(parseEntryUuid(log, u))));
      } catch (e) {
        if (!(e instanceof DomainError && e.kind === "NOT_FOUND")) throw e;
      }
    }
    for (const i of parsed.data.logIndexes ?? []) {
      try {
        out.push(toRekorLogEntry(log, await log.entryByIndex(parseUint63(i, "logIndexes[]"))));
      } catch (e) {
        if (!(e instanceof DomainError && e.kind === "NOT_FOUND")) throw e;
      }
    }
    for (const proposed of parsed.data.entries ?? []) {
      const prepared = prepareRekorV1Entry(proposed);
      try {
        out.push(toRekorLogEntry(log, await log.entryByLeafHash(prepared.leafHash)));
      } catch (e) {
        if (!(e instanceof DomainError && e.kind === "NOT_FOUND")) throw e;
      }
    }
    sendJson(res, 200, out);
  });

  router.add("POST", "/api/v1/index/retrieve", async ({ req, res }) => {
    const parsed = indexSchema.safeParse(await readJson(req, 128 * 1024));
    if (!parsed.success) throw new DomainError("BAD_REQUEST", "ERR_BAD_REQUEST", "expected {email?, subject?, hash?, publicKey?, operator?}");
    const q = parsed.data;
    if (!q.email && !q.subject && !q.hash && !q.publicKey) throw new DomainError("BAD_REQUEST", "ERR_BAD_REQUEST", "give at least one of email, subject, hash, publicKey");
    if (q.email && q.subject && q.email.toLowerCase() !== q.subject.toLowerCase() && (q.operator ?? "or") === "and") {
      sendJson(res, 200, []);
      return;
    }
    const identity = q.email ?? q.subject;
    const hits = await searchEntries(opts.db, log.logId(), {
      ...(identity ? { identity } : {}),
      ...(q.hash ? { artifactDigest: `sha256:${q.hash.replace(/^sha256:/, "").toLowerCase()}` } : {}),
      ...(q.publicKey ? { certFingerprint: fingerprintOf(q.publicKey.format, q.publicKey.content) } : {}),
      operator: q.operator ?? "or",
      limit: 1000,
    });
    sendJson(res, 200, hits.map((h) => entryId(log, h.leafHash.toString("hex"))));
  });

  router.add("GET", "/api/v1/log", async ({ res }) => {
    const cp = log.latestCheckpoint();
    sendJson(res, 200, {
      rootHash: cp.rootHash.toString("hex"),
      treeSize: num(cp.size),
      signedTreeHead: cp.note,
      treeID: log.treeId.toString(),
      inactiveShards: [],
    });
  });

  router.add("GET", "/api/v1/log/proof", async ({ res, url }) => {
    const first = parseUint63(url.searchParams.get("firstSize") ?? "1", "firstSize");
    const last = parseUint63(url.searchParams.get("lastSize"), "lastSize");
    const treeId = url.searchParams.get("treeID");
    if (treeId !== null && treeId !== log.treeId.toString()) throw new DomainError("NOT_FOUND", "ERR_LOG_UNKNOWN_TREE", "unknown treeID");
    const { hashes, rootHash } = await log.consistencyProof(first, last);
    sendJson(res, 200, { rootHash: rootHash.toString("hex"), hashes: hashes.map((h) => h.toString("hex")) });
  });

  router.add("GET", "/api/v1/log/publicKey", ({ res }) => {
    const pem = `-----BEGIN PUBLIC KEY-----\n${log.keys.spki.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "")}\n-----END PUBLIC KEY-----\n`;
    send(res, 200, pem, { "content-type": "application/x-pem-file", "cache-control": "public, max-age=300" });
  });
}
