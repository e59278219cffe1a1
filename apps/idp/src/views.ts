import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --bg: #f6f8fa; --card: #fff; --line: #d0d7de;
  --accent: #0b5cad; --accent-fg: #fff; --bad: #b42318; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9da7b3; --bg: #0d1117; --card: #161b22;
  --line: #30363d; --accent: #4c9aff; --accent-fg: #0d1117; --bad: #ff7b72; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg); color: var(--fg);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { width: min(26rem, calc(100vw - 2rem)); background: var(--card); border: 1px solid var(--line);
  border-radius: 12px; padding: 2rem; box-shadow: 0 1px 3px rgb(0 0 0 / 0.08); }
h1 { font-size: 1.35rem; margin: 0 0 0.25rem; }
p { margin: 0.5rem 0; color: var(--muted); }
.badge { display: inline-block; font-size: 0.75rem; font-weight: 600; letter-spacing: 0.04em; text-transform: uppercase;
  color: var(--bad); border: 1px solid currentColor; border-radius: 999px; padding: 0 0.6rem; margin-bottom: 1rem; }
label { display: block; font-weight: 600; margin: 1.25rem 0 0.35rem; }
input[type=email] { width: 100%; font: inherit; padding: 0.6rem 0.75rem; border: 1px solid var(--line); border-radius: 8px;
  background: var(--bg); color: var(--fg); }
input[type=email]:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
.error { color: var(--bad); font-weight: 600; }
.actions { display: flex; gap: 0.75rem; margin-top: 1.25rem; }
button { font: inherit; font-weight: 600; padding: 0.6rem 1rem; border-radius: 8px; cursor: pointer; border: 1px solid var(--line);
  background: transparent; color: var(--fg); }
button.primary { flex: 1; background: var(--accent); border-color: var(--accent); color: var(--accent-fg); }
small { display: block; margin-top: 1.5rem; color: var(--muted); }
code { font-size: 0.9em; }
`;

/** A rendered page plus the CSP nonce its inline style carries. */
export interface Page {
  html: string;
  nonce: string;
}

function layout(title: string, body: string): Page {
  const nonce = randomBytes(16).toString("base64");
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · Signet dev IdP</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<main>
<span class="badge">Development identity provider</span>
${body}
</main>
</body>
</html>
`;
  return { html, nonce };
}

/** The email sign-in form of the interactive flow; every interpolated value is escaped. Continue comes first so Enter submits it. */
export function renderLoginPage(input: {
  clientName: string;
  submitUrl: string;
  abortUrl: string;
  email?: string;
  error?: string;
}): Page {
  const error = input.error === undefined ? "" : `<p class="error" role="alert">${escapeHtml(input.error)}</p>`;
  return layout(
    "Sign in",
    `<h1>Sign in</h1>
<p><strong>${escapeHtml(input.clientName)}</strong> asks for your email address.</p>
${error}
<form method="post" action="${escapeHtml(input.submitUrl)}" autocomplete="on">
<label for="email">Email</label>
<input id="email" name="email" type="email" required maxlength="254" autofocus
  placeholder="dev@example.test" value="${escapeHtml(input.email ?? "")}">
<div class="actions">
<button class="primary" type="submit">Continue</button>
<button type="submit" formaction="${escapeHtml(input.abortUrl)}" formnovalidate>Cancel</button>
</div>
</form>
<small>No password: this provider signs whatever address you type, with <code>email_verified</code> true. It is for
laptops, tests and CI, and is never trusted by a production Signet.</small>`,
  );
}

/** A short page for an interaction that cannot go on (expired, from another browser, malformed). */
export function renderMessagePage(title: string, message: string): Page {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}

/** Sends a page with headers that keep it out of frames, caches and referrers, and allow only its own style. */
export function sendPage(res: ServerResponse, status: number, page: Page): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(page.html),
    "cache-control": "no-store",
    // No form-action: after the login POST the browser follows redirects to the client's redirect URI, which
    // Chromium checks against form-action too.
    "content-security-policy": `default-src 'none'; style-src 'nonce-${page.nonce}'; base-uri 'none'; frame-ancestors 'none'`,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  });
  res.end(page.html);
}
