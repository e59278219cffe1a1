import "../../components/tools.css";
import type { Metadata } from "next";
import { PageIntro } from "../../components/page-intro.tsx";
import { VerifyTool } from "./verify-tool.tsx";

export const metadata: Metadata = { title: "Verify" };

/** /verify: in-browser verification of an artifact and its Sigstore bundle. */
export default function VerifyPage() {
  return (
    <>
      <PageIntro eyebrow="Verify" title="Verify an artifact">
        <p>
          Drop an artifact and its Sigstore bundle to check who signed it and when. The whole verification runs in your
          browser against this instance&apos;s trusted root, or another one you load such as Sigstore&apos;s public-good
          root, and every check is listed with what it was checked against.
        </p>
      </PageIntro>
      <VerifyTool />
    </>
  );
}
