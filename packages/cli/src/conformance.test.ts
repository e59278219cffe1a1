/**
 * The sigstore-conformance bundle-verify corpus through the real `signet
 * verify-bundle` entry point (main(), in-process), in both the file and the
 * `sha256:<hex>` digest forms, with the arguments the conformance harness
 * passes (sigstore/sigstore-conformance test/client.py).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "./main.ts";

const vectors = fileURLToPath(new URL("../../../../shared/vectors/", import.meta.url));
const corpus = `${vectors}sigstore-conformance/bundle-verify`;
const defaults = {
  identity: "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
  issuer: "https://token.actions.githubusercontent.com",
  trustedRoot: `${vectors}trusted-roots/public-good-production.trusted_root.json`,
};

const cases = readdirSync(corpus, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function argsFor(name: string, form: "file" | "digest"): string[] {
  const dir = `${corpus}/${name}`;
  const args = ["verify-bundle", "--bundle", `${dir}/bundle.sigstore.json`];
  if (existsSync(`${dir}/key.pub`)) args.push("--key", `${dir}/key.pub`);
  else {
    const read = (f: string, d: string) => (existsSync(`${dir}/${f}`) ? readFileSync(`${dir}/${f}`, "utf8").trim() : d);
    args.push("--certificate-identity", read("identity", defaults.identity), "--certificate-oidc-issuer", read("issuer", defaults.issuer));
  }
  if (existsSync(`${dir}/trusted_root.json`)) args.push("--trusted-root", `${dir}/trusted_root.json`);
  const artifact = existsSync(`${dir}/artifact`) ? `${dir}/artifact` : `${corpus}/a.txt`;
  args.push(form === "file" ? artifact : `sha256:${createHash("sha256").update(readFileSync(artifact)).digest("hex")}`);
  return args;
}

async function runCase(name: string, form: "file" | "digest"): Promise<{ code: number; err: string }> {
  let err = "";
  // Cases without their own root get the production root the way an operator would configure it.
  const code = await main(argsFor(name, form), { out: () => {}, err: (t) => (err += t), env: { SIGNET_TRUSTED_ROOT: defaults.trustedRoot } });
  return { code, err };
}

describe("sigstore-conformance bundle-verify corpus via `signet verify-bundle`", () => {
  it("has the whole corpus: 70 cases (49 _fail, 21 pass), 140 runs with both forms", () => {
    expect(cases).toHaveLength(70);
    expect(cases.filter((c) => c.endsWith("_fail"))).toHaveLength(49);
  });

  const runs = cases.flatMap((name) => (["file", "digest"] as const).map((form) => [name, form] as const));
  it("runs 140 invocations", () => expect(runs).toHaveLength(140));

  it.each(runs)("%s [%s]", async (name, form) => {
    const { code, err } = await runCase(name, form);
    if (name.endsWith("_fail")) {
      expect(code, "a _fail case must not verify").toBe(1);
      expect(err).toMatch(/verification FAILED: ERR_/);
    } else {
      expect(code, err).toBe(0);
    }
  });
});
