// Readable, prefixed output for the start and test commands.
const colors = { signet: 36, postgres: 34, hsm: 35, idp: 33, api: 32, web: 94, test: 37 };
const useColor = process.stdout.isTTY && !process.env.NO_COLOR;

/** Prefix for a component's log lines, coloured on a terminal. */
export function prefix(name) {
  const label = name.padEnd(8);
  const c = colors[name] ?? 37;
  return useColor ? `\x1b[${c}m${label}\x1b[0m│ ` : `${label}│ `;
}

/** Print a line as the named component. */
export function say(name, message) {
  for (const line of String(message).split("\n")) process.stdout.write(prefix(name) + line + "\n");
}

/** Print a user-facing failure (no stack) and exit non-zero. */
export function fail(message, code = 1) {
  process.stderr.write(`${prefix("signet")}error: ${message}\n`);
  process.exit(code);
}

/** A typed failure the commands turn into a clear message without a stack trace. */
export class SetupError extends Error {
  constructor(message) {
    super(message);
    this.name = "SetupError";
  }
}
