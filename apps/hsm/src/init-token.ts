/**
 * CLI: prepare the HSM token and the api↔sidecar shared secret. Idempotent; run by the start and
 * test set-up before the sidecar (`npx tsx apps/hsm/src/init-token.ts`, with SIGNET_DATA_DIR set).
 * Prints one line; on failure prints the reason (naming the file at fault) and exits 1, never a stack.
 */
import { loadHsmEnv } from "./env.ts";
import { isHsmError } from "./errors.ts";
import { initHsm } from "./softhsm.ts";

try {
  const { summary } = initHsm(loadHsmEnv());
  process.stdout.write(`${summary}\n`);
} catch (e) {
  process.stderr.write(`hsm init failed: ${isHsmError(e) ? e.message : e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
