/**
 * The sidecar's two listeners: the Unix socket (mode 0600) that only the api may use, and a
 * loopback HTTP `GET /healthz` for supervisors.
 */
import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { HsmError } from "./errors.ts";
import {
  MAX_REQUEST_LINE_BYTES,
  createLineReader,
  createSecretChecker,
  encodeLine,
  handleRequest,
  parseRequestLine,
} from "./protocol.ts";
import type { HsmBackend } from "./protocol.ts";

export interface HsmServerOptions {
  socketPath: string;
  /** The shared secret every request must carry. */
  secret: string;
  backend: HsmBackend;
  /** Token label reported by /healthz even when the token is down. */
  tokenLabel: string;
  healthHost?: string;
  /** 0 picks a free port (tests). */
  healthPort: number;
  log?: (line: string) => void;
}

export interface HsmServer {
  readonly socketPath: string;
  readonly healthPort: number;
  /** Stop accepting, let in-flight requests answer (at most `graceMs`), then close everything and remove the socket. */
  close(graceMs?: number): Promise<void>;
}

const MAX_CONNECTIONS = 64;
const MAX_IN_FLIGHT_PER_CONNECTION = 256;
const HEALTH_DEADLINE_MS = 3_000;

/**
 * Make `socketPath` free for us: a socket nobody answers on is stale and removed; a live one means
 * another sidecar serves this data directory (ERR_HSM_ALREADY_RUNNING); anything else is left alone.
 */
export async function claimSocketPath(socketPath: string): Promise<void> {
  let st;
  try {
    st = lstatSync(socketPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new HsmError("ERR_HSM_CONFIG", `cannot inspect ${socketPath}: ${(e as Error).message}`);
  }
  if (!st.isSocket()) throw new HsmError("ERR_HSM_CONFIG", `${socketPath} exists and is not a socket; refusing to remove it`);
  const alive = await new Promise<boolean>((resolve, reject) => {
    const c = net.connect(socketPath);
    const t = setTimeout(() => {
      c.destroy();
      resolve(true); // accepted but silent: something is there; do not steal its socket
    }, 1_000);
    c.once("connect", () => {
      clearTimeout(t);
      c.destroy();
      resolve(true);
    });
    c.once("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      if (e.code === "ECONNREFUSED" || e.code === "ENOENT") resolve(false);
      else reject(new HsmError("ERR_HSM_CONFIG", `cannot probe ${socketPath}: ${e.message}`));
    });
  });
  if (alive) {
    throw new HsmError("ERR_HSM_ALREADY_RUNNING", `another HSM sidecar is already listening on ${socketPath}`);
  }
  try {
    unlinkSync(socketPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new HsmError("ERR_HSM_CONFIG", `cannot remove stale socket ${socketPath}: ${(e as Error).message}`);
    }
  }
}

