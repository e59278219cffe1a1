#!/usr/bin/env node
// `npm test`: the same set-up as `npm start`, then type checks, unit tests, integration tests against a
// throwaway PostgreSQL (and real SoftHSM2 / dev IdP where a test needs them), the Playwright suites in
// Debian's Chromium against a freshly started platform, and one closing line `N passed, N failed, N skipped`.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, BIN } from "./lib/paths.mjs";
import { say, SetupError } from "./lib/log.mjs";
import { run } from "./lib/run.mjs";
import { setup } from "./lib/setup.mjs";
import { freePort } from "./lib/ports.mjs";
import { createCluster } from "./lib/postgres.mjs";
import { buildWeb, startPlatform } from "./lib/platform.mjs";

const totals = { passed: 0, failed: 0, skipped: 0 };
const problems = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), "signet-test-"));
// The embedded cluster runs as the postgres user when we are root: it must be able to traverse here.
chmodSync(tmp, 0o755);
const dataDir = path.join(tmp, "data");
let cluster;
let platform;

async function cleanup() {
  await platform?.stop().catch(() => {});
  await cluster?.stop().catch(() => {});
  if (!process.env.SIGNET_KEEP_TEST_DIR) rmSync(tmp, { recursive: true, force: true });
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

async function step(name, fn) {
  say("test", `── ${name}`);
  try {
    await fn();
  } catch (e) {
    problems.push(`${name}: ${e?.message ?? e}`);
    say("test", `${name} failed: ${e?.message ?? e}`);
  }
}

async function main() {
  const only = process.env.SIGNET_TEST_ONLY; // e.g. "unit,integration" while iterating; CI runs everything
  const want = (part) => !only || only.split(",").includes(part);

  await setup({ dataDir, forTests: true });

  if (want("typecheck")) {
    await step("type check", async () => {
      const code = await run("tsc", BIN.turbo, ["run", "typecheck", "--output-logs=errors-only", "--log-prefix=none", "--concurrency=2"], {
        cwd: ROOT,
        env: { TURBO_TELEMETRY_DISABLED: "1", TURBO_NO_UPDATE_NOTIFIER: "1" },
      });
      if (code !== 0) throw new Error("TypeScript errors (see above)");
    });
  }

  const pgPort = await freePort();
  cluster = createCluster({ dir: path.join(tmp, "postgres"), port: pgPort });
  await cluster.start();

  if (want("unit") || want("integration")) {
    await step("unit and integration tests (vitest)", async () => {
      const databaseUrl = await cluster.ensureDatabase("signet_test");
      const code0 = await run("migrate", BIN.tsx, [path.join(ROOT, "apps/api/src/db/migrate.ts")], { cwd: ROOT, env: { DATABASE_URL: databaseUrl } });
      if (code0 !== 0) throw new Error("migrations failed on the test database");
      const projects = ["unit", "integration"].filter(want).flatMap((p) => ["--project", p]);
      const out = path.join(tmp, "vitest.json");
      const code = await run("vitest", BIN.vitest, ["run", ...projects, "--reporter=default", "--reporter=json", `--outputFile.json=${out}`], {
        cwd: ROOT,
        env: { DATABASE_URL: databaseUrl, SIGNET_TEST_PG_PORT: String(pgPort), SIGNET_TEST_TMP: tmp, SIGNET_SHARED_DIR: path.resolve(ROOT, "../shared") },
      });
      const report = readJson(out);
      if (report) {
        totals.passed += report.numPassedTests ?? 0;
        totals.failed += report.numFailedTests ?? 0;
        totals.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
        const brokenSuites = (report.testResults ?? []).filter((r) => r.status === "failed" && (r.assertionResults ?? []).length === 0);
        totals.failed += brokenSuites.length;
      }
      if (code !== 0 || !report) throw new Error(`vitest exited ${code}`);
    });
  }

  if (want("e2e") || want("browser")) {
    await step("Playwright in Chromium (browser library suites and end-to-end against the started platform)", async () => {
      const ports = { web: await freePort(), api: await freePort(), idp: await freePort(), hsm: await freePort(), postgres: pgPort };
      if (want("e2e")) {
        await buildWeb();
        const databaseUrl = await cluster.ensureDatabase("signet_e2e");
        platform = await startPlatform({ dataDir, ports, databaseUrl });
      }
      const out = path.join(ROOT, "test-results/playwright.json");
      rmSync(out, { force: true });
      const projects = ["browser", "e2e"].filter(want).flatMap((p) => ["--project", p]);
      const code = await run("pw", BIN.playwright, ["test", ...projects], {
        cwd: ROOT,
        env: {
          SIGNET_PW_REPORTER: "json",
          SIGNET_WEB_URL: `http://localhost:${ports.web}`,
          SIGNET_API_URL: `http://localhost:${ports.api}`,
          SIGNET_IDP_URL: `http://localhost:${ports.idp}`,
          SIGNET_HSM_HEALTH_URL: `http://127.0.0.1:${ports.hsm}/healthz`,
          SIGNET_SHARED_DIR: path.resolve(ROOT, "../shared"),
        },
      });
      const report = existsSync(out) ? readJson(out) : undefined;
      if (report?.stats) {
        totals.passed += (report.stats.expected ?? 0) + (report.stats.flaky ?? 0);
        totals.failed += report.stats.unexpected ?? 0;
        totals.skipped += report.stats.skipped ?? 0;
      }
      if (code !== 0 || !report) throw new Error(`playwright exited ${code}`);
    });
  }
}

process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));
process.once("SIGTERM", () => void cleanup().then(() => process.exit(143)));

let exitCode = 0;
try {
  await main();
} catch (e) {
  problems.push(e instanceof SetupError ? e.message : e?.stack ?? String(e));
}
await cleanup();
if (problems.length) {
  exitCode = 1;
  say("test", "problems:");
  for (const p of problems) say("test", `  - ${p}`);
}
if (totals.failed > 0) exitCode = 1;
if (totals.passed === 0) {
  exitCode = 1;
  say("test", "no test ran");
}
process.stdout.write(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(exitCode);
