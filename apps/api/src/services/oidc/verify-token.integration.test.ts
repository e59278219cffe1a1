// Against the REAL development IdP (apps/idp, oidc-provider) started as a child process on a free port:
// its tokens must verify through discovery and JWKS, map to identities, and end in certificates.
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, sign, X509Certificate, createPublicKey } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCertificate } from "@signet/crypto/x509/certificate";
import { FULCIO_OIDS, readFulcioExtensions } from "@signet/crypto/x509/fulcio-extensions";
import { createMemoryCtLog } from "../ca/ct-log.ts";
import { createCertificateAuthority, type CertificateAuthority } from "../ca/issue.ts";
import { checkLeafProfile } from "../ca/profile.ts";
import { createTestCa, type TestCa } from "../ca/testing.ts";
import { parseIssuersConfig, type IssuersConfig } from "./issuers.ts";
import { createProviderKeys } from "./provider-keys.ts";
import { verifyIdentityToken } from "./verify-token.ts";

const IDP_MAIN = path.join(process.cwd(), "apps/idp/src/main.ts");
const hasIdp = existsSync(IDP_MAIN);

let child: ChildProcess | undefined;
let dataDir: string;
let base: string; // http://127.0.0.1:<port>, where we reach it
let issuer: string; // http://localhost:<port>, what it puts in iss
let config: IssuersConfig;
let testCa: TestCa;
let ca: CertificateAuthority;
let childLog = "";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (r.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child?.exitCode !== null) throw new Error(`dev IdP did not start:\n${childLog}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function devToken(body: unknown): Promise<string> {
  const r = await fetch(`${base}/dev/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(r.status).toBe(200);
  return ((await r.json()) as { token: string }).token;
}

describe.skipIf(!hasIdp)("with the real dev IdP (apps/idp)", () => {
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "signet-idp-for-ca-"));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    issuer = `http://localhost:${port}`;
    const env: NodeJS.ProcessEnv = { ...process.env, SIGNET_IDP_PORT: String(port), SIGNET_DATA_DIR: dataDir, SIGNET_IDP_DEV_TOKENS: "1" };
    // The IdP's own defaults (issuer http://localhost:<port>, loopback hosts), whatever the shell has set.
    delete env.SIGNET_IDP_ISSUER;
    delete env.SIGNET_IDP_HOST;
    child = spawn(process.execPath, ["--import", "tsx", IDP_MAIN], {
      cwd: process.cwd(),
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d: Buffer) => (childLog += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (childLog += d.toString()));
    await waitHealthy(`${base}/healthz`, Date.now() + 60_000);
    // The IdP also mints GitHub-shaped workload tokens under the same issuer; those are checked against a
    // github-workflow configuration of it in their own test.
    config = parseIssuersConfig({ issuers: [{ issuerUrl: issuer, type: "email", policy: { emailDomains: ["example.test"] } }] });
    testCa = await createTestCa();
    ca = createCertificateAuthority({
      rootCert: testCa.ceremony.root.der,
      intermediateCert: testCa.ceremony.intermediate.der,
      signer: testCa.signer("ca-intermediate"),
      ctLog: createMemoryCtLog({ signer: testCa.signer("ct-log") }),
    });
  }, 90_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    if (testCa) await rm(testCa.dir, { recursive: true, force: true });
  });

  it("verifies an email token (RS256 and ES256) and issues a certificate for it", async () => {
    for (const alg of ["RS256", "ES256"]) {
      const token = await devToken({ email: "dev@example.test", alg });
      const identity = await verifyIdentityToken(token, config, { keys: createProviderKeys() });
      expect(identity.issuer).toBe(issuer);
      expect(identity.san).toEqual({ kind: "email", value: "dev@example.test" });
      expect(identity.subject).toMatch(/^email-[0-9a-f]{32}$/);

      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
      const spki = new Uint8Array(publicKey.export({ format: "der", type: "spki" }));
      const signature = new Uint8Array(sign("sha256", Buffer.from(identity.challenge), { key: privateKey, dsaEncoding: "der" }));
      const issued = await ca.issue({ identity, publicKey: spki, proof: { kind: "challenge", signature } });
      const leaf = parseCertificate(issued.certificate);
      checkLeafProfile(leaf, [testCa.ceremony.intermediate.cert, testCa.ceremony.root.cert]);
      expect(readFulcioExtensions(leaf).issuer).toBe(issuer);
      expect(new X509Certificate(issued.certificate).verify(createPublicKey({ key: Buffer.from(testCa.ceremony.intermediate.cert.publicKey.spki), format: "der", type: "spki" }))).toBe(true);
    }
  });

  it("maps a GitHub-shaped workload token with the Fulcio templates", async () => {
    const gh = parseIssuersConfig({ issuers: [{ issuerUrl: issuer, type: "github-workflow", policy: { repositoryOwners: ["org"] } }] });
    const token = await devToken({ workload: { repository: "org/repo", workflow_ref: "org/repo/.github/workflows/release.yml@refs/tags/v1.2.3" } });
    const identity = await verifyIdentityToken(token, gh, { keys: createProviderKeys() });
    expect(identity.san).toEqual({ kind: "uri", value: "https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.2.3" });
    expect(identity.challenge).toBe("repo:org/repo:ref:refs/tags/v1.2.3");
    expect(identity.extensions[FULCIO_OIDS.sourceRepositoryRef]).toBe("refs/tags/v1.2.3");
    expect(identity.extensions[FULCIO_OIDS.sourceRepositoryUri]).toBe("https://github.com/org/repo");
    expect(identity.extensions[FULCIO_OIDS.runInvocationUri]).toMatch(/^https:\/\/github\.com\/org\/repo\/actions\/runs\/\d+\/attempts\/\d+$/);
    const denied = parseIssuersConfig({ issuers: [{ issuerUrl: issuer, type: "github-workflow", policy: { repositoryOwners: ["someone-else"] } }] });
    await expect(verifyIdentityToken(token, denied, { keys: createProviderKeys() })).rejects.toMatchObject({ code: "ERR_OIDC_POLICY_DENIED" });
  });

  it("rejects its tokens for another audience, another email domain, after expiry, and under a look-alike issuer", async () => {
    const keys = createProviderKeys();
    await expect(verifyIdentityToken(await devToken({ email: "dev@example.test", audience: "other" }), config, { keys })).rejects.toMatchObject({ code: "ERR_OIDC_AUDIENCE_INVALID" });
    await expect(verifyIdentityToken(await devToken({ email: "dev@elsewhere.test" }), config, { keys })).rejects.toMatchObject({ code: "ERR_OIDC_POLICY_DENIED" });
    const shortLived = await devToken({ email: "dev@example.test", ttlSeconds: 1 });
    await expect(verifyIdentityToken(shortLived, config, { keys, clock: () => Date.now() + 120_000 })).rejects.toMatchObject({ code: "ERR_OIDC_TOKEN_EXPIRED" });
    const lookalike = parseIssuersConfig({ issuers: [{ issuerUrl: `${issuer}/`, type: "email" }] });
    await expect(verifyIdentityToken(await devToken({ email: "dev@example.test" }), lookalike, { keys })).rejects.toMatchObject({ code: "ERR_OIDC_ISSUER_NOT_ALLOWED" });
  });
});
