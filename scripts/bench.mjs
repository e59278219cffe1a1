#!/usr/bin/env node
// `npm run bench [-- name…]`: runs every benchmark under bench/ (or those whose file name contains a
// given name: `npm run bench -- crypto`). Each prints its figures and, in the same run, the reference
// or goal it is compared against.
import { readdirSync } from "node:fs";
import path from "node:path";
import { ROOT, BIN } from "./lib/paths.mjs";
import { run } from "./lib/run.mjs";
import { say, fail } from "./lib/log.mjs";

const names = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const dir = path.join(ROOT, "bench");
const all = readdirSync(dir).filter((f) => f.endsWith(".bench.ts") || f.endsWith(".bench.mjs")).sort();
const chosen = names.length ? all.filter((f) => names.some((n) => f.includes(n))) : all;
if (chosen.length === 0) fail(`no benchmark matches ${names.join(", ") || "(none in bench/)"}; available: ${all.join(", ") || "none"}`);
let failed = 0;
for (const file of chosen) {
  say("signet", `── bench/${file}`);
  const code = await run(file.replace(/\.bench\.(ts|mjs)$/, ""), BIN.tsx, [path.join(dir, file)], { cwd: ROOT });
  if (code !== 0) failed++;
}
if (failed) fail(`${failed} benchmark(s) failed`);
