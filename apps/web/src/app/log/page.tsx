import type { Metadata } from "next";
import { PageIntro } from "../../components/page-intro.tsx";
import { CheckpointPanel } from "../../components/log/verified-log.tsx";
import { LogSubnav } from "../../components/log/log-subnav.tsx";
import { LogExplorer } from "./log-explorer.tsx";

export const metadata: Metadata = { title: "Log" };

/** /log: the latest checkpoint verified in the browser, recent entries and search. */
export default function LogPage() {
  return (
    <>
      <PageIntro eyebrow="Log" title="Transparency log">
        <p>
          Browse and search every signature recorded in this instance&apos;s log. The checkpoint below is verified in your
          browser against the log key in the trusted root, and compared with the last checkpoint this browser saw, so a log
          that rewrites its history is caught. Entry pages verify their inclusion proofs here too.
        </p>
      </PageIntro>
      <LogSubnav />
      <div className="log-main">
        <CheckpointPanel />
        <LogExplorer />
      </div>
    </>
  );
}
