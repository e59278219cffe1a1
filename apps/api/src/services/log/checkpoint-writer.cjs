/**
 * Atomic write of a checkpoint file (temp file, fsync, rename, fsync of the directory), as a plain
 * CommonJS module so that it runs unchanged on the writer thread (no TypeScript loader there) and,
 * through require, synchronously at start-up. See checkpoint-file.ts.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: see the comment above */
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { isMainThread, parentPort } = require("node:worker_threads");

function writeAtomically(file, note) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, "w", 0o644);
  try {
    fs.writeSync(fd, note);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const dir = fs.openSync(path.dirname(file), "r");
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

if (!isMainThread && parentPort) {
  parentPort.on("message", ({ id, file, note }) => {
    try {
      writeAtomically(file, note);
      parentPort.postMessage({ id, ok: true });
    } catch (e) {
      parentPort.postMessage({ id, ok: false, message: String((e && e.message) || e) });
    }
  });
}

module.exports = { writeAtomically };
