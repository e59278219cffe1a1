// `signet sign`, `sign-bundle` and `dev-token` through main(), against the in-memory instance
// double and a stand-in for the dev IdP's /dev/token; the written bundles are then checked by
// `signet verify` and `signet verify-bundle`.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main, type Io } from "./main.ts";
import type { Fetch } from "./http.ts";
import { createMemoryInstance, fakeToken, type MemoryInstance } from "./testing/memory-instance.ts";

const IDP = "http://idp.test";
let dir: string;
let inst: MemoryInstance;
let file: string;
let rootFile: string;
let configFile: string;
const devTokenBodies: unknown[] = [];

function idpFetch(next: Fetch): Fetch {
  return async (url, init) => {
    if (!url.startsWith(IDP)) return next(url, init);
    const body = JSON.parse(String(init?.body)) as { email?: string; workload?: { repository: string } };
    devTokenBodies.push(body);
    if (body.email === "forbidden@example.test") return new Response(JSON.stringify({ code: "ERR_IDP_FORBIDDEN", message: "not loopback" }), { status: 403 });
    const claims = body.email !== undefined ? { iss: IDP, sub: "email-1", email: body.email } : { iss: IDP, sub: `repo:${body.workload!.repository}:ref:refs/heads/main` };
    return new Response(JSON.stringify({ token: fakeToken({ ...claims, aud: "sigstore" }), issuer: IDP, subject: claims.sub, audience: "sigstore", expiresAt: 0 }), {
      status: 200,
      headers: { "content-type": "application/json" },
    });
  };
}

