import type { Metadata } from "next";
import { NotYetAvailable, PageIntro } from "../../components/page-intro.tsx";

export const metadata: Metadata = { title: "Verify" };

/** /verify: placeholder until in-browser verification lands. */
export default function VerifyPage() {
  return (
    <>
      <PageIntro eyebrow="Verify" title="Verify an artifact">
        <p>
          Here you will drop an artifact and its Sigstore bundle to check who signed it and when. The whole
          verification will run in your browser against this instance&apos;s trusted root, or another one you
          load such as Sigstore&apos;s public-good root, and each check (certificate chain, signer identity,
          signature, log inclusion, timestamps) will be shown with its result.
        </p>
      </PageIntro>
      <NotYetAvailable>Verification in the portal is under construction. Nothing on this page verifies anything yet.</NotYetAvailable>
    </>
  );
}
