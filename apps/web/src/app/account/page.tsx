import type { Metadata } from "next";
import { PageIntro } from "../../components/page-intro.tsx";
import { PasskeysView } from "./passkeys-view.tsx";

export const metadata: Metadata = { title: "Passkeys" };

/** /account: the signed-in identity's passkeys: add, remove, and the passkey check for this session. */
export default function AccountPage() {
  return (
    <>
      <PageIntro eyebrow="Account" title="Passkeys">
        <p>
          A passkey guards signing with your identity: once you add one, every new sign-in must pass a passkey check before
          it can sign, so a stolen identity-provider session alone is not enough.
        </p>
      </PageIntro>
      <PasskeysView />
    </>
  );
}
