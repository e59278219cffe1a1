import { generateKeyPairSync, sign } from "node:crypto";
import { expect, request as playwrightRequest, test, type BrowserContext, type Page } from "@playwright/test";

// Portal sign-in end to end, against the platform scripts/test.mjs (or `npm start`) runs: the dev
// IdP's real form, the session cookie, passkeys through a CDP virtual authenticator, /me, and the
// refusals of SECURITY.md A8, G1 and G3. SIGNET_WEB_URL must be http://localhost:<port> (WebAuthn).
const webUrl = process.env.SIGNET_WEB_URL ?? "http://localhost:3000";
const apiUrl = process.env.SIGNET_API_URL ?? "http://localhost:8080";
const idpUrl = process.env.SIGNET_IDP_URL ?? "http://localhost:8081";
const SESSION_COOKIE = new URL(webUrl).protocol === "https:" ? "__Host-signet_session" : "signet_session";
const LOGIN_COOKIE = new URL(webUrl).protocol === "https:" ? "__Host-signet_login" : "signet_login";

const email = `e2e-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}@example.test`;

/** Click "Sign in" and get through the dev IdP (its form appears unless its own session is still live). */
async function signIn(page: Page, who: string): Promise<void> {
  await page.goto("/");
  await page.getByTestId("sign-in").click();
  const field = page.locator("input#email");
  await Promise.race([field.waitFor({ timeout: 15_000 }), page.waitForURL(/\/me$/, { timeout: 15_000 })]);
  if (await field.isVisible().catch(() => false)) {
    await field.fill(who);
    await page.getByRole("button", { name: "Continue" }).click();
  }
  await page.waitForURL(`${webUrl}/me`);
  await expect(page.getByTestId("signed-in-email")).toHaveText(who);
}

async function sessionCookie(context: BrowserContext) {
  return (await context.cookies(webUrl)).find((c) => c.name === SESSION_COOKIE);
}

