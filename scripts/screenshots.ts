/**
 * Regenerate the README screenshots under docs/screenshots/ from a running platform:
 *   SIGNET_WEB_URL=http://localhost:3000 npx tsx scripts/screenshots.ts <artifact> <bundle> <identity> <issuer>
 * (sign the artifact first with `signet sign`). Uses Debian's Chromium through Playwright. It also signs
 * the artifact on /sign, logging in through the dev IdP as the given identity (an email).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "@playwright/test";

const [artifact, bundle, identity, issuer] = process.argv.slice(2);
if (!artifact || !bundle || !identity || !issuer) {
  console.error("usage: screenshots.ts <artifact> <bundle> <identity> <issuer>");
  process.exit(2);
}
const web = process.env.SIGNET_WEB_URL ?? "http://localhost:3000";
const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../docs/screenshots");

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${web}/verify`);
  await page.getByTestId("trust-summary").waitFor();
  await page.getByLabel("Artifact file").setInputFiles(artifact);
  await page.getByTestId("artifact-digest").waitFor();
  await page.getByLabel("Bundle file").setInputFiles(bundle);
  await page.getByLabel("Expected identity").fill(identity);
  await page.getByLabel("Expected issuer").fill(issuer);
  await page.getByRole("button", { name: "Verify", exact: true }).click();
  await page.getByTestId("verify-result").waitFor();
  await page.screenshot({ path: path.join(out, "verify.png"), fullPage: true });

  // /sign: log in through the dev IdP's form, then sign the artifact in the browser.
  await page.goto(`${web}/sign`);
  await page.getByTestId("sign-in-to-sign").click();
  const field = page.locator("input#email");
  await Promise.race([field.waitFor({ timeout: 15_000 }), page.waitForURL(/\/sign$/, { timeout: 15_000 })]);
  if (await field.isVisible().catch(() => false)) {
    await field.fill(identity);
    await page.getByRole("button", { name: "Continue" }).click();
  }
  await page.waitForURL(`${web}/sign`);
  await page.getByTestId("sign-file-input").setInputFiles(artifact);
  await page.getByTestId("sign-job").first().waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="sign-job"]')?.getAttribute("data-state")?.match(/signed|failed/), undefined, { timeout: 60_000 });
  await page.screenshot({ path: path.join(out, "sign.png"), fullPage: true });

  await page.goto(`${web}/log`);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: path.join(out, "log.png"), fullPage: true });

  await page.goto(`${web}/log/entry/${process.env.SIGNET_SHOT_ENTRY ?? "0"}`);
  await page.waitForTimeout(2000);
  await page.screenshot({ path: path.join(out, "entry.png"), fullPage: true });
  console.log(`wrote verify.png, sign.png, log.png, entry.png to ${out}`);
} finally {
  await browser.close();
}
