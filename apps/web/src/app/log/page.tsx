import type { Metadata } from "next";
import { NotYetAvailable, PageIntro } from "../../components/page-intro.tsx";

export const metadata: Metadata = { title: "Log" };

/** /log: placeholder until the transparency log explorer lands. */
export default function LogPage() {
  return (
    <>
      <PageIntro eyebrow="Log" title="Transparency log">
        <p>
          Here you will browse and search the log by artifact digest, signer identity, issuer, certificate
          fingerprint or log index. Every inclusion and consistency proof the explorer shows will be verified
          in your browser against a signed checkpoint, and the explorer will remember the last checkpoint it
          saw so that a log rewriting its history is caught.
        </p>
      </PageIntro>
      <NotYetAvailable>The log explorer is under construction. This page does not read the log yet.</NotYetAvailable>
    </>
  );
}
