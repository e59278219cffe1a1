import { fileURLToPath } from "node:url";
import path from "node:path";

/** The repository root (scripts/lib/../..). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The data directory: SIGNET_DATA_DIR or <repo>/.data. */
export function dataDir() {
  return path.resolve(process.env.SIGNET_DATA_DIR ?? path.join(ROOT, ".data"));
}

/** Binaries installed as npm dependencies. */
export const BIN = {
  tsx: path.join(ROOT, "node_modules/.bin/tsx"),
  prisma: path.join(ROOT, "node_modules/.bin/prisma"),
  next: path.join(ROOT, "node_modules/.bin/next"),
  vitest: path.join(ROOT, "node_modules/.bin/vitest"),
  playwright: path.join(ROOT, "node_modules/.bin/playwright"),
  turbo: path.join(ROOT, "node_modules/.bin/turbo"),
  tsc: path.join(ROOT, "node_modules/.bin/tsc"),
};
