"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const SECTIONS = [
  { href: "/log", label: "Entries" },
  { href: "/log/checkpoints", label: "Checkpoints" },
] as const;

/** Navigation between the explorer's views; entry pages count as "Entries". */
export function LogSubnav() {
  const pathname = usePathname();
  return (
    <nav aria-label="Log explorer" className="subnav">
      <ul>
        {SECTIONS.map(({ href, label }) => {
          const current = href === "/log" ? pathname === "/log" || pathname.startsWith("/log/entry/") : pathname.startsWith(href);
          return (
            <li key={href}>
              <Link href={href} aria-current={current ? "page" : undefined} prefetch={false}>
                {label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
