/**
 * `@signet/hsm/client`: how the api talks to the HSM sidecar over its Unix socket, and the
 * HSM-backed Signer. The client reconnects by itself; every call has a deadline; failures are
 * HsmError with a stable code (ERR_HSM_UNAVAILABLE, ERR_HSM_TIMEOUT, or the sidecar's own code).
 */
import { hash } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import net from "node:net";
import { rawToDerSignature } from "./der.ts";
import { HsmError, isHsmError } from "./errors.ts";
import { bytesEqual } from "./keys.ts";
import type { EcdsaAlgorithm, KeyAlgorithm } from "./keys.ts";
import {
  MAX_BATCH_DIGESTS,
  MAX_RESPONSE_LINE_BYTES,
  createLineReader,
  decodeBase64Strict,
  encodeLine,
  toResponseError,
} from "./protocol.ts";
import type { HsmOp, KeyListing } from "./protocol.ts";
import { SIGNER_HASH, verifyEcdsaDer } from "./signer.ts";
import type { Signer, SignerAlgorithm } from "./signer.ts";

export { HsmError, isHsmError } from "./errors.ts";
export type { HsmErrorCode } from "./errors.ts";
export { createMemorySigner, verifyEcdsaDer } from "./signer.ts";
export type { Signer, SignerAlgorithm } from "./signer.ts";
export type { KeyListing } from "./protocol.ts";
export type { KeyAlgorithm, EcdsaAlgorithm } from "./keys.ts";

export interface HsmClientOptions {
  socketPath: string;
  /** The shared secret from SIGNET_HSM_SECRET_FILE. */
  secret: string;
  /** Per-call deadline (default 5000 ms), after which the call fails with ERR_HSM_TIMEOUT. */
  timeoutMs?: number;
}

export interface HsmPublicKey {
  label: string;
  algorithm: KeyAlgorithm;
  /** SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
}

export interface HsmHealth {
  status: "ok";
  token: string;
  keys: string[];
}

export interface HsmClient {
  /** Create the key on the token if it does not exist (ERR_HSM_KEY_MISMATCH if it exists with another algorithm). */
  ensureKey(label: string, algorithm: EcdsaAlgorithm): Promise<HsmPublicKey & { created: boolean }>;
  publicKey(label: string): Promise<HsmPublicKey>;
  /** Raw ECDSA over a 32-byte (P-256) or 48-byte (P-384) digest; returns raw r‖s. Prefer createHsmSigner. */
  sign(label: string, digest: Uint8Array): Promise<Uint8Array>;
  /** The same for up to MAX_BATCH_DIGESTS digests in one request, answered in order (all or nothing). */
  signBatch(label: string, digests: readonly Uint8Array[]): Promise<Uint8Array[]>;
  listKeys(): Promise<KeyListing[]>;
  /** Resolves when the sidecar answers and its token is logged in. */
  health(): Promise<HsmHealth>;
  close(): Promise<void>;
}

interface Pending {
  op: HsmOp;
  resolve: (o: Record<string, unknown>) => void;
  reject: (e: HsmError) => void;
  timer: NodeJS.Timeout;
}

interface Connection {
  sock: net.Socket;
  pending: Map<number, Pending>;
  /** Request lines not yet written: calls made in the same tick leave in one socket write. */
  outbox: string[];
}

const KEY_ALGORITHMS = new Set<unknown>(["P-256", "P-384", "Ed25519"]);

