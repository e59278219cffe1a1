"use client";

import { useEffect, useState } from "react";
import { createSignetTrpcClient } from "../../lib/trpc-client.ts";

interface Cert {
  serial: string;
  fingerprint: string;
  identity: string;
  issuer: string;
  issuedAt: string;
  notAfter: string;
}
interface Entry {
  index: string;
  kind: string;
  integratedTime: string;
}
type State =
  | { kind: "loading" }
  | { kind: "signed-out" }
  | { kind: "error"; message: string }
  | { kind: "ready"; email: string; issuer: string; certificates: Cert[]; entries: Entry[] };

/** The signed-in person's certificates (protected query) and log entries (log.search by identity and issuer). */
export function MeView() {
  const [state, setState] = useState<State>({ kind: "loading" });
  useEffect(() => {
    let live = true;
    const client = createSignetTrpcClient();
    (async () => {
      const session = await client.auth.session.query();
      if (!session.signedIn) return live && setState({ kind: "signed-out" });
      const [certificates, entries] = await Promise.all([
        client.auth.myCertificates.query({ limit: 50 }),
        client.log.search.query({ identity: session.email, issuer: session.issuer, limit: 50 }).catch(() => [] as Entry[]),
      ]);
      if (live) setState({ kind: "ready", email: session.email, issuer: session.issuer, certificates, entries: entries as Entry[] });
    })().catch(() => live && setState({ kind: "error", message: "Could not load your certificates." }));
    return () => {
      live = false;
    };
  }, []);

  if (state.kind === "loading") return <p aria-busy="true">Loading…</p>;
  if (state.kind === "signed-out")
    return (
      <p>
        You are not signed in. <a href="/auth/login?returnTo=/me">Sign in</a> to see what was issued to you.
      </p>
    );
  if (state.kind === "error") return <p role="alert">{state.message}</p>;
  return (
    <>
      <p>
        Signed in as <strong data-testid="me-email">{state.email}</strong> (issuer <code>{state.issuer}</code>).
      </p>
      <h2>Certificates</h2>
      {state.certificates.length === 0 ? (
        <p data-testid="no-certificates">No certificates have been issued to you yet.</p>
      ) : (
        <table className="auth-table" data-testid="certificates">
          <thead>
            <tr>
              <th scope="col">Issued</th>
              <th scope="col">Serial</th>
              <th scope="col">SHA-256 fingerprint</th>
              <th scope="col">Valid until</th>
            </tr>
          </thead>
          <tbody>
            {state.certificates.map((c) => (
              <tr key={c.serial}>
                <td>{new Date(c.issuedAt).toLocaleString()}</td>
                <td>
                  <code>{c.serial}</code>
                </td>
                <td>
                  <code>{c.fingerprint}</code>
                </td>
                <td>{new Date(c.notAfter).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Log entries</h2>
      {state.entries.length === 0 ? (
        <p>No log entries name you yet.</p>
      ) : (
        <table className="auth-table" data-testid="entries">
          <thead>
            <tr>
              <th scope="col">Index</th>
              <th scope="col">Kind</th>
              <th scope="col">Integrated</th>
            </tr>
          </thead>
          <tbody>
            {state.entries.map((e) => (
              <tr key={e.index}>
                <td>
                  <a href={`/log/entry/${e.index}`}>{e.index}</a>
                </td>
                <td>{e.kind}</td>
                <td>{new Date(Number(e.integratedTime) * 1000).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
