import Link from "next/link";
import { ToolIcon } from "../components/tool-icon.tsx";

const TOOLS = [
  {
    href: "/sign",
    icon: "sign",
    label: "Sign",
    description: "Log in, choose a file, and get a Sigstore bundle. The signing key exists only in this tab.",
  },
  {
    href: "/verify",
    icon: "verify",
    label: "Verify",
    description: "Drop an artifact and its bundle. Every check runs in your browser and is explained.",
  },
  {
    href: "/log",
    icon: "log",
    label: "Log",
    description: "Search and audit the transparency log. Proofs are checked here, not taken on trust.",
  },
] as const;

/** Home: what Signet is, and the way into each tool. */
export default function HomePage() {
  return (
    <>
      <section className="hero" aria-labelledby="hero-title">
        <p className="eyebrow">Keyless code signing · Transparency log</p>
        <h1 id="hero-title">Sign software without keeping keys, and prove it in public.</h1>
        <p className="lede">
          Signet signs your artifacts with a short-lived certificate tied to your login, using a key that is
          created in your browser tab and discarded right after. Every signature is recorded in an
          append-only transparency log that anyone can audit, with proofs checked in the browser rather than
          taken on the server&apos;s word.
        </p>
      </section>

      <nav aria-label="Tools" className="tools">
        <ul className="tool-grid">
          {TOOLS.map(({ href, icon, label, description }) => (
            <li key={href}>
              <Link
                href={href}
                className="tool-card"
                aria-labelledby={`tool-${icon}-label`}
                aria-describedby={`tool-${icon}-description`}
              >
                <span className="tool-card-icon">
                  <ToolIcon name={icon} />
                </span>
                <span className="tool-card-label" id={`tool-${icon}-label`}>
                  {label}
                </span>
                <span className="tool-card-description" id={`tool-${icon}-description`}>
                  {description}
                </span>
                <span className="tool-card-arrow" aria-hidden="true">
                  →
                </span>
              </Link>
            </li>
          ))}
        </ul>
      </nav>

      <p className="status-note">
        Signet is in early development: these tools are being built, and each page says what works today.
      </p>
    </>
  );
}
