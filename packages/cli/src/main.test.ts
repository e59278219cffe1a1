import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { UsageError, parseArgs } from "./args.ts";
import { main, type Io } from "./main.ts";

const vectors = fileURLToPath(new URL("../../../../shared/vectors/", import.meta.url));
const corpus = `${vectors}sigstore-conformance/bundle-verify`;
const ROOT = `${vectors}trusted-roots/public-good-production.trusted_root.json`;
const IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";

function io(env: Record<string, string> = {}) {
  const o = { out: "", err: "" };
  const sink: Io = { out: (t) => (o.out += t), err: (t) => (o.err += t), env };
  return { o, sink };
}

describe("parseArgs", () => {
  const spec = { bundle: true, staging: false };
  it("reads flags, switches and positionals", () => {
    const a = parseArgs(["--bundle", "b.json", "--staging", "x", "--", "--y"], spec);
    expect(a.values.get("bundle")).toBe("b.json");
    expect(a.switches.has("staging")).toBe(true);
    expect(a.positionals).toEqual(["x", "--y"]);
    expect(parseArgs(["--bundle=b"], spec).values.get("bundle")).toBe("b");
  });
  it.each([[["--nope"]], [["--bundle"]], [["--bundle", "a", "--bundle", "b"]], [["--staging=1"]], [["--bundle="]]])("rejects %j", (argv) => {
    expect(() => parseArgs(argv, spec)).toThrow(UsageError);
  });
});

describe("signet main", () => {
  it("verify prints the transcript and exits 0", async () => {
    const { o, sink } = io();
    const code = await main(["verify", `${corpus}/a.txt`, "--bundle", `${corpus}/happy-path-v0.3/bundle.sigstore.json`, "--identity", IDENTITY, "--issuer", ISSUER, "--trusted-root", ROOT], sink);
    expect(code).toBe(0);
    expect(o.out).toMatch(/ok {3}certificate-chain/);
    expect(o.out).toMatch(/Verified: signed by https:\/\/github\.com\/sigstore-conformance/);
  });
  it("verify with a wrong identity regex exits 1 and names the failed check", async () => {
    const { o, sink } = io({ SIGNET_TRUSTED_ROOT: ROOT });
    const code = await main(["verify", `${corpus}/a.txt`, "--bundle", `${corpus}/happy-path-v0.3/bundle.sigstore.json`, "--identity-regex", "https://gitlab\\.com/.*", "--issuer", ISSUER], sink);
    expect(code).toBe(1);
    expect(o.err).toMatch(/ERR_VERIFY_POLICY_IDENTITY/);
  });
  it("verify-bundle without any trusted root is a usage error (trust is never fetched)", async () => {
    const { o, sink } = io();
    const code = await main(["verify-bundle", "--bundle", `${corpus}/happy-path-v0.3/bundle.sigstore.json`, "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER, `${corpus}/a.txt`], sink);
    expect(code).toBe(2);
    expect(o.err).toMatch(/SIGNET_TRUSTED_ROOT/);
  });
  it("verify-bundle rejects --key together with an identity", async () => {
    const { sink } = io({ SIGNET_TRUSTED_ROOT: ROOT });
    const code = await main(["verify-bundle", "--bundle", `${corpus}/managed-key-happy-path/bundle.sigstore.json`, "--key", `${corpus}/managed-key-happy-path/key.pub`, "--certificate-identity", IDENTITY, `${corpus}/a.txt`], sink);
    expect(code).toBe(2);
  });
  it("a sha256: argument that is not a digest is read as a file", async () => {
    const { o, sink } = io({ SIGNET_TRUSTED_ROOT: ROOT });
    const code = await main(["verify-bundle", "--bundle", `${corpus}/happy-path-v0.3/bundle.sigstore.json`, "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER, "sha256:abc"], sink);
    expect(code).toBe(2);
    expect(o.err).toMatch(/cannot read artifact sha256:abc/);
  });
  it("sign-bundle exits non-zero and writes nothing when signing cannot happen", async () => {
    const { o, sink } = io();
    const failing: Io = { ...sink, fetch: async () => Promise.reject(new TypeError("fetch failed")) };
    const out = `/tmp/signet-never-written-${process.pid}.json`;
    expect(await main(["sign-bundle", "--identity-token", "t", "--bundle", out, `${corpus}/a.txt`], failing)).toBe(1);
    expect(o.err).toMatch(/ERR_SIGN_/);
    const { existsSync } = await import("node:fs");
    expect(existsSync(out)).toBe(false);
  });
  it("unknown commands and no command are usage errors", async () => {
    expect(await main(["frobnicate"], io().sink)).toBe(2);
    expect(await main([], io().sink)).toBe(2);
    const { o, sink } = io();
    expect(await main(["help"], sink)).toBe(0);
    expect(o.out).toMatch(/verify-bundle/);
  });
});

describe("bin/signet.mjs", () => {
  const bin = fileURLToPath(new URL("../bin/signet.mjs", import.meta.url));
  const spawn = async (args: string[]) => {
    const { execFile } = await import("node:child_process");
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, ...args], { timeout: 30_000, env: { ...process.env, SIGNET_TRUSTED_ROOT: ROOT } }, (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  };
  it("exits 0 for a valid bundle and 1 for an invalid one", async () => {
    const ok = await spawn(["verify-bundle", "--bundle", `${corpus}/happy-path-v0.2/bundle.sigstore.json`, "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER, `${corpus}/a.txt`]);
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await spawn(["verify-bundle", "--bundle", `${corpus}/set-invalid-signature_fail/bundle.sigstore.json`, "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER, `${corpus}/a.txt`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/ERR_VERIFY_TRUSTED_TIME/);
  });
});
