// /sign end to end against a started platform (`npm start` or scripts/test.mjs): sign in through
// the dev IdP's real form, sign a small file in the page (WebCrypto key, ca.issueForSession, log,
// TSA, in-page verification), download the bundle, verify it in Node with @signet/crypto and,
// independently, @sigstore/verify against the instance's trusted root, then on /verify in the page.
import { readFileSync } from "node:fs";
import { expect, test, type FileChooser, type Page } from "@playwright/test";
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { Verifier, toSignedEntity, toTrustMaterial } from "@sigstore/verify";
import { parseTrustedRoot, verifyBundle } from "../packages/crypto/src/index.ts";
import { parseCertificate } from "../packages/crypto/src/x509/certificate.ts";

/** Signet's passkey extension (docs/signing.md). */
const PASSKEY_OID = "2.25.149194864563520997185944822368741744203";

const webUrl = process.env.SIGNET_WEB_URL ?? "http://localhost:3000";
const idpUrl = process.env.SIGNET_IDP_URL ?? "http://localhost:8081";
const ISSUER = process.env.SIGNET_IDP_ISSUER ?? idpUrl;

const email = `sign-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}@example.test`;
const artifact = Buffer.from(`signed in the browser at ${new Date().toISOString()}\n`);

/** From /sign's "Sign in to sign" through the dev IdP's form (skipped when its own session is live) back to /sign. */
async function signInFromSignPage(page: Page, who: string): Promise<void> {
  await page.goto("/sign");
  const link = page.getByTestId("sign-in-to-sign");
  await expect(link).toHaveAttribute("href", "/auth/login?returnTo=/sign");
  await link.click();
  const field = page.locator("input#email");
  await Promise.race([field.waitFor({ timeout: 15_000 }), page.waitForURL(/\/sign$/, { timeout: 15_000 })]);
  if (await field.isVisible().catch(() => false)) {
    await field.fill(who);
    await page.getByRole("button", { name: "Continue" }).click();
  }
  await page.waitForURL(`${webUrl}/sign`);
}

test("signs a file on /sign; the bundle verifies in Node (both verifiers) and on /verify", async ({ page }) => {
  test.setTimeout(120_000);
  await signInFromSignPage(page, email);
  await expect(page.getByTestId("public-notice")).toContainText(email);

  await page.getByTestId("sign-file-input").setInputFiles({ name: "hello.txt", mimeType: "text/plain", buffer: artifact });
  const job = page.getByTestId("sign-job").first();
  await expect(job).toHaveAttribute("data-state", /signed|failed/, { timeout: 60_000 });
  await expect(job.getByTestId("sign-error")).toHaveCount(0);
  await expect(job).toHaveAttribute("data-state", "signed");
  await expect(job.getByTestId("log-entry-link").first()).toHaveAttribute("href", /^\/log\/entry\/[0-9]+$/);

  const [download] = await Promise.all([page.waitForEvent("download"), job.getByTestId("bundle-download").click()]);
  expect(download.suggestedFilename()).toBe("hello.txt.sigstore.json");
  const bundlePath = await download.path();
  const bundleText = readFileSync(bundlePath, "utf8");
  const bundleJson = JSON.parse(bundleText);
  expect(bundleJson.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
  expect(bundleJson.messageSignature).toBeDefined();

  // The instance's trusted root, as any verifier would fetch it.
  const rootRes = await fetch(`${webUrl}/.well-known/signet/trusted_root.json`);
  expect(rootRes.status).toBe(200);
  const trustedRootJson = await rootRes.json();

  const verified = await verifyBundle({
    bundle: bundleText,
    artifact,
    trustedRoot: parseTrustedRoot(trustedRootJson),
    policy: { identity: { subjectAlternativeName: email, issuer: ISSUER } },
  });
  expect(verified.tlogEntries.length).toBe(1);
  await expect(
    verifyBundle({ bundle: bundleText, artifact: Buffer.from("tampered\n"), trustedRoot: parseTrustedRoot(trustedRootJson), policy: { identity: { subjectAlternativeName: email, issuer: ISSUER } } }),
  ).rejects.toThrow();

  const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(trustedRootJson)), { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 });
  expect(() => verifier.verify(toSignedEntity(bundleFromJSON(bundleJson), artifact), { subjectAlternativeName: email, extensions: { issuer: ISSUER } })).not.toThrow();
  expect(() => verifier.verify(toSignedEntity(bundleFromJSON(bundleJson), artifact), { subjectAlternativeName: "someone@else.test", extensions: { issuer: ISSUER } })).toThrow();

  // The same file and bundle on /verify, in the page.
  await page.goto("/verify");
  await expect(page.getByTestId("trust-summary")).toBeVisible();
  await page.getByLabel("Artifact file").setInputFiles({ name: "hello.txt", mimeType: "text/plain", buffer: artifact });
  await expect(page.getByTestId("artifact-digest")).toBeVisible();
  await page.getByLabel("Bundle file").setInputFiles(bundlePath);
  await page.getByLabel("Expected identity").fill(email);
  await page.getByLabel("Expected issuer").fill(ISSUER);
  await page.getByRole("button", { name: "Verify", exact: true }).click();
  await expect(page.getByTestId("verify-result")).toHaveAttribute("data-outcome", "verified");
  await expect(page.getByTestId("verified-signer")).toHaveText(email);
});

