import "./globals.css";
import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import Link from "next/link";
import { connection } from "next/server";
import { LogoMark } from "../components/logo-mark.tsx";
import { SiteNav } from "../components/site-nav.tsx";
import { getWebEnv } from "../env.ts";
import { API_TRUSTED_ROOT_PATH, WEB_HEALTH_PATH } from "../links.ts";

export const metadata: Metadata = {
  title: { default: "Signet", template: "%s · Signet" },
  description:
    "Self-hostable keyless code signing with short-lived certificates and a verifiable transparency log.",
};

export const viewport: Viewport = {
  colorScheme: "light dark",
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "#ffffff" },
    { media: "(prefers-color-scheme: dark)", color: "#0d1117" },
  ],
};

/** The portal's shell: skip link, header with primary navigation, main content, service footer. */
export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page must render per request: Next stamps the proxy's per-request CSP nonce on its
  // scripts only while rendering, so a prerendered page would carry scripts the CSP blocks.
  await connection();
  const { publicApiUrl } = getWebEnv();

  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <div className="container site-header-inner">
            <Link href="/" className="brand">
              <LogoMark />
              <span>Signet</span>
            </Link>
            <SiteNav />
          </div>
        </header>
        <main id="main" className="container site-main" tabIndex={-1}>
          {children}
        </main>
        <footer className="site-footer">
          <div className="container site-footer-inner">
            <p>Signet: self-hostable keyless signing and transparency.</p>
            <nav aria-label="Service">
              <ul>
                <li>
                  <a href={WEB_HEALTH_PATH}>API health</a>
                </li>
                <li>
                  <a href={`${publicApiUrl}${API_TRUSTED_ROOT_PATH}`}>Trusted root</a>
                </li>
              </ul>
            </nav>
          </div>
        </footer>
      </body>
    </html>
  );
}
