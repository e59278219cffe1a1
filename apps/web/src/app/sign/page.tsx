import type { Metadata } from "next";
import { NotYetAvailable, PageIntro } from "../../components/page-intro.tsx";

export const metadata: Metadata = { title: "Sign" };

/** /sign: placeholder until browser signing lands. */
export default function SignPage() {
  return (
    <>
      <PageIntro eyebrow="Sign" title="Sign an artifact">
        <p>
          Here you will log in with your identity provider (and a passkey, if your account has one), choose a
          file, and receive a Sigstore bundle. The file is hashed in your browser, a one-time signing key is
          created with WebCrypto and never leaves this tab, the Signet CA issues a certificate valid for a few
          minutes that names your identity, and the signature is recorded in the transparency log before the
          bundle is offered for download.
        </p>
      </PageIntro>
      <NotYetAvailable>Signing in the portal is under construction. Nothing on this page signs anything yet.</NotYetAvailable>
    </>
  );
}
