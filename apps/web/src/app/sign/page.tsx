import "../../components/tools.css";
import type { Metadata } from "next";
import { PageIntro } from "../../components/page-intro.tsx";
import { SignTool } from "./sign-tool.tsx";

export const metadata: Metadata = { title: "Sign" };

/** /sign: keyless signing in the browser for the signed-in person (docs/signing.md). */
export default function SignPage() {
  return (
    <>
      <PageIntro eyebrow="Sign" title="Sign an artifact">
        <p>
          Choose one or more files and receive a Sigstore bundle for each. Every file is hashed in your browser, a one-time
          signing key is created with WebCrypto and never leaves this tab, the Signet CA issues a certificate valid for a
          few minutes that names your identity, and the signature is recorded in the transparency log and verified against
          this instance&apos;s trusted root before the bundle is offered for download.
        </p>
      </PageIntro>
      <SignTool />
    </>
  );
}
