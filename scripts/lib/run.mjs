import { spawn } from "node:child_process";
import { prefix } from "./log.mjs";

/**
 * Run a command to completion with its output prefixed; resolves with the exit code.
 * `quiet` captures output and only prints it when the command fails.
 */
export function run(name, cmd, args, { env, cwd, quiet = false, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let captured = "";
    const onData = (chunk) => {
      if (quiet) captured += chunk;
      else writePrefixed(name, chunk);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (quiet && code !== 0) writePrefixed(name, captured);
      resolve(code ?? (signal ? 128 : 1));
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** Run a command and return its stdout; throws with the output on failure. */
export function capture(cmd, args, { env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err || out}`))));
  });
}

const partial = new Map();
/** Write a chunk of child output line by line with the component prefix. */
export function writePrefixed(name, chunk) {
  const text = (partial.get(name) ?? "") + chunk.toString();
  const lines = text.split("\n");
  partial.set(name, lines.pop() ?? "");
  for (const line of lines) process.stdout.write(prefix(name) + line + "\n");
}
