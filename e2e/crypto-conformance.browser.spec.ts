// The sigstore-conformance bundle-verify corpus (70 cases × file and sha256-digest forms) through
// verifyBundle in real Chromium (e2e/harness/browser-bundle.ts) and in Node with the same entry
// module: every outcome, error code included, must be identical, and every case must give the
// conformance answer (SECURITY.md F1, G-S3).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test } from "@playwright/test";
import { runInBrowser } from "./harness/browser-bundle.ts";
import { run } from "./crypto-conformance.browser-entry.ts";
import type { CaseSpec, ConformanceRunResult } from "./crypto-conformance.browser-entry.ts";

const VECTORS = fileURLToPath(new URL("../../shared/vectors/", import.meta.url));
const CORPUS = `${VECTORS}sigstore-conformance/bundle-verify`;
const ENTRY = new URL("./crypto-conformance.browser-entry.ts", import.meta.url);
const DEFAULT_IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER = "https://token.actions.githubusercontent.com";

function corpusFixtures(): { fixtures: Record<string, string | Uint8Array>; cases: CaseSpec[] } {
  const fixtures: Record<string, string | Uint8Array> = {
    "public-good-production.trusted_root.json": readFileSync(`${VECTORS}trusted-roots/public-good-production.trusted_root.json`, "utf8"),
  };
  const cases: CaseSpec[] = [];
  const names = readdirSync(CORPUS, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const name of names) {
    const dir = `${CORPUS}/${name}`;
    const has = (f: string) => existsSync(`${dir}/${f}`);
    fixtures[`${name}/bundle.sigstore.json`] = readFileSync(`${dir}/bundle.sigstore.json`, "utf8");
    fixtures[`${name}/artifact`] = new Uint8Array(readFileSync(has("artifact") ? `${dir}/artifact` : `${CORPUS}/a.txt`));
    if (has("key.pub")) fixtures[`${name}/key.pub`] = readFileSync(`${dir}/key.pub`, "utf8");
    let trustedRoot = "public-good-production.trusted_root.json";
    if (has("trusted_root.json")) {
      trustedRoot = `${name}/trusted_root.json`;
      fixtures[trustedRoot] = readFileSync(`${dir}/trusted_root.json`, "utf8");
    }
    cases.push({
      name,
      trustedRoot,
      identity: has("identity") ? readFileSync(`${dir}/identity`, "utf8").trim() : DEFAULT_IDENTITY,
      issuer: has("issuer") ? readFileSync(`${dir}/issuer`, "utf8").trim() : DEFAULT_ISSUER,
      hasKey: has("key.pub"),
    });
  }
  fixtures["cases.json"] = JSON.stringify(cases);
  return { fixtures, cases };
}

test("the conformance corpus verifies identically in Chromium and Node", async ({ page }) => {
  const { fixtures, cases } = corpusFixtures();
  expect(cases).toHaveLength(70);

  const inBrowser = await runInBrowser<ConformanceRunResult>(page, ENTRY, fixtures);
  const inNode = await run(fixtures);

  expect(inBrowser.runtime).toContain("Chrome");
  expect(inBrowser.subtle).toBe(true);
  expect(Object.keys(inBrowser.results)).toHaveLength(140);
  for (const [key, result] of Object.entries(inBrowser.results)) {
    const shouldFail = key.split(" ")[0]!.endsWith("_fail");
    expect.soft(result === "ok", `${key}: ${result}`).toBe(!shouldFail);
    expect.soft(result, key).not.toMatch(/^UNTYPED/);
  }
  expect(inBrowser.results).toEqual(inNode.results);
});
