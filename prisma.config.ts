// The Prisma CLI fetches a native schema engine before `generate`, and this machine cannot reach
// that host. `generate` never runs the engine, so any existing file satisfies the check; the
// migration SQL comes from the wasm engine instead (scripts/prisma/engine.ts).
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= "/bin/false";

import { defineConfig } from "prisma/config";

// `env("DATABASE_URL")` would throw when it is unset, and `prisma generate` needs no database.
const url = process.env.DATABASE_URL;

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  ...(url ? { datasource: { url } } : {}),
});