function io(env: Record<string, string> = {}, over: Partial<Io> = {}) {
  const o = { out: "", err: "" };
  const sink: Io = { out: (t) => (o.out += t), err: (t) => (o.err += t), env, fetch: idpFetch(inst.fetch), ...over };
  return { o, sink };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "signet-sign-cmd-"));
  inst = await createMemoryInstance();
  file = join(dir, "a.txt");
  writeFileSync(file, "artifact\n");
  rootFile = join(dir, "trusted_root.json");
  writeFileSync(rootFile, JSON.stringify(inst.trustedRootJson));
  configFile = join(dir, "signing_config.json");
  writeFileSync(configFile, JSON.stringify(inst.signingConfigJson));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("signet sign", () => {
  it("fetches a dev token, signs, writes <file>.sigstore.json and prints the log entry; signet verify accepts it", async () => {
    inst.misbehave = "none";
    const { o, sink } = io();
    const code = await main(["sign", file, "--email", "dev@example.test", "--idp", IDP, "--instance", inst.base], sink);
    expect(o.err).toMatch(/ok {3}certificate: dev@example\.test/);
    expect(code).toBe(0);
    expect(o.out).toMatch(/^Signed .*a\.txt as dev@example\.test \(issuer http:\/\/idp\.test\)\nWrote .*a\.txt\.sigstore\.json\nLog index \d+: http:\/\/signet\.test\/api\/v1\/log\/entries\/[0-9a-f]{80}\n$/);
    expect(inst.requests).toContain("GET /.well-known/signet/signing_config.json");
    const bundle = `${file}.sigstore.json`;
    expect(JSON.parse(readFileSync(bundle, "utf8")).mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    const v = io();
    expect(await main(["verify", file, "--bundle", bundle, "--identity", "dev@example.test", "--issuer", IDP, "--trusted-root", rootFile], v.sink)).toBe(0);
    expect(v.o.out).toMatch(/Verified: signed by dev@example\.test/);
  });

  it("writes where --bundle says, with a given token, and leaves nothing behind on failure", async () => {
    const out = join(dir, "given.sigstore.json");
    const token = fakeToken({ iss: IDP, sub: "s", email: "dev@example.test" });
    expect(await main(["sign", file, "--identity-token", token, "--instance", inst.base, "--bundle", out], io().sink)).toBe(0);
    expect(existsSync(out)).toBe(true);
    inst.misbehave = "ca-refuses";
    try {
      const failed = join(dir, "never.sigstore.json");
      const { o, sink } = io();
      expect(await main(["sign", file, "--identity-token", token, "--instance", inst.base, "--bundle", failed], sink)).toBe(1);
      expect(o.err).toMatch(/signing FAILED: ERR_SIGN_SERVICE_REFUSED: .*ERR_OIDC_TOKEN_EXPIRED/);
      expect(existsSync(failed)).toBe(false);
    } finally {
      inst.misbehave = "none";
    }
  });

  it("uses the instance for every service when it publishes no signing config", async () => {
    const noConfig: Fetch = async (url, init) => (url.endsWith("/signing_config.json") ? new Response("{}", { status: 404 }) : inst.fetch(url, init));
    const { o, sink } = io({ SIGNET_API_URL: inst.base }, { fetch: noConfig });
    expect(await main(["sign", file, "--identity-token", fakeToken({ iss: IDP, sub: "s", email: "dev@example.test" }), "--bundle", join(dir, "nc.json")], sink)).toBe(0);
    expect(o.err).toMatch(/publishes no signing config/);
  });

  it.each([
    [["sign", "a.txt"]],
    [["sign", "a.txt", "--identity-token", "t", "--email", "e@x.test"]],
    [["sign", "--email", "e@x.test"]],
    [["sign", "a.txt", "--identity-token", "t", "--idp", IDP]],
    [["sign", "a.txt", "--identity-token", "t", "--instance", "ftp://x"]],
    [["sign", "a.txt", "--identity-token", "t", "--instance", "http://x", "--signing-config", "c.json"]],
  ])("usage error: %j", async (argv) => {
    expect(await main(argv, io().sink)).toBe(2);
  });

  it("fails cleanly when the instance is unreachable", async () => {
    const { o, sink } = io({}, { fetch: async () => Promise.reject(new TypeError("fetch failed")) });
    expect(await main(["sign", file, "--identity-token", fakeToken({ iss: IDP, sub: "s" }), "--instance", "http://127.0.0.1:9"], sink)).toBe(1);
    expect(o.err).toMatch(/ERR_SIGN_HTTP_FAILED/);
  });
});

describe("signet sign-bundle (conformance protocol)", () => {
  const token = () => fakeToken({ iss: IDP, sub: "s", email: "dev@example.test" });

  it("signs with --signing-config and --trusted-root; verify-bundle accepts the result and rejects a tampered artifact", async () => {
    inst.misbehave = "none";
    const out = join(dir, "conf.sigstore.json");
    const { o, sink } = io();
    expect(await main(["sign-bundle", "--identity-token", token(), "--bundle", out, "--trusted-root", rootFile, "--signing-config", configFile, file], sink)).toBe(0);
    expect(o.out).toBe(`Wrote ${out}\n`);
    const verify = (artifact: string) => main(["verify-bundle", "--bundle", out, "--certificate-identity", "dev@example.test", "--certificate-oidc-issuer", IDP, "--trusted-root", rootFile, artifact], io().sink);
    expect(await verify(file)).toBe(0);
    const tampered = join(dir, "tampered.txt");
    writeFileSync(tampered, "artifact!\n");
    expect(await verify(tampered)).toBe(1);
    expect(await main(["verify-bundle", "--bundle", out, "--certificate-identity", "evil@example.test", "--certificate-oidc-issuer", IDP, "--trusted-root", rootFile, file], io().sink)).toBe(1);
  });

  it("signs an in-toto statement with --in-toto; verify-bundle takes the subject's digest", async () => {
    const statement = join(dir, "statement.json");
    const subject = "cd".repeat(32);
    writeFileSync(statement, JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [{ name: "x", digest: { sha256: subject } }], predicateType: "https://example.test/p", predicate: {} }));
    const out = join(dir, "intoto.sigstore.json");
    expect(await main(["sign-bundle", "--in-toto", "--identity-token", token(), "--bundle", out, "--trusted-root", rootFile, "--signing-config", configFile, statement], io().sink)).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8")).dsseEnvelope.payloadType).toBe("application/vnd.in-toto+json");
    expect(await main(["verify-bundle", "--bundle", out, "--certificate-identity", "dev@example.test", "--certificate-oidc-issuer", IDP, "--trusted-root", rootFile, `sha256:${subject}`], io().sink)).toBe(0);
  });

  it("without config files, takes the instance from SIGNET_API_URL and its trust material from it", async () => {
    const out = join(dir, "env.sigstore.json");
    expect(await main(["sign-bundle", "--identity-token", token(), "--bundle", out, file], io({ SIGNET_API_URL: inst.base }).sink)).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it("--staging needs a configured staging instance", async () => {
    const { o, sink } = io();
    expect(await main(["sign-bundle", "--staging", "--identity-token", token(), "--bundle", join(dir, "s.json"), file], sink)).toBe(2);
    expect(o.err).toMatch(/SIGNET_STAGING_SIGNING_CONFIG/);
    const ok = io({ SIGNET_STAGING_SIGNING_CONFIG: configFile, SIGNET_STAGING_TRUSTED_ROOT: rootFile });
    expect(await main(["sign-bundle", "--staging", "--identity-token", token(), "--bundle", join(dir, "s.json"), file], ok.sink)).toBe(0);
  });

  it("exits non-zero and writes nothing for a bad token", async () => {
    const out = join(dir, "bad.json");
    const { o, sink } = io();
    expect(await main(["sign-bundle", "--identity-token", "not-a-jwt", "--bundle", out, "--trusted-root", rootFile, "--signing-config", configFile, file], sink)).toBe(1);
    expect(o.err).toMatch(/ERR_SIGN_TOKEN_MALFORMED/);
    expect(existsSync(out)).toBe(false);
  });

  it.each([[["sign-bundle", "--bundle", "b", "f"]], [["sign-bundle", "--identity-token", "t", "f"]], [["sign-bundle", "--identity-token", "t", "--bundle", "b"]], [["sign-bundle", "--identity-token", "t", "--bundle", "b", "--key", "k", "f"]]])(
    "usage error: %j",
    async (argv) => {
      expect(await main(argv, io().sink)).toBe(2);
    },
  );
});

describe("signet dev-token", () => {
  it("prints only the token (a newline only on a terminal)", async () => {
    const a = io({ SIGNET_IDP_URL: IDP });
    expect(await main(["dev-token", "--email", "dev@example.test"], a.sink)).toBe(0);
    expect(a.o.out).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(JSON.parse(Buffer.from(a.o.out.split(".")[1]!, "base64url").toString())).toMatchObject({ email: "dev@example.test", iss: IDP });
    const b = io({}, { stdoutIsTty: true });
    expect(await main(["dev-token", "--email", "dev@example.test", "--idp", IDP], b.sink)).toBe(0);
    expect(b.o.out).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  });

  it("asks for a workload identity with the given claims and audience", async () => {
    const { o, sink } = io();
    expect(await main(["dev-token", "--workload-repository", "org/repo", "--workload-workflow-ref", "org/repo/.github/workflows/ci.yml@refs/heads/main", "--audience", "other", "--idp", IDP], sink)).toBe(0);
    expect(devTokenBodies.at(-1)).toEqual({ workload: { repository: "org/repo", workflow_ref: "org/repo/.github/workflows/ci.yml@refs/heads/main" }, audience: "other" });
    expect(o.out.split(".")).toHaveLength(3);
  });

  it("reports the IdP's refusal", async () => {
    const { o, sink } = io();
    expect(await main(["dev-token", "--email", "forbidden@example.test", "--idp", IDP], sink)).toBe(1);
    expect(o.err).toMatch(/ERR_DEV_TOKEN_FAILED: .*ERR_IDP_FORBIDDEN/);
    expect(o.out).toBe("");
  });

  it.each([[["dev-token"]], [["dev-token", "--workload-ref", "refs/heads/main"]], [["dev-token", "--email", "a@b.test", "--workload-repository", "o/r"]], [["dev-token", "--email", "a@b.test", "extra"]], [["dev-token", "--email", "a@b.test", "--idp", "file:///x"]]])(
    "usage error: %j",
    async (argv) => {
      expect(await main(argv, io().sink)).toBe(2);
    },
  );
});
