import type { Metadata } from "next";
import { PageIntro } from "../../../components/page-intro.tsx";

export const metadata: Metadata = { title: "Sign-in failed" };

// Fixed texts per code: nothing from the URL is echoed back except a known code.
const MESSAGES: Record<string, string> = {
  ERR_AUTH_LOGIN_EXPIRED: "This sign-in was not started in this browser, was already used, or took longer than 10 minutes.",
  ERR_AUTH_STATE_MISSING: "The identity provider's answer carried no state: it was not the answer to a sign-in started here.",
  ERR_AUTH_STATE_MISMATCH: "The identity provider's answer belongs to another sign-in (state mismatch).",
  ERR_AUTH_NONCE_MISMATCH: "The ID token was not issued for this sign-in (nonce mismatch).",
  ERR_AUTH_NONCE_REPLAYED: "This ID token was already used to sign in.",
  ERR_AUTH_CODE_MISSING: "The identity provider's answer carried no authorization code.",
  ERR_AUTH_CODE_REJECTED: "The identity provider refused the authorization code (already used, expired, or a PKCE mismatch).",
  ERR_AUTH_TOKEN_REJECTED: "The ID token did not pass verification.",
  ERR_AUTH_IDP_DENIED: "The identity provider did not complete the sign-in.",
  ERR_AUTH_IDP_INVALID: "The identity provider's configuration is not acceptable.",
  ERR_AUTH_IDP_UNAVAILABLE: "The identity provider is not reachable right now.",
  ERR_AUTH_UNAVAILABLE: "Sign-in is not available right now.",
};

/** /auth/error: why a sign-in failed; no session was created. */
export default async function AuthErrorPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const raw = (await searchParams).code;
  const code = typeof raw === "string" && raw in MESSAGES ? raw : "ERR_AUTH_UNAVAILABLE";
  return (
    <>
      <PageIntro eyebrow="Sign in" title="Sign-in failed">
        <p role="alert" data-code={code}>
          {MESSAGES[code]} You are not signed in.
        </p>
      </PageIntro>
      <p>
        <code>{code}</code>
      </p>
      <p>
        <a href="/auth/login">Try again</a>
      </p>
    </>
  );
}
