/**
 * A lean closed-loop HTTP/1.1 load generator for benchmarks: N keep-alive connections, each sending
 * one request at a time and the next as soon as the answer is complete (like wrk's connections). It
 * writes prepared request bytes and reads only the status line, Content-Length and the body's length,
 * so on a 2-core machine most of the CPU goes to the server under test rather than to the client.
 * Answers must carry Content-Length (the api always sends it); anything else ends the run with an error.
 */
import net from "node:net";

export interface LoadResult {
  statuses: Map<number, number>;
  /** Milliseconds per completed request. */
  latencies: number[];
  completed: number;
  seconds: number;
}

const HEADER_END = Buffer.from("\r\n\r\n");

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
      const sock = net.connect(opts.port, "127.0.0.1");
      sock.setNoDelay(true);
      let buf = Buffer.alloc(0);
      let sentAt = 0;
      let need = -1; // bytes of the current answer (head + body) once the head is complete
      let status = 0;
      const send = () => {
        const body = performance.now() < end ? opts.request(next++) : undefined;
        if (!body) {
          sock.end();
          return;
        }
        sentAt = performance.now();
        sock.write(body);
      };
      sock.on("connect", send);
      sock.on("data", (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        for (;;) {
          if (need < 0) {
            const headEnd = buf.indexOf(HEADER_END);
            if (headEnd < 0) return;
            const head = buf.subarray(0, headEnd).toString("latin1");
            status = Number(head.slice(9, 12));
            const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
            if (!m) {
              sock.destroy();
              reject(new Error(`answer without Content-Length: ${head.split("\r\n")[0]}`));
              return;
            }
            need = headEnd + 4 + Number(m[1]);
          }
          if (buf.length < need) return;
          latencies.push(performance.now() - sentAt);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          buf = buf.subarray(need);
          need = -1;
          send();
          if (buf.length === 0) return;
        }
      });
      sock.on("error", reject);
      sock.on("close", () => resolve());
    });

  await Promise.all(Array.from({ length: opts.connections }, client));
  const seconds = (performance.now() - start) / 1000;
  return { statuses, latencies, completed: latencies.length, seconds };
}

/** A complete POST request with a JSON body. */
export function jsonPost(pathname: string, body: Buffer): Buffer {
  const head = `POST ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), body]);
}
