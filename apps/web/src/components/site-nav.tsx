"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { PRIMARY_TOOLS } from "../links.ts";
import { AuthStatus } from "./auth-status.tsx";
import "./auth.css";

/** The header's primary navigation; marks the current section for assistive technology. */
export function SiteNav() {
  const pathname = usePathname();
  return (
    <nav aria-label="Primary" className="site-nav">
      <ul>
        {PRIMARY_TOOLS.map(({ href, label }) => {
          const current = pathname === href || pathname.startsWith(`${href}/`);
          return (
            <li key={href}>
              <Link href={href} aria-current={current ? "page" : undefined}>
                {label}
              </Link>
            </li>
          );
        })}
      </ul>
      <AuthStatus />
    </nav>
  );
}
