/**
 * The log explorer (/log) against the running platform, in Chromium: entries written through the
 * API appear, the checkpoint and inclusion proofs are verified in the browser, a forged remembered
 * checkpoint raises the "Log inconsistent" alarm (SECURITY.md E9), and hostile values in entry
 * bodies render as text (SECURITY.md G6).
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { TAG, contextTag, encodeTlv } from "../packages/crypto/src/asn1/der.ts";
import { OID } from "../packages/crypto/src/asn1/oid.ts";
import { concatBytes, utf8 } from "../packages/crypto/src/encoding/bytes.ts";
import { buildTestCertificate, ext, generateTestKey, signDer, testName } from "../packages/crypto/src/testing/pki.ts";

const apiUrl = process.env.SIGNET_API_URL ?? "http://localhost:8080";
const STORAGE_PREFIX = "signet.explorer.checkpoint.v1:";

const b64 = (b: Uint8Array | Buffer | string) => Buffer.from(b).toString("base64");

/** POST a Rekor v1 entry to the API; returns its index. */
async function appendEntry(entry: unknown): Promise<string> {
  const res = await fetch(`${apiUrl}/api/v1/log/entries`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(entry) });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  const [value] = Object.values(JSON.parse(text) as Record<string, { logIndex: number }>);
  return String(value!.logIndex);
}

/** A hashedrekord 0.0.1 signed with a fresh P-256 key (public-key verifier). */
function publicKeyEntry(): { entry: unknown; digestHex: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const artifact = randomBytes(64);
  const digestHex = createHash("sha256").update(artifact).digest("hex");
  return {
    digestHex,
    entry: {
      apiVersion: "0.0.1",
      kind: "hashedrekord",
      spec: {
        data: { hash: { algorithm: "sha256", value: digestHex } },
        signature: { content: b64(sign("sha256", artifact, privateKey)), publicKey: { content: b64(publicKey.export({ type: "spki", format: "pem" }) as string) } },
      },
    },
  };
}

const HOSTILE_EMAIL = "<img src=x onerror=alert(1)>@evil.test";
const LONG_URI = `https://evil.test/${"a".repeat(600)}/<script>alert(2)</script>`;
const RTL_ISSUER = "https://idp.evil.test/\u202Egnp.exe";

/** A hashedrekord whose (self-issued) certificate carries hostile SANs and an RTL-override issuer. */
async function hostileCertificateEntry(): Promise<unknown> {
  const key = await generateTestKey();
  const san = encodeTlv(TAG.SEQUENCE, concatBytes(encodeTlv(contextTag(6, false), utf8(LONG_URI)), encodeTlv(contextTag(1, false), utf8(HOSTILE_EMAIL))));
  const now = Date.now();
  const cert = await buildTestCertificate({
    issuer: testName("evil", "<b>bold</b> CA"),
    subject: testName("", ""),
    notBefore: now - 60_000,
    notAfter: now + 10 * 60_000,
    spki: key.spki,
    extensions: [ext.keyUsage("leaf"), ext.eku([OID.ekuCodeSigning]), ext.raw(OID.subjectAltName, san, true), ext.fulcioIssuer(RTL_ISSUER)],
    signer: key,
  });
  const artifact = randomBytes(64);
  const pem = `-----BEGIN CERTIFICATE-----\n${b64(cert).replace(/.{64}/g, "$&\n")}\n-----END CERTIFICATE-----\n`;
  return {
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: {
      data: { hash: { algorithm: "sha256", value: createHash("sha256").update(artifact).digest("hex") } },
      signature: { content: b64(await signDer(key, artifact)), publicKey: { content: b64(pem) } },
    },
  };
}

/** Open /log and wait until the latest checkpoint is verified; returns what the panel shows. */
async function openVerifiedLog(page: Page): Promise<{ origin: string; size: bigint; root: string }> {
  await page.goto("/log");
  await expect(page.getByTestId("checkpoint-verified")).toBeVisible();
  return {
    origin: (await page.getByTestId("checkpoint-origin").innerText()).trim(),
    size: BigInt((await page.getByTestId("checkpoint-size").innerText()).trim()),
    root: (await page.getByTestId("checkpoint-root").innerText()).trim(),
  };
}

function forgedRecord(origin: string, size: bigint, rootB64: string): string {
  return JSON.stringify({ v: 1, origin, size: size.toString(), rootHash: rootB64, note: "forged", seenAt: Date.now() - 3_600_000 });
}

function flipFirstByte(rootB64: string): string {
  const bytes = Buffer.from(rootB64, "base64");
  bytes[0] = bytes[0]! ^ 0xff;
  return bytes.toString("base64");
}

test("appended entries appear, the checkpoint verifies, and an entry page verifies its inclusion proof", async ({ page }) => {
  const a = publicKeyEntry();
  const b = publicKeyEntry();
  const indexA = await appendEntry(a.entry);
  const indexB = await appendEntry(b.entry);

  const cp = await openVerifiedLog(page);
  expect(cp.size).toBeGreaterThan(BigInt(indexB));
  await expect(page.locator(`[data-testid="entry-row"][data-index="${indexB}"]`)).toBeVisible();
  await expect(page.locator(`[data-testid="entry-row"][data-index="${indexA}"]`)).toContainText(`sha256:${a.digestHex}`);

  await page.getByRole("link", { name: `#${indexA}`, exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/log/entry/${indexA}$`));
  await expect(page.getByTestId("inclusion-verified")).toBeVisible();
  await expect(page.getByTestId("entry-digest")).toHaveText(`sha256:${a.digestHex}`);
  await expect(page.getByText("signed entry timestamp verified ✓")).toBeVisible();
  await expect(page.getByText("= leaf hash ✓")).toBeVisible();
  await expect(page.getByRole("img", { name: new RegExp(`Inclusion proof of leaf ${indexA} in a tree of`) })).toBeVisible();

  // Search by artifact digest finds it; search by index jumps to its page.
  await page.goto("/log");
  await page.getByLabel("Search by").selectOption("digest");
  await page.getByRole("searchbox").fill(`sha256:${b.digestHex}`);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(page.getByRole("list", { name: "Matching entries, newest first" }).locator(`[data-index="${indexB}"]`)).toBeVisible();
  await page.getByLabel("Search by").selectOption("index");
  await page.getByRole("searchbox").fill(indexB);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/log/entry/${indexB}$`));
  await expect(page.getByTestId("inclusion-verified")).toBeVisible();
});

