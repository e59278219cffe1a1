/**
 * The last published checkpoint, kept outside the database (SECURITY.md H8, goal G-D6): at start
 * the log refuses to run when the database is behind it, which is what restoring an old backup
 * would look like. Written atomically (temp file, fsync, rename, fsync of the directory).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { mkdir, open, rename } from "node:fs/promises";
import path from "node:path";

export interface CheckpointFile {
  readonly path: string;
  read(): string | undefined;
  write(note: string): void;
  /**
   * The same, off the event loop: writes are serialised, and notes handed in while one is being
   * written collapse into the newest (a later checkpoint of the same log supersedes earlier ones).
   * Resolves once a note at least this new is durably in the file.
   */
  publish(note: string): Promise<void>;
}

export function createCheckpointFile(file: string): CheckpointFile {
  let writing: Promise<void> | undefined;
  let queued: { note: string; done: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;

  async function writeAsync(note: string): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    const fh = await open(tmp, "w", 0o644);
    try {
      await fh.writeFile(note);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    const dir = await open(path.dirname(file), "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  function next(): void {
    const job = queued;
    queued = undefined;
    if (!job) {
      writing = undefined;
      return;
    }
    writing = writeAsync(job.note).then(job.resolve, job.reject).finally(next);
  }

  return {
    publish(note) {
      if (queued) {
        queued.note = note;
        return queued.done;
      }
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      queued = { note, done, resolve, reject };
      if (!writing) next();
      return done;
    },
    path: file,
    read() {
      if (!existsSync(file)) return undefined;
      return readFileSync(file, "utf8");
    },
    write(note) {
      mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.tmp-${process.pid}`;
      const fd = openSync(tmp, "w", 0o644);
      try {
        writeSync(fd, note);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
      const dir = openSync(path.dirname(file), "r");
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    },
  };
}
