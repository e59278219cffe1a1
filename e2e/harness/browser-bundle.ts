/**
 * Run library code inside a real Chromium page from a Playwright spec.
 *
 * The entry module is bundled with esbuild for the browser (so any `node:` import or Node global
 * fails the build: the isomorphism check comes for free) and served, with the fixtures, from the
 * route-intercepted origin http://localhost:4399/ — nothing listens there; `page.route` answers
 * every request. `localhost` is a secure context, so `crypto.subtle` exists as in production.
 *
 * The entry module exports `async function run(fixtures)`; its JSON-serialisable result is
 * returned to the spec.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Page } from "@playwright/test";

export const HARNESS_ORIGIN = "http://localhost:4399";

/** A fixture served at `/fixtures/<name>`: text arrives in `run` as a string, bytes as a Uint8Array. */
export type Fixtures = Record<string, string | Uint8Array>;

/** Bundle a TypeScript entry module into one browser ESM file (esbuild, platform browser, in memory). */
export async function bundleForBrowser(entry: string | URL): Promise<string> {
  const entryPath = entry instanceof URL ? fileURLToPath(entry) : entry;
  const result = await build({
    entryPoints: [entryPath],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    sourcemap: "inline",
    logLevel: "silent",
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error(`esbuild produced no output for ${entryPath}`);
  return file.text;
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>signet browser harness</title></head><body></body></html>`;

/**
 * Bundle `entry`, open it in `page` at http://localhost:4399/, call its `run(fixtures)` and return
 * the result. Uncaught page errors fail the run.
 */
export async function runInBrowser<T>(page: Page, entry: string | URL, fixtures: Fixtures = {}): Promise<T> {
  const code = await bundleForBrowser(entry);
  const pageErrors: Error[] = [];
  page.on("pageerror", (e) => pageErrors.push(e));
  await page.route(`${HARNESS_ORIGIN}/**`, async (route) => {
    const path = decodeURIComponent(new URL(route.request().url()).pathname);
    if (path === "/") return route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: PAGE });
    if (path === "/bundle.js") return route.fulfill({ status: 200, contentType: "text/javascript; charset=utf-8", body: code });
    if (path.startsWith("/fixtures/")) {
      const body = fixtures[path.slice("/fixtures/".length)];
      if (body !== undefined) {
        const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);
        const contentType = typeof body === "string" ? "text/plain; charset=utf-8" : "application/octet-stream";
        return route.fulfill({ status: 200, contentType, body: bytes });
      }
    }
    return route.fulfill({ status: 404, contentType: "text/plain", body: "not found" });
  });
  await page.goto(`${HARNESS_ORIGIN}/`);
  const kinds = Object.entries(fixtures).map(([name, body]) => [name, typeof body === "string" ? "text" : "bytes"] as const);
  const json = await page.evaluate(async (fixtureKinds) => {
    if (!window.isSecureContext || typeof crypto.subtle === "undefined") throw new Error("harness page is not a secure context");
    const loaded: Record<string, string | Uint8Array> = {};
    await Promise.all(
      fixtureKinds.map(async ([name, kind]) => {
        const res = await fetch(`/fixtures/${encodeURIComponent(name)}`);
        if (!res.ok) throw new Error(`fixture ${name}: HTTP ${res.status}`);
        loaded[name] = kind === "text" ? await res.text() : new Uint8Array(await res.arrayBuffer());
      }),
    );
    const mod = (await import("/bundle.js" as string)) as { run?: (f: typeof loaded) => Promise<unknown> };
    if (typeof mod.run !== "function") throw new Error("entry module does not export run(fixtures)");
    return JSON.stringify(await mod.run(loaded));
  }, kinds);
  if (pageErrors.length > 0) throw new Error(`uncaught error in the page: ${pageErrors[0]!.message}`);
  return JSON.parse(json) as T;
}
