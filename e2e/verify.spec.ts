/**
 * The /verify page in Chromium against the running platform: bundles from the sigstore-conformance
 * corpus (../shared/vectors, with Sigstore's public-good trusted root loaded through the page) and a
 * bundle assembled from an entry written to this instance's log. Every test also checks that no
 * request carried the artifact or the bundle: verification happens in the browser only.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test, type Page, type Request } from "@playwright/test";

const SHARED = process.env.SIGNET_SHARED_DIR ? path.resolve(process.env.SIGNET_SHARED_DIR) : fileURLToPath(new URL("../../shared/", import.meta.url));
const CORPUS = path.join(SHARED, "vectors/sigstore-conformance/bundle-verify");
const PUBLIC_GOOD = path.join(SHARED, "vectors/trusted-roots/public-good-production.trusted_root.json");
const ARTIFACT = path.join(CORPUS, "a.txt");
const IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";
const apiUrl = process.env.SIGNET_API_URL ?? "http://localhost:8080";

let tmp: string;
test.beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "signet-verify-e2e-"));
});
test.afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Records every request the page makes, to prove nothing carried the user's files. */
function recordRequests(page: Page): Request[] {
  const seen: Request[] = [];
  page.on("request", (r) => seen.push(r));
  return seen;
}

/** No request may carry a body, and no URL may contain a recognisable part of the artifact, its digest or the bundle. */
function expectNothingUploaded(requests: readonly Request[], secrets: readonly string[]) {
  expect(requests.length).toBeGreaterThan(0);
  for (const r of requests) {
    expect(r.method(), r.url()).toBe("GET");
    expect(r.postData(), r.url()).toBeNull();
    const url = decodeURIComponent(r.url());
    for (const s of secrets) expect(url, `request ${r.url()} leaks a file fragment`).not.toContain(s);
    expect(new URL(r.url()).origin).toBe(new URL(requests[0]!.url()).origin);
  }
}

/** Fragments of the bundle that only exist in it: its signature and certificate / body. */
function bundleSecrets(bundleFile: string): string[] {
  const b = JSON.parse(readFileSync(bundleFile, "utf8"));
  const sig: string = b.messageSignature?.signature ?? b.dsseEnvelope?.signatures?.[0]?.sig ?? "";
  const body: string = b.verificationMaterial?.tlogEntries?.[0]?.canonicalizedBody ?? "";
  return [sig.slice(0, 24), body.slice(0, 24)].filter((s) => s.length > 0);
}

const sha256Hex = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

interface CaseInput {
  artifact?: string;
  digest?: string;
  bundle: string;
  trustedRoot?: string;
  identity?: string;
  issuer?: string;
  publicKeyFile?: string;
}

/** Fill the page and press Verify; resolves when the result is shown. */
async function verify(page: Page, input: CaseInput) {
  await page.goto("/verify");
  await expect(page.getByTestId("trust-summary")).toBeVisible();
  if (input.digest !== undefined) {
    await page.getByRole("radio", { name: "Its SHA-256 digest" }).check();
    await page.getByLabel("Artifact digest").fill(input.digest);
  } else {
    await page.getByLabel("Artifact file").setInputFiles(input.artifact ?? ARTIFACT);
    await expect(page.getByTestId("artifact-digest")).toBeVisible();
  }
  await page.getByLabel("Bundle file").setInputFiles(input.bundle);
  if (input.trustedRoot !== undefined) {
    await page.getByLabel("Trusted root file").setInputFiles(input.trustedRoot);
    await expect(page.getByTestId("trust-summary")).toContainText(path.basename(input.trustedRoot));
  }
  if (input.publicKeyFile !== undefined) {
    await expect(page.getByRole("radio", { name: "A public key (managed key)" })).toBeChecked();
    await page.getByLabel("Public key file").setInputFiles(input.publicKeyFile);
    await expect(page.getByLabel("Signer's public key (PEM)")).toHaveValue(/BEGIN PUBLIC KEY/);
  } else {
    await page.getByLabel("Expected identity").fill(input.identity ?? IDENTITY);
    await page.getByLabel("Expected issuer").fill(input.issuer ?? ISSUER);
  }
  await page.getByRole("button", { name: "Verify", exact: true }).click();
  await expect(page.getByTestId("verify-result")).toBeVisible();
  return page.getByTestId("verify-result");
}

test("a passing conformance bundle verifies against the public-good root, with the full transcript", async ({ page }) => {
  const requests = recordRequests(page);
  const bundle = path.join(CORPUS, "happy-path-v0.3/bundle.sigstore.json");
  const result = await verify(page, { bundle, trustedRoot: PUBLIC_GOOD });
  await expect(result).toHaveAttribute("data-outcome", "verified");
  await expect(page.getByTestId("verified-signer")).toHaveText(IDENTITY);
  const steps = page.getByTestId("transcript").locator("li");
  expect(await steps.count()).toBeGreaterThanOrEqual(10);
  await expect(page.getByTestId("transcript").locator('li[data-outcome="fail"]')).toHaveCount(0);
  for (const check of ["certificate-chain", "inclusion-proof", "checkpoint-signature", "signature", "policy"]) {
    await expect(page.getByTestId("transcript").locator(`li[data-check="${check}"][data-outcome="pass"]`).first()).toBeVisible();
  }
  expectNothingUploaded(requests, [sha256Hex(ARTIFACT), readFileSync(ARTIFACT, "utf8").trim().slice(0, 16), ...bundleSecrets(bundle)]);
});

