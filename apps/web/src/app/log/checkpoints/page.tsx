import type { Metadata } from "next";
import { LogSubnav } from "../../../components/log/log-subnav.tsx";
import { PageIntro } from "../../../components/page-intro.tsx";
import { CheckpointHistory, ConsistencyForm } from "./checkpoint-history.tsx";

export const metadata: Metadata = { title: "Log checkpoints" };

/** /log/checkpoints: the signed checkpoint history, and consistency between any two sizes. */
export default function CheckpointsPage() {
  return (
    <>
      <PageIntro eyebrow="Log" title="Checkpoints">
        <p>
          Every tree head the log has signed, newest first, each signature verified in your browser. Pick any two sizes to
          check that the older tree is a prefix of the newer one.
        </p>
      </PageIntro>
      <LogSubnav />
      <div className="log-main">
        <ConsistencyForm />
        <CheckpointHistory />
      </div>
    </>
  );
}