/** Read the shared secret file the sidecar's init created. */
export function readHsmSecret(file: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch (e) {
    throw new HsmError("ERR_HSM_CONFIG", `cannot read the HSM shared secret ${file} (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
}

/** Create a client of the sidecar at `socketPath` (connects lazily, reconnects after any failure). */
export function createHsmClient(options: HsmClientOptions): HsmClient {
  const timeoutMs = options.timeoutMs ?? 5_000;
  let nextId = 1;
  let conn: Connection | undefined;
  let connecting: Promise<Connection> | undefined;
  let closed = false;

  const unavailable = (why: string) => new HsmError("ERR_HSM_UNAVAILABLE", `HSM sidecar at ${options.socketPath}: ${why}`);

  function connect(): Promise<Connection> {
    if (conn && !conn.sock.destroyed) return Promise.resolve(conn);
    if (connecting) return connecting;
    connecting = new Promise<Connection>((resolve, reject) => {
      const sock = net.connect(options.socketPath);
      const c: Connection = { sock, pending: new Map(), outbox: [] };
      const fail = (why: string) => {
        for (const p of c.pending.values()) {
          clearTimeout(p.timer);
          p.reject(unavailable(why));
        }
        c.pending.clear();
        if (conn === c) conn = undefined;
      };
      const read = createLineReader(
        MAX_RESPONSE_LINE_BYTES,
        (line) => {
          let o: unknown;
          try {
            o = JSON.parse(line.toString("utf8"));
          } catch {
            o = undefined;
          }
          const id = typeof o === "object" && o !== null ? (o as { id?: unknown }).id : undefined;
          if (typeof id !== "number") {
            // Not a response we can match (or a refusal of a line we never sent): stop trusting the stream.
            sock.destroy();
            fail("sent a malformed response");
            return;
          }
          const p = c.pending.get(id);
          if (!p) return; // the answer to a call that already timed out
          c.pending.delete(id);
          clearTimeout(p.timer);
          const r = o as Record<string, unknown>;
          if (r.ok === true) p.resolve(r);
          else p.reject(toResponseError(r));
          if (c.pending.size === 0) sock.unref();
        },
        () => {
          sock.destroy();
          fail("sent an oversized response");
        },
      );
      let attempt: "pending" | "connected" | "failed" = "pending";
      const giveUp = (why: string) => {
        if (attempt !== "pending") return;
        attempt = "failed";
        clearTimeout(connectTimer);
        connecting = undefined;
        reject(unavailable(why));
      };
      // A listener that accepts nothing would otherwise leave every later call queued behind this attempt.
      const connectTimer = setTimeout(() => {
        giveUp("connect timed out");
        sock.destroy();
      }, timeoutMs);
      sock.on("data", read);
      sock.once("connect", () => {
        if (attempt !== "pending") return;
        attempt = "connected";
        clearTimeout(connectTimer);
        connecting = undefined;
        conn = c;
        resolve(c);
      });
      sock.on("error", (e: NodeJS.ErrnoException) => giveUp(`cannot connect (${e.code ?? e.message})`));
      sock.on("close", () => {
        giveUp("connection closed while connecting");
        fail("connection closed");
      });
    });
    return connecting;
  }

  // One write per tick instead of one per call: a committed batch asks for all its entry timestamps in
  // the same tick (about 16 requests per write in the log bench), so it costs one syscall, not 16.
  function send(c: Connection, line: string): void {
    c.outbox.push(line);
    if (c.outbox.length === 1) process.nextTick(flush, c);
  }

  function flush(c: Connection): void {
    const lines = c.outbox;
    c.outbox = [];
    // A connection that died meanwhile has already failed these calls (its close handler rejects all pending).
    if (c.sock.destroyed || !c.sock.writable) return;
    c.sock.write(lines.length === 1 ? lines[0]! : lines.join(""));
  }

  function call(op: HsmOp, fields: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (closed) return Promise.reject(unavailable("client closed"));
    return new Promise((resolve, reject) => {
      const id = nextId++;
      let settled = false;
      let target: Connection | undefined;
      const timer = setTimeout(() => {
        settled = true;
        target?.pending.delete(id);
        reject(new HsmError("ERR_HSM_TIMEOUT", `HSM sidecar did not answer ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      connect().then(
        (c) => {
          if (settled) return;
          target = c;
          c.pending.set(id, {
            op,
            resolve: (o) => {
              settled = true;
              resolve(o);
            },
            reject: (e) => {
              settled = true;
              reject(e);
            },
            timer,
          });
          c.sock.ref();
          send(c, encodeLine({ id, secret: options.secret, op, ...fields }));
        },
        (e: HsmError) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }

  const malformed = (op: string) => unavailable(`sent a malformed ${op} response`);

  function toPublicKey(op: string, r: Record<string, unknown>, label: string): HsmPublicKey {
    const spki = decodeBase64Strict(r.publicKey, 1024);
    if (!spki || !KEY_ALGORITHMS.has(r.algorithm) || r.label !== label) throw malformed(op);
    return { label, algorithm: r.algorithm as KeyAlgorithm, spki };
  }

  return {
    async ensureKey(label, algorithm) {
      const r = await call("ensureKey", { label, algorithm });
      if (typeof r.created !== "boolean") throw malformed("ensureKey");
      return { ...toPublicKey("ensureKey", r, label), created: r.created };
    },
    async publicKey(label) {
      return toPublicKey("publicKey", await call("publicKey", { label }), label);
    },
    async sign(label, digest) {
      const r = await call("sign", { label, digest: Buffer.from(digest).toString("base64") });
      const sig = decodeBase64Strict(r.signature, 200);
      if (!sig || (sig.length !== 64 && sig.length !== 96)) throw malformed("sign");
      return sig;
    },
    async signBatch(label, digests) {
      const digestLength = digests[0]?.length;
      if (digestLength === undefined || digests.some((d) => d.length !== digestLength)) {
        throw new HsmError("ERR_HSM_BAD_REQUEST", "signBatch needs at least one digest, all of the same length");
      }
      const r = await call("signBatch", { label, digestLength, digests: Buffer.concat(digests).toString("base64") });
      const all = decodeBase64Strict(r.signatures, Math.ceil((digests.length * 96) / 3) * 4);
      const size = all ? all.length / digests.length : 0;
      if (!all || (size !== 64 && size !== 96)) throw malformed("signBatch");
      const sigs: Uint8Array[] = [];
      for (let i = 0; i < digests.length; i++) sigs.push(all.subarray(i * size, (i + 1) * size));
      return sigs;
    },
    async listKeys() {
      const r = await call("listKeys", {});
      const keys = r.keys;
      if (!Array.isArray(keys) || keys.length > 1000) throw malformed("listKeys");
      return keys.map((k: unknown) => {
        const o = k as Record<string, unknown> | null;
        if (!o || typeof o.label !== "string" || !KEY_ALGORITHMS.has(o.algorithm)) throw malformed("listKeys");
        return { label: o.label, algorithm: o.algorithm as KeyAlgorithm };
      });
    },
    async health() {
      const r = await call("health", {});
      if (r.status !== "ok" || typeof r.token !== "string" || !Array.isArray(r.keys) || !r.keys.every((k) => typeof k === "string")) {
        throw malformed("health");
      }
      return { status: "ok", token: r.token, keys: r.keys as string[] };
    },
    async close() {
      closed = true;
      const c = conn;
      conn = undefined;
      if (c) {
        c.sock.destroy();
      }
    },
  };
}

/**
 * Default signatures per signBatch request from a Signer (HsmSignerOptions.batchSize): small enough that
 * the sidecar, which signs a batch in one go, can answer another key's request (a checkpoint) between two
 * parts of a large batch.
 */
const SIGNER_BATCH = Math.min(16, MAX_BATCH_DIGESTS);

interface SignJob {
  digest: Uint8Array;
  resolve: (raw: Uint8Array) => void;
  reject: (e: unknown) => void;
}

export interface HsmSignerOptions {
  /**
   * The SPKI DER this signer must use (from the trusted root or the database). When set, a sidecar
   * reporting any other key for `label` fails with ERR_HSM_KEY_MISMATCH instead of signing.
   */
  pinnedPublicKey?: Uint8Array;
  /** Create the key on first use if it does not exist (default false: keys are created deliberately). */
  create?: boolean;
  /**
   * Where the self-check runs (default: Node's crypto on this thread). The api passes its worker
   * pool's verifier so that checking the log's per-entry signatures does not occupy the main thread;
   * whatever it is, a signature is returned only when it answers true.
   */
  verify?: (spki: Uint8Array, data: Uint8Array, der: Uint8Array) => boolean | Promise<boolean>;
  /**
   * Default true. False only for a caller that verifies every signature it gets against the same
   * pinned key itself before using it (the CA checks each certificate, precertificate and SCT
   * signature), so that each signature is verified once rather than twice. The length check stays.
   */
  selfCheck?: boolean;
  /**
   * Default false. True for a signer of many signatures (the log's SETs): it keeps at most one request
   * outstanding at the sidecar and queues the rest here, in order, so that a request from any other
   * signer (the checkpoint, signed by another Signer on the same key) reaches the sidecar behind at most
   * one of its batches instead of behind all of them. When a request fails with ERR_HSM_TIMEOUT or
   * ERR_HSM_UNAVAILABLE the queued signatures fail with it (as they would have, sent together) rather
   * than each waiting out its own deadline in turn.
   */
  bulk?: boolean;
  /**
   * Most signatures in one signBatch request (default 16, at most the sidecar's limit). Larger batches
   * cost the sidecar less per signature and finish a large group sooner, but hold up another signer's
   * request behind them for longer.
   */
  batchSize?: number;
}

/**
 * A Signer backed by a named HSM key. It hashes in Node (SHA-256 for P-256, SHA-384 for P-384),
 * has the sidecar sign the digest, converts raw r‖s to DER, and verifies every signature against the
 * key's public key before returning it (SECURITY.md B6): a label mix-up or a faulty token cannot
 * produce a signature that does not verify under the expected key.
 */
export function createHsmSigner(
  client: HsmClient,
  label: string,
  algorithm: SignerAlgorithm,
  options: HsmSignerOptions = {},
): Signer {
  let pinned: Promise<{ spki: Uint8Array; key: KeyObject }> | undefined;

  const load = async () => {
    const k = options.create ? await client.ensureKey(label, algorithm) : await client.publicKey(label);
    if (k.algorithm !== algorithm) {
      throw new HsmError("ERR_HSM_KEY_MISMATCH", `HSM key ${label} is ${k.algorithm}, expected ${algorithm}`);
    }
    if (options.pinnedPublicKey && !bytesEqual(options.pinnedPublicKey, k.spki)) {
      throw new HsmError("ERR_HSM_KEY_MISMATCH", `HSM key ${label} is not the pinned public key`);
    }
    return { spki: k.spki, key: createPublicKey({ key: Buffer.from(k.spki), format: "der", type: "spki" }) };
  };

  const publicKey = () => {
    // Pin the first key seen for this signer's lifetime; retry the lookup only after a failure.
    pinned ??= load().catch((e: unknown) => {
      pinned = undefined;
      throw e;
    });
    return pinned;
  };

  // Signatures asked for in the same tick (a batch of log entries' SETs) go to the sidecar as one
  // signBatch request: one line, one secret check, one answer, instead of one of each per signature.
  const batchSize = Math.max(1, Math.min(Math.floor(options.batchSize ?? SIGNER_BATCH), MAX_BATCH_DIGESTS));
  let queue: SignJob[] = [];
  let inFlight = false;
  const send = (part: SignJob[]): Promise<void> => {
    const done = part.length === 1 ? client.sign(label, part[0]!.digest).then((raw) => [raw]) : client.signBatch(label, part.map((j) => j.digest));
    return done.then(
      (raws) => part.forEach((j, k) => j.resolve(raws[k]!)),
      (e: unknown) => {
        part.forEach((j) => j.reject(e));
        if (options.bulk && isHsmError(e) && (e.code === "ERR_HSM_TIMEOUT" || e.code === "ERR_HSM_UNAVAILABLE")) {
          const waiting = queue;
          queue = [];
          waiting.forEach((j) => j.reject(e));
        }
      },
    );
  };
  const flush = () => {
    if (options.bulk) {
      // One request at a time; whatever queued meanwhile (several ticks' worth) leaves as the next one.
      if (inFlight || queue.length === 0) return;
      const part = queue.splice(0, batchSize);
      inFlight = true;
      void send(part).then(() => {
        inFlight = false;
        flush();
      });
      return;
    }
    const jobs = queue;
    queue = [];
    for (let i = 0; i < jobs.length; i += batchSize) void send(jobs.slice(i, i + batchSize));
  };
  const signDigest = (digest: Uint8Array) =>
    new Promise<Uint8Array>((resolve, reject) => {
      queue.push({ digest, resolve, reject });
      if (queue.length === 1 && !inFlight) process.nextTick(flush);
    });

  return {
    algorithm,
    async publicKey() {
      return (await publicKey()).spki.slice();
    },
    async sign(data) {
      const { key, spki } = await publicKey();
      const digest = hash(SIGNER_HASH[algorithm], data, "buffer");
      const raw = await signDigest(digest);
      if (raw.length !== (algorithm === "P-256" ? 64 : 96)) {
        throw new HsmError("ERR_HSM_SIGNATURE_INVALID", `HSM returned a ${raw.length}-byte signature for ${algorithm}`);
      }
      const der = rawToDerSignature(raw);
      if (options.selfCheck === false) return der;
      const valid = options.verify ? (await options.verify(spki, data, der)) === true : verifyEcdsaDer(key, algorithm, data, der);
      if (!valid) {
        throw new HsmError("ERR_HSM_SIGNATURE_INVALID", `HSM signature by ${label} does not verify under its public key`);
      }
      return der;
    },
  };
}
