import { expect, test } from "@playwright/test";

// The platform is started by scripts/test.mjs, which passes the URLs it chose.
const apiUrl = process.env.SIGNET_API_URL ?? "http://localhost:8080";
const idpUrl = process.env.SIGNET_IDP_URL ?? "http://localhost:8081";

test("the portal's home page renders and links to Sign, Verify and Log", async ({ page }) => {
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  await expect(page).toHaveTitle(/Signet/);
  for (const navName of ["Primary", "Tools"]) {
    const nav = page.getByRole("navigation", { name: navName });
    for (const [name, href] of [["Sign", "/sign"], ["Verify", "/verify"], ["Log", "/log"]] as const) {
      const link = nav.getByRole("link", { name: new RegExp(`^${name}\\b`) }).first();
      await expect(link, `${navName} → ${name}`).toBeVisible();
      expect(await link.getAttribute("href")).toBe(href);
    }
  }
  // Security headers are on the page itself (SECURITY.md G5).
  const headers = response!.headers();
  expect(headers["content-security-policy"]).toContain("object-src 'none'");
  expect(headers["x-content-type-options"]).toBe("nosniff");
});

test("each linked page renders", async ({ page }) => {
  for (const path of ["/sign", "/verify", "/log"]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(200);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  }
});

test("api, idp and web health endpoints answer 200 with their status", async ({ request }) => {
  const api = await request.get(`${apiUrl}/healthz`);
  expect(api.status()).toBe(200);
  const apiBody = await api.json();
  expect(apiBody.status).toBe("ok");
  expect(apiBody.checks.database.status).toBe("ok");
  expect(apiBody.checks.hsm.status).toBe("ok");

  const idp = await request.get(`${idpUrl}/healthz`);
  expect(idp.status()).toBe(200);

  const web = await request.get("/healthz");
  expect(web.status()).toBe(200);
});

test("an unknown api path is a 404 with a stable code, not a stack", async ({ request }) => {
  const res = await request.get(`${apiUrl}/no/such/path`);
  expect(res.status()).toBe(404);
  expect(await res.json()).toMatchObject({ code: "ERR_NOT_FOUND" });
});