/** Issue a certificate for `who` through the Fulcio-compatible API with a dev IdP token (as `signet` does). */
async function issueCertificate(who: string): Promise<void> {
  const tokenRes = await fetch(`${idpUrl}/dev/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: who }) });
  expect(tokenRes.status).toBe(200);
  const { token } = (await tokenRes.json()) as { token: string };
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const res = await fetch(`${apiUrl}/api/v2/signingCert`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      credentials: { oidcIdentityToken: token },
      publicKeyRequest: {
        publicKey: { algorithm: "ECDSA", content: publicKey.export({ type: "spki", format: "pem" }) },
        // The email issuer's challenge claim is the email: the proof of possession signs it.
        proofOfPossession: sign("sha256", Buffer.from(who), privateKey).toString("base64"),
      },
    }),
  });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
}

/**
 * Walk the authorization flow by hand (no browser) and stop at the callback, returning its URL and
 * the sealed login cookie, so the callback can be replayed with one thing wrong at a time.
 */
async function walkToCallback(who: string): Promise<{ url: URL; loginValue: string }> {
  const jar = await playwrightRequest.newContext();
  try {
    let res = await jar.get(`${webUrl}/auth/login`, { maxRedirects: 0 });
    expect(res.status()).toBe(303);
    const setLogin = res.headersArray().find((h) => h.name.toLowerCase() === "set-cookie" && h.value.startsWith(`${LOGIN_COOKIE}=`))!.value;
    expect(setLogin).toMatch(/HttpOnly/);
    expect(setLogin).toMatch(/SameSite=Lax/);
    expect(setLogin).toMatch(/Max-Age=600/);
    const loginValue = setLogin.slice(LOGIN_COOKIE.length + 1).split(";")[0]!;
    let location = new URL(res.headers()["location"]!, webUrl).href;
    for (let hop = 0; hop < 12 && !location.startsWith(`${webUrl}/auth/callback`); hop++) {
      res = await jar.get(location, { maxRedirects: 0 });
      if (res.status() === 200) {
        const action = /<form method="post" action="([^"]+)"/.exec(await res.text())![1]!.replace(/&amp;/g, "&");
        res = await jar.post(new URL(action, location).href, { form: { email: who }, maxRedirects: 0 });
      }
      location = new URL(res.headers()["location"]!, location).href;
    }
    expect(location.startsWith(`${webUrl}/auth/callback`)).toBe(true);
    return { url: new URL(location), loginValue };
  } finally {
    await jar.dispose();
  }
}

test.describe.configure({ mode: "serial" });

test("sign in through the dev IdP, see /me, add a passkey, sign out, sign in again and pass the passkey check", async ({ browser }) => {
  const context = await browser.newContext({ baseURL: webUrl });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });

  await signIn(page, email);
  // G3: HttpOnly, SameSite=Lax, Path=/, host-only (no Domain attribute).
  const cookie = await sessionCookie(context);
  expect(cookie).toBeDefined();
  expect(cookie!.httpOnly).toBe(true);
  expect(cookie!.sameSite).toBe("Lax");
  expect(cookie!.path).toBe("/");
  expect(cookie!.domain).toBe("localhost");
  expect(cookie!.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect((await context.cookies(webUrl)).some((c) => c.name === LOGIN_COOKIE)).toBe(false);
  await expect(page.getByTestId("me-email")).toHaveText(email);

  // /me lists a certificate once one is issued to this identity.
  await expect(page.getByTestId("no-certificates")).toBeVisible();
  await issueCertificate(email);
  await page.reload();
  await expect(page.getByTestId("certificates").locator("tbody tr")).toHaveCount(1);

  // Passkey registration with the virtual authenticator.
  await page.goto("/account");
  await expect(page.getByTestId("passkey-status")).toContainText("No passkey yet");
  await page.getByTestId("add-passkey").click();
  await expect(page.getByTestId("account-status")).toContainText("Passkey added.", { timeout: 15_000 });
  await expect(page.getByTestId("passkeys").locator("tbody tr")).toHaveCount(1);
  await expect(page.getByTestId("passkey-status")).toContainText("Passkey verified for this session.");

  // Sign out: the session ends server-side, so the old cookie value no longer works.
  const oldSession = (await sessionCookie(context))!.value;
  await page.getByTestId("sign-out").click();
  await expect(page.getByTestId("sign-in")).toBeVisible();
  expect(await sessionCookie(context)).toBeUndefined();
  const replay = await fetch(`${webUrl}/trpc/auth.session`, { headers: { cookie: `${SESSION_COOKIE}=${oldSession}` } });
  expect(await replay.json()).toMatchObject({ result: { data: { signedIn: false } } });

  // Sign in again: a new session id, which must pass the passkey check before it may sign.
  await signIn(page, email);
  const second = (await sessionCookie(context))!.value;
  expect(second).not.toBe(oldSession);
  await expect(page.getByTestId("passkey-needed")).toBeVisible();
  await page.goto("/account");
  await expect(page.getByTestId("passkey-status")).toContainText("Passkey check needed");
  await page.getByTestId("verify-passkey").click();
  await expect(page.getByTestId("account-status")).toContainText("Passkey check passed", { timeout: 15_000 });
  const state = await page.evaluate(async () => (await (await fetch("/trpc/auth.session")).json()) as { result: { data: Record<string, unknown> } });
  expect(state.result.data).toMatchObject({ signedIn: true, email, requiresPasskey: true, passkeyVerified: true });
  await context.close();
});

test("a cross-site POST to a tRPC mutation is refused, with or without the session cookie (G1, G3)", async ({ browser }) => {
  const context = await browser.newContext({ baseURL: webUrl });
  const page = await context.newPage();
  await signIn(page, email);
  const cookie = `${SESSION_COOKIE}=${(await sessionCookie(context))!.value}`;
  for (const base of [webUrl, apiUrl]) {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain; application/json"]) {
      const res = await fetch(`${base}/trpc/auth.logoutOthers`, { method: "POST", headers: { "content-type": type, origin: "https://evil.example", cookie }, body: "{}" });
      expect([base, type, res.status]).toEqual([base, type, 415]);
    }
    const json = await fetch(`${base}/trpc/auth.logoutOthers`, { method: "POST", headers: { "content-type": "application/json", origin: "https://evil.example", cookie }, body: "{}" });
    expect(json.status).toBe(403);
    const site = await fetch(`${base}/trpc/auth.logoutOthers`, { method: "POST", headers: { "content-type": "application/json", "sec-fetch-site": "cross-site", cookie }, body: "{}" });
    expect(site.status).toBe(403);
  }
  // Internal Next.js headers change nothing: authorisation lives in the procedure (G4).
  const bypass = await fetch(`${webUrl}/trpc/auth.listPasskeys`, { headers: { "x-middleware-subrequest": "middleware:middleware:middleware:middleware:middleware" } });
  expect(bypass.status).toBe(401);
  const logout = await fetch(`${webUrl}/auth/logout`, { method: "POST", headers: { origin: "https://evil.example", cookie }, redirect: "manual" });
  expect(logout.status).toBe(403);
  // The session survived all of that.
  const still = await page.evaluate(async () => (await (await fetch("/trpc/auth.session")).json()) as { result: { data: { signedIn: boolean } } });
  expect(still.result.data.signedIn).toBe(true);
  await context.close();
});

test("the callback refuses a missing login, a wrong or missing state, an injected code (PKCE) and a reused code, creating no session (A8)", async ({ browser }) => {
  const noLogin = await fetch(`${webUrl}/auth/callback?code=abc&state=def`, { redirect: "manual" });
  expect(noLogin.status).toBe(303);
  expect(noLogin.headers.get("location")).toContain("/auth/error?code=ERR_AUTH_LOGIN_EXPIRED");
  expect(noLogin.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`) && !c.includes("Max-Age=0"))).toBe(false);

  const { url, loginValue } = await walkToCallback(`a8-${email}`);
  const withCookie = { cookie: `${LOGIN_COOKIE}=${loginValue}` };

  // Code injection: another login's code, with this login's state, fails PKCE at the IdP (RFC 7636 §4.6).
  const other = await walkToCallback(`a8-${email}`);
  const injected = new URL(url);
  injected.searchParams.set("code", other.url.searchParams.get("code")!);
  const r0 = await fetch(injected, { headers: withCookie, redirect: "manual" });
  expect(r0.headers.get("location")).toContain("code=ERR_AUTH_CODE_REJECTED");
  expect(r0.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(false);

  const wrongState = new URL(url);
  wrongState.searchParams.set("state", "x".repeat(43));
  const r1 = await fetch(wrongState, { headers: withCookie, redirect: "manual" });
  expect(r1.headers.get("location")).toContain("code=ERR_AUTH_STATE_MISMATCH");
  const noState = new URL(url);
  noState.searchParams.delete("state");
  const r2 = await fetch(noState, { headers: withCookie, redirect: "manual" });
  expect(r2.headers.get("location")).toContain("code=ERR_AUTH_STATE_MISSING");
  for (const r of [r1, r2]) expect(r.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(false);

  const ok = await fetch(url, { headers: withCookie, redirect: "manual" });
  expect(ok.headers.get("location")).toBe(`${webUrl}/me`);
  expect(ok.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`) && c.includes("HttpOnly") && c.includes("SameSite=Lax"))).toBe(true);

  // The same code (and state, nonce) again, even with the login cookie replayed: refused by the IdP.
  const again = await fetch(url, { headers: withCookie, redirect: "manual" });
  expect(again.headers.get("location")).toMatch(/code=ERR_AUTH_(CODE_REJECTED|NONCE_REPLAYED)/);
  expect(again.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`) && !c.includes("Max-Age=0"))).toBe(false);
  const page = await browser.newPage({ baseURL: webUrl });
  await page.goto("/auth/error?code=ERR_AUTH_STATE_MISMATCH");
  await expect(page.locator('[data-code="ERR_AUTH_STATE_MISMATCH"]')).toContainText("state mismatch");
  await page.close();
});
