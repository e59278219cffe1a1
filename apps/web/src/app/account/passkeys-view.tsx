"use client";

import { startAuthentication, startRegistration, type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/browser";
import { useCallback, useEffect, useState } from "react";
import { createSignetTrpcClient } from "../../lib/trpc-client.ts";

interface Passkey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}
type SessionInfo = { email: string; requiresPasskey: boolean; passkeyVerified: boolean };

function errorCode(e: unknown): string {
  const data = (e as { data?: { signetCode?: string } } | null)?.data;
  if (data?.signetCode) return data.signetCode;
  if (e instanceof Error && e.name === "NotAllowedError") return "the browser or authenticator cancelled the request";
  return "unexpected error";
}

/** List, add and remove passkeys; run the passkey check; offer to sign out other sessions (G10). */
export function PasskeysView() {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [passkeys, setPasskeys] = useState<Passkey[]>([]);
  const [status, setStatus] = useState<string>("");
  const [signOutOthers, setSignOutOthers] = useState(false);
  const [busy, setBusy] = useState(false);

  const refresh = useCallback(async () => {
    const client = createSignetTrpcClient();
    const s = await client.auth.session.query();
    if (!s.signedIn) return setSession(null);
    setSession({ email: s.email, requiresPasskey: s.requiresPasskey, passkeyVerified: s.passkeyVerified });
    setPasskeys(await client.auth.listPasskeys.query());
  }, []);

  useEffect(() => {
    refresh().catch(() => setSession(null));
  }, [refresh]);

  const run = async (label: string, action: () => Promise<string>) => {
    setBusy(true);
    setStatus(`${label}…`);
    try {
      setStatus(await action());
      await refresh();
    } catch (e) {
      setStatus(`${label} failed: ${errorCode(e)}`);
    } finally {
      setBusy(false);
    }
  };

  const add = () =>
    run("Adding a passkey", async () => {
      const client = createSignetTrpcClient();
      // The server's options JSON, as the browser library types it (the two packages type extensions differently).
      const optionsJSON = (await client.auth.passkeyRegistrationOptions.mutate()) as unknown as PublicKeyCredentialCreationOptionsJSON;
      const response = await startRegistration({ optionsJSON });
      const r = await client.auth.registerPasskey.mutate({ response: response as never, name: "Passkey", signOutOthers });
      return `Passkey added.${r.endedSessions ? ` Signed out ${r.endedSessions} other session(s).` : ""}`;
    });

  const verify = () =>
    run("Checking your passkey", async () => {
      const client = createSignetTrpcClient();
      const optionsJSON = (await client.auth.passkeyAuthenticationOptions.mutate()) as unknown as PublicKeyCredentialRequestOptionsJSON;
      const response = await startAuthentication({ optionsJSON });
      await client.auth.verifyPasskey.mutate({ response: response as never });
      return "Passkey check passed: this session may sign.";
    });

  const remove = (id: string) =>
    run("Removing the passkey", async () => {
      const r = await createSignetTrpcClient().auth.removePasskey.mutate({ id, signOutOthers });
      return `Passkey removed.${r.endedSessions ? ` Signed out ${r.endedSessions} other session(s).` : ""}`;
    });

  if (session === undefined) return <p aria-busy="true">Loading…</p>;
  if (session === null)
    return (
      <p>
        You are not signed in. <a href="/auth/login?returnTo=/account">Sign in</a> to manage your passkeys.
      </p>
    );
  return (
    <>
      <p>
        Signed in as <strong>{session.email}</strong>.{" "}
        <span data-testid="passkey-status">
          {!session.requiresPasskey ? "No passkey yet: signing needs none." : session.passkeyVerified ? "Passkey verified for this session." : "Passkey check needed before signing."}
        </span>
      </p>
      <div className="auth-actions">
        <button type="button" onClick={add} disabled={busy} data-testid="add-passkey">
          Add a passkey
        </button>
        {session.requiresPasskey ? (
          <button type="button" onClick={verify} disabled={busy} data-testid="verify-passkey">
            Verify with passkey
          </button>
        ) : null}
        <label>
          <input type="checkbox" checked={signOutOthers} onChange={(e) => setSignOutOthers(e.target.checked)} /> Sign out my other sessions when I add or remove a passkey
        </label>
      </div>
      <p role="status" data-testid="account-status">
        {status}
      </p>
      {passkeys.length === 0 ? (
        <p>No passkeys.</p>
      ) : (
        <table className="auth-table" data-testid="passkeys">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Added</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {passkeys.map((p) => (
              <tr key={p.id}>
                <td>{p.name}</td>
                <td>{new Date(p.createdAt).toLocaleString()}</td>
                <td>{p.lastUsedAt ? new Date(p.lastUsedAt).toLocaleString() : "never"}</td>
                <td>
                  <button type="button" onClick={() => remove(p.id)} disabled={busy}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
