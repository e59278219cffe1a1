import { existsSync, readdirSync } from "node:fs";
import { run } from "./run.mjs";
import { say, SetupError } from "./log.mjs";

/** Debian packages Signet needs, each with a file that proves it is installed. */
const PACKAGES = [
  { name: "postgresql", probe: () => findPgBin("initdb") !== undefined, for: "the embedded database" },
  { name: "softhsm2", probe: () => existsSync("/usr/lib/softhsm/libsofthsm2.so") && existsSync("/usr/bin/softhsm2-util"), for: "the HSM" },
  { name: "opensc", probe: () => existsSync("/usr/bin/pkcs11-tool"), for: "pkcs11-tool" },
  { name: "chromium", probe: () => existsSync("/usr/bin/chromium"), for: "browser tests", testsOnly: true },
];

/** Locate a PostgreSQL server binary (Debian keeps them under /usr/lib/postgresql/<version>/bin). */
export function findPgBin(name) {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const p = `${base}/${v}/bin/${name}`;
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Install the missing Debian packages when running as root; otherwise print the exact
 * apt-get line and stop. `forTests` adds the packages only the tests need.
 */
export async function ensureSystemPackages({ forTests = false, needPostgres = true } = {}) {
  const missing = PACKAGES.filter((p) => (forTests || !p.testsOnly) && (needPostgres || p.name !== "postgresql") && !p.probe());
  if (missing.length === 0) return;
  const names = missing.map((p) => p.name);
  const line = `apt-get install -y --no-install-recommends ${names.join(" ")}`;
  if (process.getuid?.() !== 0) {
    throw new SetupError(`missing Debian packages (${missing.map((p) => `${p.name}: ${p.for}`).join(", ")}).\n` +
      `Install them with:\n  sudo apt-get update && sudo ${line}`);
  }
  say("signet", `installing Debian packages: ${names.join(", ")}`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  if ((await run("apt", "apt-get", ["update", "-qq"], { env, quiet: true })) !== 0) throw new SetupError("apt-get update failed");
  if ((await run("apt", "apt-get", line.split(" ").slice(1).concat(["-qq"]), { env, quiet: true })) !== 0) {
    throw new SetupError(`'${line}' failed`);
  }
  const still = missing.filter((p) => !p.probe());
  if (still.length) throw new SetupError(`packages installed but not found: ${still.map((p) => p.name).join(", ")}`);
}
