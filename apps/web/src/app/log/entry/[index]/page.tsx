import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { LogSubnav } from "../../../../components/log/log-subnav.tsx";
import { PageIntro } from "../../../../components/page-intro.tsx";
import { isLogIndex } from "../../../../lib/log-search.ts";
import { EntryDetail } from "./entry-detail.tsx";

export const metadata: Metadata = { title: "Log entry" };

/** /log/entry/[index]: one entry decoded, with its inclusion proof verified in the browser. */
export default async function EntryPage({ params }: { params: Promise<{ index: string }> }) {
  const { index } = await params;
  // attacker-controlled: the URL segment; only canonical decimal indexes render a page
  if (!isLogIndex(index)) notFound();
  return (
    <>
      <PageIntro eyebrow="Log entry" title={`Entry ${index}`}>
        <p>
          The entry as the log stores it, decoded in your browser, and the proof that it is included in the tree whose
          checkpoint your browser verified.
        </p>
      </PageIntro>
      <LogSubnav />
      <div className="log-main">
        <EntryDetail index={index} />
      </div>
    </>
  );
}