/** Listen on the Unix socket and the health port. */
export async function startHsmServer(opts: HsmServerOptions): Promise<HsmServer> {
  const log = opts.log ?? (() => {});
  const checkSecret = createSecretChecker(opts.secret);
  const connections = new Map<net.Socket, { inFlight: number; readEnded: boolean; end: () => void }>();
  let closing = false;

  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    if (closing || connections.size >= MAX_CONNECTIONS) {
      sock.destroy();
      return;
    }
    // A client may send its requests and half-close: answer everything in flight, then end our side.
    const state = { inFlight: 0, readEnded: false, end: () => {} };
    connections.set(sock, state);
    let warnedUnauthorized = false;
    // Answers that complete in the same event-loop turn (signatures finish on the thread pool, one
    // callback each) leave in one write at the end of the turn rather than one syscall apiece.
    let outbox: string[] = [];
    const flush = () => {
      const lines = outbox;
      outbox = [];
      if (!sock.destroyed && sock.writable) sock.write(lines.length === 1 ? lines[0]! : lines.join(""));
    };
    const send = (msg: Record<string, unknown>, now = false) => {
      outbox.push(encodeLine(msg));
      if (now) flush();
      else if (outbox.length === 1) setImmediate(flush);
    };
    // Ending our side must not overtake answers still waiting in the outbox.
    const end = () => {
      if (outbox.length > 0) flush();
      sock.end();
    };
    state.end = end;
    const read = createLineReader(
      MAX_REQUEST_LINE_BYTES,
      (line) => {
        const parsed = parseRequestLine(line, checkSecret);
        if (!parsed.ok) {
          if (parsed.code === "ERR_HSM_UNAUTHORIZED" && !warnedUnauthorized) {
            warnedUnauthorized = true;
            log("hsm: refused a request with a bad secret");
          }
          send({ id: parsed.id, ok: false, code: parsed.code, message: parsed.message });
          return;
        }
        state.inFlight++;
        if (state.inFlight >= MAX_IN_FLIGHT_PER_CONNECTION) sock.pause();
        // A single signature (a checkpoint, a certificate) is on someone's critical path; a batch (a log's
        // SETs) is bulk. With synchronous signing every request read in one turn would be signed before any
        // answer left, so a batch waits for the next turn and a single signature's answer is written at once.
        const single = parsed.request.op === "sign";
        const run = () =>
          void handleRequest(parsed.request, opts.backend).then((res) => {
            send(res, single);
            state.inFlight--;
            if (state.inFlight < MAX_IN_FLIGHT_PER_CONNECTION && sock.isPaused() && !closing) sock.resume();
            if ((closing || state.readEnded) && state.inFlight === 0) end();
          });
        if (parsed.request.op === "signBatch") setImmediate(run);
        else run();
      },
      () => {
        send({ id: null, ok: false, code: "ERR_HSM_BAD_REQUEST", message: `request line exceeds ${MAX_REQUEST_LINE_BYTES} bytes` });
        end();
      },
    );
    sock.on("data", read);
    sock.on("end", () => {
      state.readEnded = true;
      if (state.inFlight === 0) end();
    });
    sock.on("error", () => {
      // a client that vanished mid-write; its requests' answers are dropped
    });
    sock.on("close", () => connections.delete(sock));
  });

  await claimSocketPath(opts.socketPath);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        e.code === "EADDRINUSE"
          ? new HsmError("ERR_HSM_ALREADY_RUNNING", `another process took ${opts.socketPath} while this one started`)
          : new HsmError("ERR_HSM_CONFIG", `cannot listen on ${opts.socketPath}: ${e.message}`),
      ),
    );
    // The socket file is created by bind() inside listen(): a restrictive umask closes the window before chmod
    // (worker threads cannot change the umask; the chmod below and the 0700 directory still apply there).
    let old: number | undefined;
    try {
      old = process.umask(0o177);
    } catch {
      old = undefined;
    }
    try {
      server.listen(opts.socketPath, () => resolve());
    } finally {
      if (old !== undefined) process.umask(old);
    }
  });
  chmodSync(opts.socketPath, 0o600);
  const socketIno = lstatSync(opts.socketPath).ino;

  const health = http.createServer((req, res) => {
    const url = req.url ?? "";
    if (req.method !== "GET" || (url !== "/healthz" && !url.startsWith("/healthz?"))) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"status":"not found"}\n');
      return;
    }
    let done = false;
    const answer = (status: number, body: Record<string, unknown>) => {
      if (done) return;
      done = true;
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(`${JSON.stringify(body)}\n`);
    };
    const timer = setTimeout(
      () => answer(503, { status: "unavailable", token: opts.tokenLabel, code: "ERR_HSM_TIMEOUT" }),
      HEALTH_DEADLINE_MS,
    );
    opts.backend.health().then(
      (h) => {
        clearTimeout(timer);
        answer(200, { status: "ok", token: h.token, keys: h.keys });
      },
      (e: unknown) => {
        clearTimeout(timer);
        const code = e instanceof HsmError ? e.code : "ERR_HSM_UNAVAILABLE";
        answer(503, { status: "unavailable", token: opts.tokenLabel, code });
      },
    );
  });
  health.headersTimeout = 5_000;
  health.requestTimeout = 10_000;
  health.keepAliveTimeout = 1_000;
  let healthPort: number;
  try {
    healthPort = await new Promise<number>((resolve, reject) => {
      health.once("error", (e: NodeJS.ErrnoException) =>
        reject(
          new HsmError(
            e.code === "EADDRINUSE" ? "ERR_HSM_ALREADY_RUNNING" : "ERR_HSM_CONFIG",
            `cannot listen on ${opts.healthHost ?? "127.0.0.1"}:${opts.healthPort} for /healthz: ${e.code ?? e.message}`,
          ),
        ),
      );
      health.listen(opts.healthPort, opts.healthHost ?? "127.0.0.1", () => {
        const addr = health.address();
        resolve(typeof addr === "object" && addr ? addr.port : opts.healthPort);
      });
    });
  } catch (e) {
    server.close();
    removeOwnSocket(opts.socketPath, socketIno);
    throw e;
  }

  return {
    socketPath: opts.socketPath,
    healthPort,
    async close(graceMs = 5_000) {
      if (closing) return;
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const st of connections.values()) if (st.inFlight === 0) st.end();
      const deadline = setTimeout(() => {
        for (const sock of connections.keys()) sock.destroy();
      }, graceMs);
      await stopped;
      clearTimeout(deadline);
      await new Promise<void>((resolve) => {
        health.close(() => resolve());
        health.closeAllConnections();
      });
      removeOwnSocket(opts.socketPath, socketIno);
    },
  };
}

function removeOwnSocket(socketPath: string, ino: number): void {
  try {
    // Only our own socket: a successor sidecar may already have bound a new one at this path.
    if (lstatSync(socketPath).ino === ino) unlinkSync(socketPath);
  } catch {
    // already gone
  }
}