test("the identity suggestions from the bundle are marked unverified and fill the form only when chosen", async ({ page }) => {
  await page.goto("/verify");
  await page.getByLabel("Bundle file").setInputFiles(path.join(CORPUS, "happy-path-v0.3/bundle.sigstore.json"));
  const suggestions = page.getByTestId("unverified-suggestions");
  await expect(suggestions).toContainText("unverified");
  await expect(page.getByLabel("Expected identity")).toHaveValue("");
  await suggestions.getByRole("button", { name: /^Use Identity/ }).click();
  await suggestions.getByRole("button", { name: /^Use Issuer/ }).click();
  await expect(page.getByLabel("Expected identity")).toHaveValue(IDENTITY);
  await expect(page.getByLabel("Expected issuer")).toHaveValue(ISSUER);
});

for (const [name, code, check] of [
  ["signature-mismatch_fail", "ERR_VERIFY_TLOG_BINDING", "Log entry matches the bundle"],
  ["checkpoint-wrong-roothash_fail", undefined, undefined],
  ["set-invalid-signature_fail", "ERR_VERIFY_TRUSTED_TIME", "Trusted time"],
] as const) {
  test(`the _fail case ${name} is rejected and names the failed check`, async ({ page }) => {
    const requests = recordRequests(page);
    const bundle = path.join(CORPUS, name, "bundle.sigstore.json");
    const result = await verify(page, { bundle, trustedRoot: PUBLIC_GOOD });
    await expect(result).toHaveAttribute("data-outcome", "failed");
    await expect(page.getByTestId("failed-check")).not.toBeEmpty();
    if (code !== undefined) await expect(result).toHaveAttribute("data-code", code);
    if (check !== undefined) await expect(page.getByTestId("failed-check")).toHaveText(check);
    await expect(page.getByTestId("transcript").locator('li[data-outcome="fail"]')).toHaveCount(1);
    expectNothingUploaded(requests, bundleSecrets(bundle));
  });
}

test("one byte changed in the artifact fails: the signature does not match this artifact", async ({ page }) => {
  const requests = recordRequests(page);
  const changed = Buffer.from(readFileSync(ARTIFACT));
  changed[0] = changed[0]! ^ 0x01;
  const file = path.join(tmp, "a-changed.txt");
  writeFileSync(file, changed);
  const bundle = path.join(CORPUS, "happy-path-v0.3/bundle.sigstore.json");
  const result = await verify(page, { artifact: file, bundle, trustedRoot: PUBLIC_GOOD });
  await expect(result).toHaveAttribute("data-outcome", "failed");
  await expect(page.getByTestId("failure-headline")).toHaveText("The signature does not match this artifact");
  // verifyBundle notices the changed digest first where the log entry binds it, before the signature step.
  await expect(page.getByTestId("failed-check")).toHaveText(/Log entry matches the bundle|Artifact digest|Signature/);
  expectNothingUploaded(requests, [createHash("sha256").update(changed).digest("hex"), ...bundleSecrets(bundle)]);
});

test("a wrong expected identity fails the policy check", async ({ page }) => {
  const result = await verify(page, { bundle: path.join(CORPUS, "happy-path-v0.3/bundle.sigstore.json"), trustedRoot: PUBLIC_GOOD, identity: "mallory@example.com" });
  await expect(result).toHaveAttribute("data-code", "ERR_VERIFY_POLICY_IDENTITY");
  await expect(page.getByTestId("failure-headline")).toHaveText("The certificate was issued to a different identity");
  await expect(page.getByTestId("failed-check")).toHaveText("Signer identity");
});

test("a pasted sha256 digest verifies without the artifact, and a regex identity matches", async ({ page }) => {
  const result = await verify(page, {
    digest: `sha256:${sha256Hex(ARTIFACT)}`,
    bundle: path.join(CORPUS, "happy-path-v0.3/bundle.sigstore.json"),
    trustedRoot: PUBLIC_GOOD,
  });
  await expect(result).toHaveAttribute("data-outcome", "verified");
  // The same check with the identity as an anchored regular expression.
  await page.getByLabel("Expected identity").fill("https://github\\.com/sigstore-conformance/.*");
  await page.getByLabel("Match the identity").selectOption("regex");
  await page.getByRole("button", { name: "Verify", exact: true }).click();
  await expect(page.getByTestId("verify-result")).toHaveAttribute("data-outcome", "verified");
  await page.getByLabel("Expected identity").fill("github\\.com/sigstore-conformance");
  await page.getByRole("button", { name: "Verify", exact: true }).click();
  await expect(page.getByTestId("verify-result")).toHaveAttribute("data-code", "ERR_VERIFY_POLICY_IDENTITY");
});

