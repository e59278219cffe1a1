/**
 * A strict argument parser: known flags only, each flag's value required,
 * repeated flags rejected. Unknown options are an error, never ignored.
 */

/** Thrown for bad command lines; main() prints it with the usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Flag spec: `true` = takes a value, `false` = boolean switch. */
export type FlagSpec = Readonly<Record<string, boolean>>;

/** Parsed command line. */
export interface ParsedArgs {
  readonly values: ReadonlyMap<string, string>;
  readonly switches: ReadonlySet<string>;
  readonly positionals: readonly string[];
}

/** Parse `argv` against `spec` (`--flag value`, `--flag=value`, `--switch`, positionals, `--` ends flags). */
export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const takesValue = spec[name];
    if (takesValue === undefined) throw new UsageError(`unknown option --${name}`);
    if (values.has(name) || switches.has(name)) throw new UsageError(`--${name} given twice`);
    if (!takesValue) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      switches.add(name);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === "") throw new UsageError(`--${name} needs a value`);
    values.set(name, value);
  }
  return { values, switches, positionals };
}
