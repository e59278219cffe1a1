/**
 * Lean HTTP/1.1 load generators for benchmarks, closed loop (N keep-alive connections, each sending one
 * request at a time and the next as soon as the answer is complete, like wrk's connections) and open loop
 * (request i is due at t0 + i / rate whatever happened to the ones before it). They write prepared request
 * bytes and read only the status line, Content-Length and the body's length, so on a 2-core machine most
 * of the CPU goes to the server under test rather than to the client (~45 µs of client CPU per request
 * against ~125 µs or more with node:http). Answers must carry Content-Length (the api always sends it);
 * anything else ends the run with an error.
 */
import net from "node:net";

export interface LoadResult {
  statuses: Map<number, number>;
  /** Milliseconds per completed request (open loop: from the time the request was due). */
  latencies: number[];
  completed: number;
  seconds: number;
}

const HEADER_END = Buffer.from("\r\n\r\n");

/**
 * One keep-alive connection that sends a request and calls `onAnswer(status)` when its answer is complete.
 * One request at a time: the caller sends the next only after the answer.
 */
class Connection {
  readonly sock: net.Socket;
  private buf = Buffer.alloc(0);
  private need = -1; // bytes of the current answer (head + body) once the head is complete
  private status = 0;
  busy = false;

  constructor(port: number, onAnswer: (c: Connection, status: number) => void, onError: (e: Error) => void) {
    this.sock = net.connect(port, "127.0.0.1");
    this.sock.setNoDelay(true);
    this.sock.on("error", onError);
    this.sock.on("data", (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      for (;;) {
        if (this.need < 0) {
          const headEnd = this.buf.indexOf(HEADER_END);
          if (headEnd < 0) return;
          const head = this.buf.subarray(0, headEnd).toString("latin1");
          this.status = Number(head.slice(9, 12));
          const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
          if (!m) {
            this.sock.destroy();
            onError(new Error(`answer without Content-Length: ${head.split("\r\n")[0]}`));
            return;
          }
          this.need = headEnd + 4 + Number(m[1]);
        }
        if (this.buf.length < this.need) return;
        this.buf = this.buf.subarray(this.need);
        this.need = -1;
        this.busy = false;
        onAnswer(this, this.status);
        if (this.buf.length === 0) return;
      }
    });
  }

  send(request: Buffer): void {
    this.busy = true;
    this.sock.write(request);
  }
}

/**
 * Run `connections` clients against 127.0.0.1:`port` for `seconds`, each request built by
 * `request(i)` (the i-th request overall) as complete HTTP/1.1 bytes.
 */
export async function runClosedLoop(opts: { port: number; connections: number; seconds: number; request: (i: number) => Buffer | undefined }): Promise<LoadResult> {
  const statuses = new Map<number, number>();
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  const end = start + opts.seconds * 1000;

  const client = () =>
    new Promise<void>((resolve, reject) => {
      let sentAt = 0;
      const send = (c: Connection) => {
        const body = performance.now() < end ? opts.request(next++) : undefined;
        if (!body) {
          c.sock.end();
          return;
        }
        sentAt = performance.now();
        c.send(body);
      };
      const c = new Connection(
        opts.port,
        (conn, status) => {
          latencies.push(performance.now() - sentAt);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          send(conn);
        },
        reject,
      );
      c.sock.on("connect", () => send(c));
      c.sock.on("close", () => resolve());
    });

  await Promise.all(Array.from({ length: opts.connections }, client));
  const seconds = (performance.now() - start) / 1000;
  return { statuses, latencies, completed: latencies.length, seconds };
}

/**
 * Send `requests` to 127.0.0.1:`port` at a fixed `rate` per second (open loop): request i is due at
 * t0 + i / rate and goes out on an idle keep-alive connection, or on a new one (at most
 * `maxConnections`; beyond that it waits for one, and its latency still counts from when it was due).
 * Idle connections are reused most recently used first, so only as many stay warm as the load needs.
 */
export async function runOpenLoop(opts: {
  port: number;
  rate: number;
  requests: readonly Buffer[];
  maxConnections: number;
  /** Connections to open before the first request is due (default 0). */
  warmConnections?: number;
}): Promise<LoadResult> {
  const statuses = new Map<number, number>();
  const latencies: number[] = [];
  const idle: Connection[] = [];
  const open: Connection[] = [];
  const dueAt = new Map<Connection, number>();
  const waiting: number[] = []; // indices due but not yet sent (every connection busy)
  let failed: Error | undefined;
  let stopping = false;
  let sent = 0;
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  let t0 = performance.now();

  const dispatch = (c: Connection, i: number) => {
    dueAt.set(c, t0 + (i / opts.rate) * 1000);
    c.send(opts.requests[i]!);
  };
  const onAnswer = (c: Connection, status: number) => {
    latencies.push(performance.now() - dueAt.get(c)!);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (++done === opts.requests.length) finish();
    const i = waiting.shift();
    if (i !== undefined) dispatch(c, i);
    else idle.push(c);
  };
  const onError = (e: Error) => {
    failed ??= e;
    finish();
  };
  const connection = (): Connection | undefined => {
    const c = idle.pop();
    if (c) return c;
    if (open.length >= opts.maxConnections) return undefined;
    const fresh = new Connection(opts.port, onAnswer, onError);
    // The server closes keep-alive connections idle for a while (5 s in the api): forget them, and fail the
    // run if one closes with a request in flight (its answer would never come).
    fresh.sock.on("close", () => {
      open.splice(open.indexOf(fresh), 1);
      const at = idle.indexOf(fresh);
      if (at >= 0) idle.splice(at, 1);
      if (fresh.busy && !stopping) onError(new Error("the server closed a connection with a request in flight"));
    });
    open.push(fresh);
    return fresh; // net.Socket queues writes made before it connects
  };
  const tick = () => {
    if (failed) return;
    const due = Math.min(opts.requests.length, Math.floor(((performance.now() - t0) / 1000) * opts.rate) + 1);
    for (; sent < due; sent++) {
      const c = connection();
      if (c) dispatch(c, sent);
      else waiting.push(sent);
    }
    if (sent < opts.requests.length) setTimeout(tick, Math.max(0, t0 + (sent / opts.rate) * 1000 - performance.now()));
  };
  // Connections opened before t0 (the server sees them as idle keep-alive sockets), so the first requests
  // do not each pay a TCP connect.
  for (let i = 0; i < (opts.warmConnections ?? 0) && open.length < opts.maxConnections; i++) idle.push(connection()!);
  await Promise.all(idle.map((c) => new Promise((r) => (c.sock.readyState === "open" ? r(undefined) : c.sock.once("connect", r)))));
  t0 = performance.now();
  if (opts.requests.length === 0) finish();
  else tick();
  await finished;
  stopping = true;
  for (const c of [...open]) c.sock.destroy();
  if (failed) throw failed;
  return { statuses, latencies, completed: latencies.length, seconds: (performance.now() - t0) / 1000 };
}

/** A complete POST request with a JSON body. */
export function jsonPost(pathname: string, body: Buffer): Buffer {
  const head = `POST ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), body]);
}
