import type { Metadata } from "next";
import { PageIntro } from "../../components/page-intro.tsx";
import { MeView } from "./me-view.tsx";

export const metadata: Metadata = { title: "My signatures" };

/** /me: the certificates issued to the signed-in identity and the log entries naming it. */
export default function MePage() {
  return (
    <>
      <PageIntro eyebrow="Account" title="Issued to you">
        <p>
          Every certificate Signet issued for your identity, newest first, and the transparency-log entries that name it. If
          you see one you did not make, someone else signed as you: revoke access at your identity provider.
        </p>
      </PageIntro>
      <MeView />
    </>
  );
}
