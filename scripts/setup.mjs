#!/usr/bin/env node
// `npm run setup`: the set-up part of `npm start` alone (packages, Prisma client, data dir, HSM token).
import { dataDir } from "./lib/paths.mjs";
import { fail, say, SetupError } from "./lib/log.mjs";
import { setup } from "./lib/setup.mjs";

setup({ dataDir: dataDir(), forTests: process.argv.includes("--tests") }).then(
  () => say("signet", "set-up complete"),
  (e) => fail(e instanceof SetupError ? e.message : `set-up failed: ${e?.message ?? e}`),
);
