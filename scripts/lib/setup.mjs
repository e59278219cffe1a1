import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync, accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import { ROOT, BIN } from "./paths.mjs";
import { run } from "./run.mjs";
import { say, SetupError } from "./log.mjs";
import { ensureSystemPackages } from "./system.mjs";

const GENERATED = path.join(ROOT, "apps/api/src/generated/prisma");

function checkNode() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 18)) throw new SetupError(`Node.js ≥ 20.18 is required (this is ${process.version})`);
}

async function ensureNodeModules() {
  if (existsSync(BIN.tsx) && existsSync(BIN.next) && existsSync(path.join(ROOT, "node_modules/pkcs11js/build/Release/pkcs11.node"))) return;
  say("signet", "installing npm dependencies (npm ci)");
  if ((await run("npm", "npm", ["ci", "--no-audit", "--no-fund"], { cwd: ROOT })) !== 0) throw new SetupError("npm ci failed");
}

/** Generate the Prisma client when schema.prisma changed since the last generation (offline: no engine download). */
async function ensurePrismaClient() {
  const schemaFile = path.join(ROOT, "prisma/schema.prisma");
  if (!existsSync(schemaFile)) throw new SetupError(`${schemaFile} is missing`);
  const hash = createHash("sha256").update(readFileSync(schemaFile)).update(process.version).digest("hex");
  const stamp = path.join(GENERATED, ".signet-schema-hash");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === hash && existsSync(path.join(GENERATED, "client.ts"))) return;
  say("signet", "generating the Prisma client");
  const env = { PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? "/bin/false", PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
  if ((await run("prisma", BIN.prisma, ["generate"], { cwd: ROOT, env, quiet: true })) !== 0) throw new SetupError("prisma generate failed");
  writeFileSync(stamp, hash);
}

/** The data directory exists and is writable; a file in its place is reported by name. */
export function ensureDataDir(dir) {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new SetupError(`${dir} exists but is not a directory: move it away`);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new SetupError(`${dir} is not writable`);
  }
}

/** Initialise the embedded SoftHSM2 token under <data>/hsm (idempotent). */
async function ensureHsmToken(dataDir) {
  const code = await run("hsm", BIN.tsx, [path.join(ROOT, "apps/hsm/src/init-token.ts")], { cwd: ROOT, env: { SIGNET_DATA_DIR: dataDir } });
  if (code !== 0) throw new SetupError(`the HSM token could not be initialised under ${path.join(dataDir, "hsm")}`);
}

/**
 * Everything the platform and the tests need before they start, idempotent:
 * Debian packages, npm dependencies, the Prisma client, the data directory, the HSM token.
 */
export async function setup({ dataDir, forTests = false }) {
  checkNode();
  await ensureSystemPackages({ forTests, needPostgres: forTests || !process.env.DATABASE_URL });
  await ensureNodeModules();
  await ensurePrismaClient();
  ensureDataDir(dataDir);
  await ensureHsmToken(dataDir);
}