test("hostile values in an entry body render as text, never as markup", async ({ page }) => {
  const dialogs: string[] = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const index = await appendEntry(await hostileCertificateEntry());
  await openVerifiedLog(page);
  await page.goto(`/log/entry/${index}`);
  await expect(page.getByTestId("inclusion-verified")).toBeVisible();
  const sans = page.getByTestId("signer-san");
  await expect(sans).toHaveCount(2);
  await expect(sans.nth(1)).toHaveText(HOSTILE_EMAIL);
  // The long SAN is cut, with an expander that shows the rest, still as text.
  await expect(sans.nth(0)).not.toContainText("<script>");
  await sans.nth(0).getByRole("button", { name: /Show all of/ }).click();
  await expect(sans.nth(0)).toContainText(LONG_URI);
  // The RTL override cannot disguise the issuer: it is shown as a visible marker.
  await expect(page.getByTestId("signer-issuer")).toContainText("https://idp.evil.test/⟨U+202E⟩gnp.exe");
  await expect(page.getByTestId("signer-issuer")).toContainText("hidden characters");
  await expect(page.getByText("<b>bold</b> CA")).toBeVisible();
  expect(await page.locator("img[src='x'], script:has-text('alert(2)'), b:has-text('bold')").count()).toBe(0);
  expect(dialogs).toEqual([]);
});

test("a forged remembered checkpoint (same size, other root) raises the alarm and is not overwritten", async ({ page }) => {
  const cp = await openVerifiedLog(page);
  const key = `${STORAGE_PREFIX}${cp.origin}`;
  const forged = forgedRecord(cp.origin, cp.size, flipFirstByte(cp.root));
  await page.evaluate(([k, v]) => localStorage.setItem(k!, v!), [key, forged]);
  await page.reload();
  const alarm = page.getByRole("alert").filter({ hasText: "Log inconsistent" });
  await expect(alarm).toBeVisible();
  // Another writer may have grown the log meanwhile: then the fork shows as a failed consistency proof.
  await expect(alarm).toContainText(/this is a fork|consistency proof does not show/);
  await expect(alarm).toContainText(flipFirstByte(cp.root));
  await expect(page.locator('[data-checkpoint-status="inconsistent"]')).toBeVisible();
  expect(await page.evaluate((k) => localStorage.getItem(k), key)).toBe(forged);
  // The alarm follows the person around the explorer.
  await page.getByRole("navigation", { name: "Log explorer" }).getByRole("link", { name: "Checkpoints" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Log inconsistent" })).toBeVisible();
});

test("a remembered checkpoint larger than the log's raises the rollback alarm", async ({ page }) => {
  const cp = await openVerifiedLog(page);
  const key = `${STORAGE_PREFIX}${cp.origin}`;
  const forged = forgedRecord(cp.origin, cp.size + 1000n, cp.root);
  await page.evaluate(([k, v]) => localStorage.setItem(k!, v!), [key, forged]);
  await page.reload();
  const alarm = page.getByRole("alert").filter({ hasText: "Log inconsistent" });
  await expect(alarm).toBeVisible();
  await expect(alarm).toContainText("this is a rollback");
  expect(await page.evaluate((k) => localStorage.getItem(k), key)).toBe(forged);
});

test("a grown log is checked with a consistency proof from the checkpoint seen before", async ({ page }) => {
  const before = await openVerifiedLog(page);
  const key = `${STORAGE_PREFIX}${before.origin}`;
  expect(JSON.parse((await page.evaluate((k) => localStorage.getItem(k), key))!)).toMatchObject({ size: before.size.toString(), rootHash: before.root });
  await appendEntry(publicKeyEntry().entry);
  await page.getByRole("button", { name: "Check for a newer checkpoint" }).click();
  await expect(page.getByText(`Consistent with the checkpoint this browser verified before (size ${before.size}`)).toBeVisible();
  await expect(page.getByRole("alert").filter({ hasText: "Log inconsistent" })).toHaveCount(0);
  const stored = JSON.parse((await page.evaluate((k) => localStorage.getItem(k), key))!);
  expect(BigInt(stored.size)).toBeGreaterThan(before.size);
});

test("the checkpoint history verifies each signature and consistency between two sizes", async ({ page }) => {
  await appendEntry(publicKeyEntry().entry);
  await openVerifiedLog(page);
  await page.goto("/log/checkpoints");
  const rows = page.getByTestId("checkpoint-row");
  await expect(rows.first()).toContainText("signature verified ✓");
  const count = await rows.count();
  expect(count).toBeGreaterThan(1);
  const newest = (await rows.first().locator("strong").innerText()).replace("size ", "");
  const older = (await rows.nth(count - 1).locator("strong").innerText()).replace("size ", "");
  await page.getByLabel("Older size").fill(older);
  await page.getByLabel("Newer size").fill(newest);
  await page.getByRole("button", { name: "Verify", exact: true }).click();
  await expect(page.getByTestId("consistency-result")).toContainText("Consistent ✓");
});