test("/sign's drop zone works from the keyboard and fits a phone screen", async ({ browser }) => {
  test.setTimeout(120_000);
  const context = await browser.newContext({ baseURL: webUrl, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await signInFromSignPage(page, `keys-${email}`);
  const input = page.getByTestId("sign-file-input");
  await expect(input).toBeAttached();
  // The shared FileDrop: a real, labelled file input that takes several files.
  await expect(input).toHaveAttribute("multiple", "");
  await expect(page.getByLabel("Files to sign")).toHaveCount(1);

  // Keyboard only: Tab reaches the (visually hidden) input, and Enter or Space opens the picker. Each key
  // gets a freshly loaded page: Chromium may not open a second picker right after one was cancelled.
  for (const key of ["Enter", "Space"]) {
    if (key !== "Enter") await page.reload();
    await expect(input).toBeAttached();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press("Tab");
      reached = await input.evaluate((el) => el === document.activeElement);
    }
    expect(reached, "Tab reaches the file input").toBe(true);
    // Headless Chromium now and then drops the picker request of a key press (the page is unchanged and
    // the input still focused): the key gets up to three presses to open it.
    let chooser: FileChooser | undefined;
    for (let attempt = 0; attempt < 3 && !chooser; attempt++) {
      await expect(input).toBeFocused();
      [chooser] = await Promise.all([page.waitForEvent("filechooser", { timeout: 5_000 }).catch(() => undefined), page.keyboard.press(key)]);
    }
    expect(chooser, `${key} opens the file picker`).toBeDefined();
    if (!chooser) return;
    expect(chooser.isMultiple(), key).toBe(true);
    // Enter's picker is answered with nothing (like Cancel); Space's with the file to sign.
    await chooser.setFiles(key === "Space" ? [{ name: "by-keyboard.txt", mimeType: "text/plain", buffer: artifact }] : []);
  }
  const job = page.getByTestId("sign-job").first();
  await expect(job).toHaveAttribute("data-state", /signed|failed/, { timeout: 60_000 });
  await expect(job).toHaveAttribute("data-state", "signed");
  await expect(page.getByTestId("sign-job")).toHaveCount(1);

  // Phone width: nothing is wider than the screen, and the picker's button is on screen.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  const box = await page.getByText("Choose files to sign").boundingBox();
  expect(box).not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(390);
  await context.close();
});

test("refuses to certify without a session", async ({ request }) => {
  const res = await request.post(`${webUrl}/trpc/ca.issueForSession`, {
    headers: { "content-type": "application/json", origin: webUrl },
    data: { publicKey: "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n", proofOfPossession: "AA==" },
  });
  expect(res.status()).toBe(401);
  expect((await res.json()).error.data.signetCode).toBe("ERR_AUTH_NO_SESSION");
});

test("a passkey account must pass the passkey check on /sign before it may sign; the certificate then carries Signet's passkey extension", async ({ browser }) => {
  test.setTimeout(120_000);
  const context = await browser.newContext({ baseURL: webUrl });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  const who = `passkey-${email}`;
  await signInFromSignPage(page, who);
  await page.goto("/account");
  await page.getByTestId("add-passkey").click();
  await expect(page.getByTestId("account-status")).toContainText("Passkey added.", { timeout: 15_000 });
  // A new session owes the passkey check: no file input, and the API refuses a certificate.
  await page.getByTestId("sign-out").click();
  await expect(page.getByTestId("sign-in")).toBeVisible();
  await signInFromSignPage(page, who);
  await expect(page.getByTestId("sign-passkey-check")).toBeVisible();
  await expect(page.getByTestId("sign-file-input")).toHaveCount(0);
  const refused = await page.evaluate(async () => {
    const res = await fetch("/trpc/ca.issueForSession", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ publicKey: "x", proofOfPossession: "AA==" }) });
    return { status: res.status, body: (await res.json()) as { error: { data: { signetCode: string } } } };
  });
  expect(refused.status).toBe(403);
  expect(refused.body.error.data.signetCode).toBe("ERR_AUTH_PASSKEY_REQUIRED");
  await page.getByTestId("sign-passkey-check").click();
  await expect(page.getByTestId("sign-status")).toContainText("Passkey check passed", { timeout: 15_000 });
  await page.getByTestId("sign-file-input").setInputFiles({ name: "p.txt", mimeType: "text/plain", buffer: artifact });
  const job = page.getByTestId("sign-job").first();
  await expect(job).toHaveAttribute("data-state", /signed|failed/, { timeout: 60_000 });
  await expect(job.getByTestId("sign-error")).toHaveCount(0);
  await expect(job).toHaveAttribute("data-state", "signed");
  // The certificate issued after the passkey check carries Signet's passkey extension (docs/signing.md).
  const apiUrl = process.env.SIGNET_API_URL ?? "http://localhost:8080";
  const input = encodeURIComponent(JSON.stringify({ identity: who }));
  const listed = (await (await fetch(`${apiUrl}/trpc/certificates.byIdentity?input=${input}`)).json()) as { result: { data: { der: string }[] } };
  const cert = parseCertificate(Uint8Array.from(Buffer.from(listed.result.data[0]!.der, "base64")));
  const ext = cert.extensions.find((e) => e.oid === PASSKEY_OID);
  expect(ext, "passkey extension").toBeDefined();
  expect(Buffer.from(ext!.value).subarray(2).toString("utf8")).toBe("passkey");
  await context.close();
});
