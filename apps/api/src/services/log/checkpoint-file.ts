/**
 * The last published checkpoint, kept outside the database (SECURITY.md H8, goal G-D6): at start
 * the log refuses to run when the database is behind it, which is what restoring an old backup
 * would look like. The file has two slots written in turn in place with fdatasync, so a torn write
 * never loses the previous checkpoint (format: checkpoint-writer.cjs).
 *
 * While the log runs, writes happen on a small writer thread: an fsync here measured 0.7 ms at the
 * median but up to 80 ms when PostgreSQL flushes its WAL at the same moment, and on the event loop
 * that stalled every request of the api. Through libuv's pool the same steps cost one event-loop turn
 * each (~9 ms under load); the writer thread does them in one go and answers once.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

export interface CheckpointFile {
  readonly path: string;
  /** The newest checkpoint note in the file; undefined when there is none; throws when the file is unreadable. */
  read(): string | undefined;
  /** Write synchronously (start-up only: it blocks the thread for the fsyncs). */
  write(note: string): void;
  /**
   * Write on the writer thread. Notes handed in while one is being written collapse into the newest
   * (a later checkpoint of the same log supersedes earlier ones); resolves once a note at least this
   * new is durably in the file, rejects when that write failed.
   */
  publish(note: string): Promise<void>;
}

const WRITER = new URL("./checkpoint-writer.cjs", import.meta.url);
const { readNote, writeNote } = createRequire(import.meta.url)("./checkpoint-writer.cjs") as {
  readNote: (file: string) => string | undefined;
  writeNote: (file: string, note: string) => void;
};

/** One writer thread for every checkpoint file of the process, started on first use. */
let writer: { worker: Worker; waiting: Map<number, (r: { ok: boolean; message?: string }) => void> } | undefined;
let nextId = 1;

function writeOnThread(file: string, note: string): Promise<void> {
  if (!writer) {
    const w = { worker: new Worker(WRITER), waiting: new Map<number, (r: { ok: boolean; message?: string }) => void>() };
    w.worker.on("message", (m: { id: number; ok: boolean; message?: string }) => {
      const done = w.waiting.get(m.id);
      w.waiting.delete(m.id);
      if (w.waiting.size === 0) w.worker.unref();
      done?.(m);
    });
    const fail = (why: string) => {
      if (writer === w) writer = undefined;
      for (const done of w.waiting.values()) done({ ok: false, message: `checkpoint writer thread stopped: ${why}` });
      w.waiting.clear();
    };
    w.worker.on("error", (e) => fail(e.message));
    w.worker.on("exit", (code) => fail(`exit code ${code}`));
    writer = w;
  }
  const w = writer;
  const id = nextId++;
  return new Promise<void>((resolve, reject) => {
    if (w.waiting.size === 0) w.worker.ref();
    w.waiting.set(id, (r) => (r.ok ? resolve() : reject(new Error(r.message))));
    w.worker.postMessage({ id, file, note });
  });
}

export function createCheckpointFile(file: string): CheckpointFile {
  let writing = false;
  let queued: { note: string; waiters: { resolve: () => void; reject: (e: unknown) => void }[] } | undefined;

  function next(): void {
    const job = queued;
    queued = undefined;
    if (!job) {
      writing = false;
      return;
    }
    writing = true;
    writeOnThread(file, job.note).then(
      () => job.waiters.forEach((w) => w.resolve()),
      (e: unknown) => job.waiters.forEach((w) => w.reject(e)),
    ).finally(next);
  }

  return {
    path: file,
    read() {
      return readNote(file);
    },
    write(note) {
      writeNote(file, note);
    },
    publish(note) {
      return new Promise<void>((resolve, reject) => {
        if (queued) queued.note = note;
        else queued = { note, waiters: [] };
        queued.waiters.push({ resolve, reject });
        if (!writing) next();
      });
    },
  };
}
