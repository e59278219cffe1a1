import "../../components/tools.css";
import type { ReactNode } from "react";
import { preload } from "react-dom";
import { VerifiedLogProvider } from "../../components/log/verified-log.tsx";
import { TrpcProvider } from "../../components/trpc-provider.tsx";
import { CHECKPOINT_PATH } from "../../lib/log-paths.ts";
import { API_TRUSTED_ROOT_PATH } from "../../links.ts";

/**
 * Every explorer page shares one verification of the log: the provider checks the latest
 * checkpoint and its consistency with what this browser saw before, and raises the alarm at the
 * top of any /log page.
 */
export default function LogLayout({ children }: { children: ReactNode }) {
  // The browser starts both downloads while it parses the HTML, before any script runs; the
  // provider's fetches then reuse them. They are inputs to verification, never trusted as such.
  preload(API_TRUSTED_ROOT_PATH, { as: "fetch", crossOrigin: "anonymous" });
  preload(CHECKPOINT_PATH, { as: "fetch", crossOrigin: "anonymous" });
  return (
    <TrpcProvider>
      <VerifiedLogProvider>{children}</VerifiedLogProvider>
    </TrpcProvider>
  );
}
