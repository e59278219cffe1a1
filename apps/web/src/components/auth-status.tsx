"use client";

import { useEffect, useState } from "react";
import { createSignetTrpcClient } from "../lib/trpc-client.ts";

type SessionView = { signedIn: false } | { signedIn: true; email: string; requiresPasskey: boolean; passkeyVerified: boolean };

/** The header's sign-in state: "Sign in", or the signed-in email with "Sign out" (a same-origin POST). */
export function AuthStatus() {
  const [session, setSession] = useState<SessionView | undefined>(undefined);
  useEffect(() => {
    let live = true;
    createSignetTrpcClient()
      .auth.session.query()
      .then((s) => live && setSession(s.signedIn ? { signedIn: true, email: s.email, requiresPasskey: s.requiresPasskey, passkeyVerified: s.passkeyVerified } : { signedIn: false }))
      .catch(() => live && setSession({ signedIn: false }));
    return () => {
      live = false;
    };
  }, []);

  if (session === undefined) return <div className="auth-status" aria-busy="true" />;
  if (!session.signedIn) {
    return (
      <div className="auth-status">
        <a href="/auth/login" data-testid="sign-in">
          Sign in
        </a>
      </div>
    );
  }
  return (
    <div className="auth-status">
      <a href="/me" data-testid="signed-in-email">
        {session.email}
      </a>
      {session.requiresPasskey && !session.passkeyVerified ? (
        <a href="/account" data-testid="passkey-needed">
          Passkey check needed
        </a>
      ) : null}
      <form method="post" action="/auth/logout">
        <button type="submit" data-testid="sign-out">
          Sign out
        </button>
      </form>
    </div>
  );
}
