import { defineConfig } from "@playwright/test";

// Debian's Chromium (apt-get install chromium): Playwright must never download a browser here.
const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

const webUrl = process.env.SIGNET_WEB_URL ?? "http://localhost:3000";

export default defineConfig({
  testDir: "./e2e",
  outputDir: "./test-results",
  fullyParallel: false,
  workers: 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: process.env.SIGNET_PW_REPORTER === "json" ? [["json", { outputFile: "test-results/playwright.json" }], ["list"]] : "list",
  timeout: 60_000,
  use: {
    browserName: "chromium",
    headless: true,
    launchOptions: { executablePath: process.env.SIGNET_CHROMIUM ?? "/usr/bin/chromium", args: chromiumArgs },
    trace: "off",
  },
  projects: [
    // Library code run inside a real Chromium page; needs no running platform.
    { name: "browser", testMatch: /.*\.browser\.spec\.ts$/ },
    // End-to-end specs against the started platform (scripts/test.mjs starts it).
    { name: "e2e", testMatch: /^(?!.*\.browser\.spec\.ts$).*\.spec\.ts$/, use: { baseURL: webUrl } },
  ],
});
