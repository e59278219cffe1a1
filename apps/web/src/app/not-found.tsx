import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = { title: "Page not found" };

/** 404 for unknown URLs and `notFound()` calls. */
export default function NotFound() {
  return (
    <section className="page-intro not-found" aria-labelledby="not-found-title">
      <p className="eyebrow">Error 404</p>
      <h1 id="not-found-title">Page not found</h1>
      <div className="lede">
        <p>There is nothing at this address. Check the URL, or go back to the start.</p>
      </div>
      <p>
        <Link href="/" className="button">
          Go to the home page
        </Link>
      </p>
    </section>
  );
}
