"use client";

import { startAuthentication, type PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/browser";
import { parseTrustedRoot, type TrustedRoot } from "@signet/crypto";
import { useCallback, useEffect, useRef, useState } from "react";
import { FileDrop } from "../../components/file-drop.tsx";
import { formatBytes, formatRate } from "../../lib/format.ts";
import type { HashProgress } from "../../lib/hash-stream.ts";
import { DIRECT_SIGN_MAX_BYTES, signFile, type SignStep, type SignedFile } from "../../lib/sign-file.ts";
import { createSignWorker, type SignWorker } from "../../lib/sign-worker-client.ts";
import { createSignetTrpcClient } from "../../lib/trpc-client.ts";
import { API_TRUSTED_ROOT_PATH } from "../../links.ts";

type SessionState =
  | { readonly kind: "loading" }
  | { readonly kind: "signed-out" }
  | { readonly kind: "signed-in"; readonly email: string; readonly issuer: string; readonly requiresPasskey: boolean; readonly passkeyVerified: boolean };

type TrustState = { readonly kind: "loading" } | { readonly kind: "failed"; readonly error: string } | { readonly kind: "ready"; readonly root: TrustedRoot };

type JobState =
  | { readonly kind: "queued" }
  | { readonly kind: "reading"; readonly progress: HashProgress | undefined }
  | { readonly kind: "signing"; readonly done: readonly { step: SignStep; detail: string }[] }
  | { readonly kind: "signed"; readonly result: SignedFile; readonly url: string; readonly done: readonly { step: SignStep; detail: string }[] }
  | { readonly kind: "failed"; readonly error: string };

interface Job {
  readonly key: number;
  readonly file: File;
  readonly state: JobState;
}

const STEP_LABEL: Record<SignStep, string> = {
  read: "Hashed",
  certificate: "Certificate",
  signature: "Signature",
  log: "Log entry",
  timestamp: "Timestamp",
  verified: "Verified",
};

/** A short, code-first description of a failure: SignError codes, tRPC's signetCode, WebAuthn cancels. */
function describeError(e: unknown): string {
  const data = (e as { data?: { signetCode?: string } } | null)?.data;
  if (data?.signetCode) return `${data.signetCode}: ${e instanceof Error ? e.message : ""}`;
  if (e instanceof Error && e.name === "NotAllowedError") return "the browser or authenticator cancelled the request";
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  return typeof code === "string" ? `${code}: ${message}` : message;
}

function Progress({ progress, size }: { progress: HashProgress | undefined; size: number }) {
  const bytes = progress?.bytes ?? 0;
  return (
    <span data-testid="sign-progress">
      <progress max={Math.max(size, 1)} value={bytes} /> {formatBytes(bytes)} of {formatBytes(size)}
      {progress !== undefined && progress.elapsedMs > 0 ? `, ${formatRate(bytes, progress.elapsedMs)}` : ""}
    </span>
  );
}

function JobView({ job }: { job: Job }) {
  const s = job.state;
  const done = s.kind === "signing" || s.kind === "signed" ? s.done : [];
  return (
    <li className="panel" data-testid="sign-job" data-state={s.kind}>
      <p>
        <strong className="mono">{job.file.name}</strong> <span className="muted small">({formatBytes(job.file.size)})</span>{" "}
        {job.file.size > DIRECT_SIGN_MAX_BYTES ? <span className="badge badge-neutral">in-toto statement (DSSE)</span> : null}
      </p>
      {s.kind === "queued" ? <p className="muted">Waiting…</p> : null}
      {s.kind === "reading" ? <Progress progress={s.progress} size={job.file.size} /> : null}
      {done.length > 0 ? (
        <ol className="small">
          {done.map((d) => (
            <li key={d.step}>
              <strong>{STEP_LABEL[d.step]}</strong>: <span className="mono">{d.detail}</span>
            </li>
          ))}
        </ol>
      ) : null}
      {s.kind === "signing" ? <p aria-busy="true">Signing…</p> : null}
      {s.kind === "signed" ? (
        <div className="callout callout-ok">
          <p>
            Signed as <strong>{s.result.identity}</strong> ({s.result.issuer}). The bundle verified against this instance&apos;s trusted
            root; the one-time key has been discarded.
          </p>
          <p className="btn-row">
            <a className="btn" href={s.url} download={`${s.result.name}.sigstore.json`} data-testid="bundle-download">
              Download {s.result.name}.sigstore.json
            </a>
            {s.result.logIndexes.map((i) => (
              <a key={i} href={`/log/entry/${i}`} data-testid="log-entry-link">
                Log entry {i}
              </a>
            ))}
          </p>
        </div>
      ) : null}
      {s.kind === "failed" ? (
        <p className="callout callout-fail" role="alert" data-testid="sign-error">
          Not signed: {s.error}
        </p>
      ) : null}
    </li>
  );
}

/**
 * The whole /sign flow, client-side: session (and passkey check) → files → for each, one read in
 * the worker, then key, certificate, signature, log entry, timestamp and verification in this tab.
 */
export function SignTool() {
  const [session, setSession] = useState<SessionState>({ kind: "loading" });
  const [trust, setTrust] = useState<TrustState>({ kind: "loading" });
  const [jobs, setJobs] = useState<Job[]>([]);
  const [status, setStatus] = useState("");
  const workerRef = useRef<SignWorker | null>(null);
  const queueRef = useRef<Promise<void>>(Promise.resolve());
  const urlsRef = useRef<string[]>([]);
  const nextKey = useRef(1);

  const refreshSession = useCallback(async () => {
    const s = await createSignetTrpcClient().auth.session.query();
    setSession(s.signedIn ? { kind: "signed-in", email: s.email, issuer: s.issuer, requiresPasskey: s.requiresPasskey, passkeyVerified: s.passkeyVerified } : { kind: "signed-out" });
  }, []);

  useEffect(() => {
    refreshSession().catch(() => setSession({ kind: "signed-out" }));
    (async () => {
      const response = await fetch(API_TRUSTED_ROOT_PATH, { cache: "no-store", credentials: "omit" });
      if (!response.ok) throw new Error(`the instance's trusted root is unavailable (HTTP ${response.status})`);
      setTrust({ kind: "ready", root: parseTrustedRoot(await response.json()) });
    })().catch((e: unknown) => setTrust({ kind: "failed", error: describeError(e) }));
    const urls = urlsRef.current;
    return () => {
      workerRef.current?.terminate();
      workerRef.current = null;
      for (const u of urls) URL.revokeObjectURL(u);
    };
  }, [refreshSession]);

  const update = (key: number, state: JobState) => setJobs((all) => all.map((j) => (j.key === key ? { ...j, state } : j)));

  const passkeyCheck = async () => {
    setStatus("Checking your passkey…");
    try {
      const client = createSignetTrpcClient();
      const optionsJSON = (await client.auth.passkeyAuthenticationOptions.mutate()) as unknown as PublicKeyCredentialRequestOptionsJSON;
      const response = await startAuthentication({ optionsJSON });
      await client.auth.verifyPasskey.mutate({ response: response as never });
      setStatus("Passkey check passed: this session may sign.");
      await refreshSession();
    } catch (e) {
      setStatus(`Passkey check failed: ${describeError(e)}`);
    }
  };

  const signOne = async (job: Job, root: TrustedRoot, signer: { email: string; issuer: string }) => {
    workerRef.current ??= createSignWorker();
    const worker = workerRef.current;
    const done: { step: SignStep; detail: string }[] = [];
    update(job.key, { kind: "reading", progress: undefined });
    try {
      const result = await signFile(job.file, {
        read: (file, keepBytes, onProgress) => worker.read(file, keepBytes, onProgress),
        issueForSession: (input) => createSignetTrpcClient().ca.issueForSession.mutate(input),
        trustedRoot: root,
        session: signer,
        origin: window.location.origin,
        onProgress: (progress) => update(job.key, { kind: "reading", progress }),
        onStep: (step, detail) => {
          done.push({ step, detail });
          update(job.key, { kind: "signing", done: [...done] });
        },
      });
      const url = URL.createObjectURL(new Blob([result.bundleText], { type: "application/json" }));
      urlsRef.current.push(url);
      update(job.key, { kind: "signed", result, url, done: [...done] });
    } catch (e) {
      update(job.key, { kind: "failed", error: describeError(e) });
    }
  };

  const addFiles = (files: readonly File[]) => {
    if (files.length === 0 || session.kind !== "signed-in" || trust.kind !== "ready") return;
    const added: Job[] = files.map((file) => ({ key: nextKey.current++, file, state: { kind: "queued" } as const }));
    setJobs((all) => [...added, ...all]);
    const signer = { email: session.email, issuer: session.issuer };
    // One file at a time: each may hold up to DIRECT_SIGN_MAX_BYTES in memory.
    for (const job of added) queueRef.current = queueRef.current.then(() => signOne(job, trust.root, signer));
  };

  if (session.kind === "loading") return <p aria-busy="true">Loading…</p>;
  if (session.kind === "signed-out")
    return (
      <div className="panel">
        <p>Signing certifies your identity, so it needs you signed in.</p>
        <p>
          <a className="btn" href="/auth/login?returnTo=/sign" data-testid="sign-in-to-sign">
            Sign in to sign
          </a>
        </p>
      </div>
    );
  const passkeyOwed = session.requiresPasskey && !session.passkeyVerified;
  return (
    <>
      <div className="callout callout-warn" role="note" data-testid="public-notice">
        <p className="callout-title">Your identity becomes public</p>
        <p>
          Each signature is recorded in this instance&apos;s transparency log, which is public and append-only: the certificate
          naming <strong>{session.email}</strong> ({session.issuer}), the file&apos;s SHA-256 and the time can never be removed.
          File names and contents are not sent{" "}
          {`(except the name of a file above ${formatBytes(DIRECT_SIGN_MAX_BYTES)}, which goes into its signed in-toto statement)`}.
        </p>
      </div>
      {passkeyOwed ? (
        <div className="panel">
          <p>Your account has a passkey: pass the passkey check before signing.</p>
          <button type="button" className="btn" onClick={passkeyCheck} data-testid="sign-passkey-check">
            Verify with passkey
          </button>
        </div>
      ) : null}
      <p role="status" data-testid="sign-status">
        {status}
      </p>
      {trust.kind === "failed" ? (
        <p className="callout callout-fail" role="alert">
          Cannot sign: {trust.error}
        </p>
      ) : null}
      {!passkeyOwed && trust.kind === "ready" ? (
        <FileDrop multiple label="Files to sign" buttonText="Choose files to sign" file={undefined} primary testId="sign-file-input" onFiles={addFiles} />
      ) : null}
      {trust.kind === "loading" ? <p aria-busy="true">Loading the trusted root…</p> : null}
      {jobs.length > 0 ? (
        <ul className="entry-list" aria-live="polite">
          {jobs.map((job) => (
            <JobView key={job.key} job={job} />
          ))}
        </ul>
      ) : null}
    </>
  );
}
