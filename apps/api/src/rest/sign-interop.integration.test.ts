/**
 * Keyless signing against the real api (in-process, PostgreSQL + SoftHSM2) and the real dev IdP
 * (apps/idp, in-process), with sigstore-js as the independent checker:
 *  (a) `signet sign` / `signet sign-bundle` (the CLI's main, in-process) produce bundles that
 *      @sigstore/verify 3.x accepts against Signet's published trusted root with its default
 *      thresholds (tlog 1, ctlog 1, timestamp 1), and that `signet verify` accepts;
 *  (b) sigstore-js signs against Signet (Fulcio v2, Rekor v1, RFC 3161) and the bundle verifies with
 *      @sigstore/verify and with `signet verify` / verifyBundle;
 *  (c) a tampered artifact and a wrong identity fail in both verifiers.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sign as sigstoreSign } from "sigstore";
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { Verifier, toSignedEntity, toTrustMaterial } from "@sigstore/verify";
import { verifyBundle } from "@signet/crypto/verify/verify-bundle";
import { parseTrustedRoot } from "@signet/crypto/trust/trusted-root";
import { main, type Io } from "../../../../packages/cli/src/main.ts";
import { startIdp, type RunningIdp } from "../../../idp/src/provider.ts";
import { startTestApi, type TestApi } from "../testing/api.ts";

const EMAIL = "dev@example.test";

describe("keyless signing interoperability (signet CLI, sigstore-js)", () => {
  let idp: RunningIdp;
  let api: TestApi;
  let dir: string;
  let rootJson: Record<string, unknown>;
  let rootFile: string;
  let artifact: string;
  let tampered: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "signet-sign-interop-"));
    idp = await startIdp({ port: 0, webUrl: "http://localhost:3000", dataDir: join(dir, "idp"), devTokens: true });
    api = await startTestApi({ SIGNET_IDP_ISSUER: idp.issuer });
    rootJson = (await (await fetch(`${api.base}/.well-known/signet/trusted_root.json`)).json()) as Record<string, unknown>;
    rootFile = join(dir, "trusted_root.json");
    writeFileSync(rootFile, JSON.stringify(rootJson));
    artifact = join(dir, "artifact.txt");
    writeFileSync(artifact, "signed by the signet CLI\n");
    tampered = join(dir, "tampered.txt");
    writeFileSync(tampered, "signed by the signet CLI!\n");
  });
  afterAll(async () => {
    await api?.stop();
    await idp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function io(env: Record<string, string> = {}) {
    const o = { out: "", err: "" };
    const sink: Io = { out: (t) => (o.out += t), err: (t) => (o.err += t), env };
    return { o, sink };
  }

  async function devToken(): Promise<string> {
    const res = await fetch(`${idp.issuer}/dev/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: EMAIL }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  }

  /** @sigstore/verify with Signet's published trusted root and its default thresholds (tlog 1, ctlog 1, timestamp 1). */
  function sigstoreVerify(bundle: unknown, data: Buffer | undefined, san = EMAIL): void {
    const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(rootJson)));
    verifier.verify(toSignedEntity(bundleFromJSON(bundle), data), { subjectAlternativeName: san, extensions: { issuer: idp.issuer } });
  }

  function signetVerify(bundleFile: string, target: string, identity = EMAIL): Promise<number> {
    return main(["verify", target, "--bundle", bundleFile, "--identity", identity, "--issuer", idp.issuer, "--trusted-root", rootFile], io().sink);
  }

  it("(a) signet sign --email: a v0.3 bundle that @sigstore/verify and signet verify accept; tampering and a wrong identity fail both", async () => {
    const out = join(dir, "cli.sigstore.json");
    const { o, sink } = io();
    const code = await main(["sign", artifact, "--email", EMAIL, "--idp", idp.issuer, "--instance", api.base, "--bundle", out], sink);
    expect(o.err).not.toMatch(/FAILED/);
    expect(code).toBe(0);
    expect(o.out).toMatch(new RegExp(`Log index \\d+: ${api.base}/api/v1/log/entries/[0-9a-f]{80}`));
    const bundle = JSON.parse(readFileSync(out, "utf8"));
    expect(bundle.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    expect(Object.keys(bundle.verificationMaterial).sort()).toEqual(["certificate", "timestampVerificationData", "tlogEntries"]);
    const data = readFileSync(artifact);
    expect(() => sigstoreVerify(bundle, data)).not.toThrow();
    expect(await signetVerify(out, artifact)).toBe(0);

    expect(() => sigstoreVerify(bundle, readFileSync(tampered))).toThrow();
    expect(await signetVerify(out, tampered)).toBe(1);
    expect(() => sigstoreVerify(bundle, data, "evil@example.test")).toThrow();
    expect(await signetVerify(out, artifact, "evil@example.test")).toBe(1);

    // The entry URL the CLI printed serves the same entry.
    const url = /Log index \d+: (\S+)/.exec(o.out)![1]!;
    const entry = (await (await fetch(url)).json()) as Record<string, { body: string }>;
    expect(Object.values(entry)[0]!.body).toBe(bundle.verificationMaterial.tlogEntries[0].canonicalizedBody);
  });

  it("(a) signet sign-bundle (conformance protocol) with the instance's signing config, and --in-toto (dsse entry)", async () => {
    const token = await devToken();
    const out = join(dir, "conformance.sigstore.json");
    expect(await main(["sign-bundle", "--identity-token", token, "--bundle", out, artifact], io({ SIGNET_API_URL: api.base }).sink)).toBe(0);
    expect(() => sigstoreVerify(JSON.parse(readFileSync(out, "utf8")), readFileSync(artifact))).not.toThrow();
    expect(await main(["verify-bundle", "--bundle", out, "--certificate-identity", EMAIL, "--certificate-oidc-issuer", idp.issuer, "--trusted-root", rootFile, artifact], io().sink)).toBe(0);

    const subject = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const statement = join(dir, "statement.json");
    writeFileSync(statement, JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [{ name: "empty", digest: { sha256: subject } }], predicateType: "https://example.test/predicate", predicate: {} }));
    const dsseOut = join(dir, "intoto.sigstore.json");
    const r = io({ SIGNET_API_URL: api.base });
    expect(await main(["sign-bundle", "--in-toto", "--identity-token", token, "--bundle", dsseOut, statement], r.sink)).toBe(0);
    const dsse = JSON.parse(readFileSync(dsseOut, "utf8"));
    expect(dsse.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: "dsse", version: "0.0.1" });
    expect(() => sigstoreVerify(dsse, undefined)).not.toThrow();
    expect(await main(["verify-bundle", "--bundle", dsseOut, "--certificate-identity", EMAIL, "--certificate-oidc-issuer", idp.issuer, "--trusted-root", rootFile, `sha256:${subject}`], io().sink)).toBe(0);
  });

  it("(b) sigstore-js signs against Signet; @sigstore/verify and signet verify accept the bundle; tampering and a wrong identity fail both", async () => {
    const data = readFileSync(artifact);
    const bundle = await sigstoreSign(data, { fulcioURL: api.base, rekorURL: api.base, tsaServerURL: api.base, identityToken: await devToken(), timeout: 30_000 });
    expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);
    expect(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(1);
    expect(() => sigstoreVerify(bundle, data)).not.toThrow();

    const out = join(dir, "sigstore-js.sigstore.json");
    writeFileSync(out, JSON.stringify(bundle));
    expect(await signetVerify(out, artifact)).toBe(0);
    const verified = await verifyBundle({ bundle, artifact: data, trustedRoot: parseTrustedRoot(rootJson), policy: { identity: { subjectAlternativeName: EMAIL, issuer: idp.issuer } } });
    expect(verified.timestamps.map((t) => t.source).sort()).toEqual(["tlog", "tsa"]);

    expect(() => sigstoreVerify(bundle, readFileSync(tampered))).toThrow();
    expect(await signetVerify(out, tampered)).toBe(1);
    await expect(verifyBundle({ bundle, artifact: readFileSync(tampered), trustedRoot: parseTrustedRoot(rootJson), policy: { identity: { subjectAlternativeName: EMAIL, issuer: idp.issuer } } })).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_VERIFY_/),
    });
    expect(() => sigstoreVerify(bundle, data, "evil@example.test")).toThrow();
    expect(await signetVerify(out, artifact, "evil@example.test")).toBe(1);
  });

  it("(c) a token for another audience is refused by the CA and nothing is written", async () => {
    const res = await fetch(`${idp.issuer}/dev/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: EMAIL, audience: "not-sigstore" }) });
    const { token } = (await res.json()) as { token: string };
    const out = join(dir, "refused.sigstore.json");
    const { o, sink } = io({ SIGNET_API_URL: api.base });
    expect(await main(["sign-bundle", "--identity-token", token, "--bundle", out, artifact], sink)).toBe(1);
    expect(o.err).toMatch(/ERR_SIGN_SERVICE_REFUSED.*ERR_OIDC_AUDIENCE_INVALID/);
    expect(() => readFileSync(out)).toThrow();
  });
});
