/**
 * Where a command's output goes and what it may reach, injected so tests run
 * commands in-process (and, in unit tests, against in-memory services).
 */
import type { Fetch } from "./http.ts";

/** A command's environment. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** HTTP for the signing commands (default: the global fetch). */
  readonly fetch?: Fetch;
  /** Whether stdout is a terminal (dev-token then ends its output with a newline). */
  readonly stdoutIsTty?: boolean;
}
