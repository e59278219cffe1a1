/**
 * The last published checkpoint, kept outside the database (SECURITY.md H8, goal G-D6): at start
 * the log refuses to run when the database is behind it, which is what restoring an old backup
 * would look like. Written atomically (temp file, fsync, rename, fsync of the directory).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import path from "node:path";

export interface CheckpointFile {
  readonly path: string;
  read(): string | undefined;
  write(note: string): void;
}

export function createCheckpointFile(file: string): CheckpointFile {
  return {
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