test("a managed-key bundle verifies with its public key file", async ({ page }) => {
  const result = await verify(page, {
    bundle: path.join(CORPUS, "managed-key-happy-path/bundle.sigstore.json"),
    trustedRoot: PUBLIC_GOOD,
    publicKeyFile: path.join(CORPUS, "managed-key-happy-path/key.pub"),
  });
  await expect(result).toHaveAttribute("data-outcome", "verified");
});

test("a bundle made from an entry written to this instance's log verifies against this instance's trusted root", async ({ page }) => {
  const requests = recordRequests(page);
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const artifact = randomBytes(4096);
  const artifactFile = path.join(tmp, "instance-artifact.bin");
  writeFileSync(artifactFile, artifact);
  const digest = createHash("sha256").update(artifact).digest();
  const signature = sign("sha256", artifact, privateKey);
  const pem = publicKey.export({ type: "spki", format: "pem" }) as string;
  const res = await fetch(`${apiUrl}/api/v1/log/entries`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      apiVersion: "0.0.1",
      kind: "hashedrekord",
      spec: {
        data: { hash: { algorithm: "sha256", value: digest.toString("hex") } },
        signature: { content: signature.toString("base64"), publicKey: { content: Buffer.from(pem).toString("base64") } },
      },
    }),
  });
  expect(res.status).toBe(201);
  type RekorEntry = {
    body: string;
    integratedTime: number;
    logID: string;
    logIndex: number;
    verification: {
      signedEntryTimestamp: string;
      inclusionProof: { checkpoint: string; hashes: string[]; logIndex: number; rootHash: string; treeSize: number };
    };
  };
  const [entry] = Object.values((await res.json()) as Record<string, RekorEntry>);
  if (entry === undefined) throw new Error("the API returned no entry");
  const hex64 = (h: string) => Buffer.from(h, "hex").toString("base64");
  const proof = entry.verification.inclusionProof;
  const bundle = {
    mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
    verificationMaterial: {
      publicKey: { hint: createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("base64") },
      tlogEntries: [
        {
          logIndex: String(entry.logIndex),
          logId: { keyId: hex64(entry.logID) },
          kindVersion: { kind: "hashedrekord", version: "0.0.1" },
          integratedTime: String(entry.integratedTime),
          inclusionPromise: { signedEntryTimestamp: entry.verification.signedEntryTimestamp },
          inclusionProof: {
            logIndex: String(proof.logIndex),
            rootHash: hex64(proof.rootHash),
            treeSize: String(proof.treeSize),
            hashes: proof.hashes.map(hex64),
            checkpoint: { envelope: proof.checkpoint },
          },
          canonicalizedBody: entry.body,
        },
      ],
    },
    messageSignature: { messageDigest: { algorithm: "SHA2_256", digest: digest.toString("base64") }, signature: signature.toString("base64") },
  };
  const bundleFile = path.join(tmp, "instance.sigstore.json");
  writeFileSync(bundleFile, JSON.stringify(bundle));
  const keyFile = path.join(tmp, "instance-key.pub");
  writeFileSync(keyFile, pem);

  const result = await verify(page, { artifact: artifactFile, bundle: bundleFile, publicKeyFile: keyFile });
  await expect(page.getByTestId("trust-summary")).toContainText("this instance's trusted root");
  await expect(result).toHaveAttribute("data-outcome", "verified");
  await expect(page.getByTestId("transcript").locator('li[data-check="checkpoint-signature"][data-outcome="pass"]')).toBeVisible();
  expectNothingUploaded(requests, [digest.toString("hex"), signature.toString("base64").slice(0, 24), artifact.toString("base64").slice(0, 24)]);
});

test("a large artifact is hashed in streaming with progress, and its digest is right", async ({ page }) => {
  const requests = recordRequests(page);
  const big = path.join(tmp, "big.bin");
  const chunk = randomBytes(1024 * 1024);
  const parts: Buffer[] = [];
  for (let i = 0; i < 48; i++) parts.push(chunk);
  const data = Buffer.concat(parts);
  writeFileSync(big, data);
  await page.goto("/verify");
  await page.getByLabel("Artifact file").setInputFiles(big);
  await expect(page.getByTestId("artifact-digest")).toHaveText(`sha256:${createHash("sha256").update(data).digest("hex")}`, { timeout: 30_000 });
  await expect(page.getByText(/48\.0 MiB hashed in \d+ ms/)).toBeVisible();
  expectNothingUploaded(requests, [chunk.subarray(0, 18).toString("base64")]);
});

test("the file inputs are real, labelled and reachable from the keyboard", async ({ page }) => {
  await page.goto("/verify");
  for (const label of ["Artifact file", "Bundle file", "Trusted root file"]) {
    const input = page.getByLabel(label);
    await expect(input).toHaveAttribute("type", "file");
    await input.focus();
    await expect(input).toBeFocused();
  }
  await expect(page.getByTestId("privacy-note")).toContainText("Nothing is uploaded");
});
