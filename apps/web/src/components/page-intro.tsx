import type { ReactNode } from "react";

/** The heading block every tool page opens with: eyebrow, title, and a short lede. */
export function PageIntro({ eyebrow, title, children }: { eyebrow: string; title: string; children: ReactNode }) {
  return (
    <header className="page-intro">
      <p className="eyebrow">{eyebrow}</p>
      <h1>{title}</h1>
      <div className="lede">{children}</div>
    </header>
  );
}

/** An honest notice that a tool is planned but not built yet; no fake controls. */
export function NotYetAvailable({ children }: { children: ReactNode }) {
  return (
    <section className="notice" aria-labelledby="notice-title">
      <h2 id="notice-title" className="notice-title">
        Not available yet
      </h2>
      <p>{children}</p>
    </section>
  );
}
