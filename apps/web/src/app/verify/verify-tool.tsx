"use client";

import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from "react";
import { toHex } from "@signet/crypto/encoding/hex";
import { FileDrop } from "../../components/file-drop.tsx";
import { TruncatedText } from "../../components/truncated-text.tsx";
import type { BundleInspection } from "../../lib/bundle-inspect.ts";
import { formatBytes, formatRate } from "../../lib/format.ts";
import type { HashProgress } from "../../lib/hash-stream.ts";
import type { VerificationOutcome } from "../../lib/run-verification.ts";
import { summarizeTrustedRoot, type TrustedRootSummary } from "../../lib/trust-summary.ts";
import {
  MAX_BUNDLE_FILE_BYTES,
  MAX_KEY_FILE_BYTES,
  MAX_TRUSTED_ROOT_FILE_BYTES,
  parseDigestInput,
  toVerificationPolicy,
  type MatchMode,
  type SignerForm,
} from "../../lib/verify-input.ts";
import { createVerifyWorker, type VerifyWorker } from "../../lib/verify-worker-client.ts";
import { API_TRUSTED_ROOT_PATH } from "../../links.ts";
import { Transcript, VerificationResult } from "./verification-result.tsx";

type ArtifactState =
  | { readonly kind: "none" }
  | { readonly kind: "hashing"; readonly name: string; readonly size: number; readonly progress: HashProgress }
  | { readonly kind: "hashed"; readonly name: string; readonly size: number; readonly digest: Uint8Array; readonly elapsedMs: number }
  | { readonly kind: "failed"; readonly name: string; readonly error: string };

type BundleState =
  | { readonly kind: "none" }
  | { readonly kind: "loaded"; readonly name: string; readonly text: string; readonly inspection: BundleInspection | undefined }
  | { readonly kind: "failed"; readonly name: string; readonly error: string };

type TrustState =
  | { readonly source: "instance"; readonly status: "loading" }
  | { readonly source: "instance" | "file"; readonly status: "failed"; readonly name: string; readonly error: string }
  | { readonly source: "instance" | "file"; readonly status: "ready"; readonly name: string; readonly text: string; readonly summary: TrustedRootSummary };

/** Read a small text file after checking its size (attacker-controlled: a dropped "bundle" may be huge). */
async function readTextFile(file: Blob, max: number, what: string): Promise<string> {
  if (file.size > max) throw new Error(`the ${what} is ${formatBytes(file.size)}; at most ${formatBytes(max)} is read`);
  return file.text();
}

function MatchSelect({ id, value, onChange, label }: { id: string; value: MatchMode; onChange: (m: MatchMode) => void; label: string }) {
  return (
    <select id={id} className="select" aria-label={label} value={value} onChange={(e) => onChange(e.currentTarget.value as MatchMode)}>
      <option value="exact">exactly</option>
      <option value="regex">regular expression</option>
    </select>
  );
}

/**
 * The whole /verify flow, client-side: artifact (hashed in a Web Worker, streaming) or pasted
 * digest, bundle, expected signer, trusted root; then verifyBundle in the worker and its transcript.
 * Nothing the person drops here leaves the browser.
 */
export function VerifyTool() {
  const id = useId();
  const workerRef = useRef<VerifyWorker | null>(null);
  const [artifactMode, setArtifactMode] = useState<"file" | "digest">("file");
  const [artifact, setArtifact] = useState<ArtifactState>({ kind: "none" });
  const [digestText, setDigestText] = useState("");
  const [bundle, setBundle] = useState<BundleState>({ kind: "none" });
  const [signerMode, setSignerMode] = useState<"identity" | "key">("identity");
  const [identity, setIdentity] = useState("");
  const [identityMatch, setIdentityMatch] = useState<MatchMode>("exact");
  const [issuer, setIssuer] = useState("");
  const [issuerMatch, setIssuerMatch] = useState<MatchMode>("exact");
  const [publicKeyPem, setPublicKeyPem] = useState("");
  const [trust, setTrust] = useState<TrustState>({ source: "instance", status: "loading" });
  const [formError, setFormError] = useState<string | undefined>(undefined);
  const [running, setRunning] = useState(false);
  const [outcome, setOutcome] = useState<VerificationOutcome | undefined>(undefined);
  const hashRun = useRef(0);

  const worker = useCallback((): VerifyWorker => {
    workerRef.current ??= createVerifyWorker();
    return workerRef.current;
  }, []);
  useEffect(
    () => () => {
      workerRef.current?.terminate();
      workerRef.current = null;
    },
    [],
  );

  // Any change of input makes a shown result stale.
  const changed = useCallback(() => {
    setOutcome(undefined);
    setFormError(undefined);
  }, []);

  const loadInstanceRoot = useCallback(async () => {
    setTrust({ source: "instance", status: "loading" });
    try {
      const response = await fetch(API_TRUSTED_ROOT_PATH, { cache: "no-store", credentials: "omit" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const text = await readTextFile(await response.blob(), MAX_TRUSTED_ROOT_FILE_BYTES, "trusted root");
      setTrust({ source: "instance", status: "ready", name: "this instance's trusted root", text, summary: summarizeTrustedRoot(text) });
    } catch (e) {
      setTrust({ source: "instance", status: "failed", name: "this instance's trusted root", error: e instanceof Error ? e.message : String(e) });
    }
  }, []);
  useEffect(() => {
    void loadInstanceRoot();
  }, [loadInstanceRoot]);

  const onArtifact = async (file: File) => {
    changed();
    const run = ++hashRun.current;
    setArtifact({ kind: "hashing", name: file.name, size: file.size, progress: { bytes: 0, total: file.size, elapsedMs: 0 } });
    try {
      const result = await worker().hash(file, (progress) => {
        if (hashRun.current === run) setArtifact({ kind: "hashing", name: file.name, size: file.size, progress });
      });
      if (hashRun.current === run) setArtifact({ kind: "hashed", name: file.name, size: result.bytes, digest: result.digest, elapsedMs: result.elapsedMs });
    } catch (e) {
      if (hashRun.current === run) setArtifact({ kind: "failed", name: file.name, error: e instanceof Error ? e.message : String(e) });
    }
  };

  const onBundle = async (file: File) => {
    changed();
    try {
      const text = await readTextFile(file, MAX_BUNDLE_FILE_BYTES, "bundle");
      setBundle({ kind: "loaded", name: file.name, text, inspection: undefined });
      const inspection = await worker().inspect(text);
      setBundle({ kind: "loaded", name: file.name, text, inspection });
      if (inspection.kind === "readable" && inspection.signer.kind === "publicKey") setSignerMode("key");
    } catch (e) {
      setBundle({ kind: "failed", name: file.name, error: e instanceof Error ? e.message : String(e) });
    }
  };

  const onTrustFile = async (file: File) => {
    changed();
    try {
      const text = await readTextFile(file, MAX_TRUSTED_ROOT_FILE_BYTES, "trusted root");
      setTrust({ source: "file", status: "ready", name: file.name, text, summary: summarizeTrustedRoot(text) });
    } catch (e) {
      setTrust({ source: "file", status: "failed", name: file.name, error: e instanceof Error ? e.message : String(e) });
    }
  };

  const onKeyFile = async (file: File) => {
    changed();
    try {
      setPublicKeyPem(await readTextFile(file, MAX_KEY_FILE_BYTES, "public key"));
    } catch (e) {
      setFormError(e instanceof Error ? e.message : String(e));
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setOutcome(undefined);
    setFormError(undefined);
    let digest: Uint8Array;
    if (artifactMode === "digest") {
      try {
        digest = parseDigestInput(digestText);
      } catch (e) {
        setFormError(`Artifact: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
    } else if (artifact.kind === "hashed") {
      digest = artifact.digest;
    } else {
      setFormError(artifact.kind === "hashing" ? "The artifact is still being hashed." : "Choose the artifact file, or paste its sha256 digest.");
      return;
    }
    if (bundle.kind !== "loaded") {
      setFormError("Choose the bundle (.sigstore.json) to check.");
      return;
    }
    if (trust.status !== "ready") {
      setFormError(trust.status === "loading" ? "The trusted root is still loading." : "Load a trusted root first.");
      return;
    }
    const form: SignerForm =
      signerMode === "key"
        ? { mode: "key", publicKeyPem }
        : { mode: "identity", identity: { value: identity, match: identityMatch }, issuer: { value: issuer, match: issuerMatch } };
    let policy;
    try {
      policy = toVerificationPolicy(form);
    } catch (e) {
      setFormError(`Expected signer: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    setRunning(true);
    try {
      setOutcome(await worker().verify({ bundleText: bundle.text, trustedRootText: trust.text, digest, policy }));
    } catch (e) {
      setFormError(`Verification could not run: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setRunning(false);
    }
  };

  const inspection = bundle.kind === "loaded" ? bundle.inspection : undefined;
  const certHint = inspection?.kind === "readable" && inspection.signer.kind === "certificate" ? inspection.signer : undefined;

  return (
    <form className="tool-stack" onSubmit={submit} noValidate aria-label="Verify an artifact">
      <div className="privacy-note" data-testid="privacy-note">
        <p>
          <strong>Nothing is uploaded.</strong> Your artifact is hashed and your bundle is verified inside this browser tab, in a
          Web Worker. This page sends no request carrying either of them; the only thing it downloads is this
          instance&apos;s trusted root.
        </p>
      </div>

      <section className="panel" aria-labelledby={`${id}-artifact`}>
        <h2 id={`${id}-artifact`} className="panel-title">
          <span className="panel-step">Step 1</span> The artifact
        </h2>
        <fieldset className="choice-group">
          <legend>How to give the artifact</legend>
          <label className="choice">
            <input type="radio" name={`${id}-artifact-mode`} checked={artifactMode === "file"} onChange={() => (changed(), setArtifactMode("file"))} />
            The file
          </label>
          <label className="choice">
            <input type="radio" name={`${id}-artifact-mode`} checked={artifactMode === "digest"} onChange={() => (changed(), setArtifactMode("digest"))} />
            Its SHA-256 digest
          </label>
        </fieldset>
        {artifactMode === "file" ? (
          <FileDrop label="Artifact file" buttonText="Choose the artifact…" file={artifact.kind === "none" ? undefined : artifact.name} onFile={(f) => void onArtifact(f)}>
            {artifact.kind === "hashing" ? (
              <div className="progress-block" data-testid="hash-progress">
                <progress max={Math.max(artifact.size, 1)} value={artifact.progress.bytes} aria-label="Hashing progress" />
                <span className="small muted" aria-live="polite">
                  Hashing: {formatBytes(artifact.progress.bytes)} of {formatBytes(artifact.size)} at{" "}
                  {formatRate(artifact.progress.bytes, artifact.progress.elapsedMs)}
                </span>
              </div>
            ) : null}
            {artifact.kind === "hashed" ? (
              <div className="progress-block">
                <progress max={1} value={1} aria-label="Hashing progress" />
                <span className="small">
                  {formatBytes(artifact.size)} hashed in {Math.max(1, Math.round(artifact.elapsedMs))} ms ({formatRate(artifact.size, artifact.elapsedMs)})
                </span>
                <span className="mono small" data-testid="artifact-digest">
                  sha256:{toHex(artifact.digest)}
                </span>
              </div>
            ) : null}
            {artifact.kind === "failed" ? (
              <p className="field-error" role="alert">
                The file could not be read: {artifact.error}
              </p>
            ) : null}
          </FileDrop>
        ) : (
          <div className="field">
            <label className="field-label" htmlFor={`${id}-digest`}>
              Artifact digest
            </label>
            <input
              id={`${id}-digest`}
              className="input mono"
              value={digestText}
              placeholder="sha256:…"
              spellCheck={false}
              autoComplete="off"
              maxLength={200}
              onChange={(e) => (changed(), setDigestText(e.currentTarget.value))}
            />
            <span className="field-hint">sha256: followed by 64 hexadecimal characters, e.g. from sha256sum.</span>
          </div>
        )}
      </section>

      <section className="panel" aria-labelledby={`${id}-bundle`}>
        <h2 id={`${id}-bundle`} className="panel-title">
          <span className="panel-step">Step 2</span> The bundle
        </h2>
        <FileDrop
          label="Bundle file"
          buttonText="Choose the bundle…"
          accept=".json,.sigstore,application/json"
          file={bundle.kind === "none" ? undefined : bundle.name}
          onFile={(f) => void onBundle(f)}
        >
          {bundle.kind === "failed" ? (
            <p className="field-error" role="alert">
              {bundle.error}
            </p>
          ) : null}
          {inspection?.kind === "unreadable" ? (
            <p className="field-error" role="alert">
              This is not a readable Sigstore bundle: <TruncatedText value={inspection.message} max={200} /> <span className="mono">[{inspection.code}]</span>
            </p>
          ) : null}
          {inspection?.kind === "readable" ? (
            <p className="small muted">
              Sigstore bundle v{inspection.version}, {inspection.content === "dsseEnvelope" ? "DSSE attestation" : "message signature"},{" "}
              {inspection.tlogEntries} log entr{inspection.tlogEntries === 1 ? "y" : "ies"}, {inspection.rfc3161Timestamps} RFC 3161
              timestamp{inspection.rfc3161Timestamps === 1 ? "" : "s"};{" "}
              {inspection.signer.kind === "publicKey" ? "signed with a managed key" : "signed with a certificate (keyless)"}.
            </p>
          ) : null}
        </FileDrop>
      </section>

      <section className="panel" aria-labelledby={`${id}-signer`}>
        <h2 id={`${id}-signer`} className="panel-title">
          <span className="panel-step">Step 3</span> Who should have signed it
        </h2>
        <fieldset className="choice-group">
          <legend>Kind of signer</legend>
          <label className="choice">
            <input type="radio" name={`${id}-signer-mode`} checked={signerMode === "identity"} onChange={() => (changed(), setSignerMode("identity"))} />
            An identity (keyless certificate)
          </label>
          <label className="choice">
            <input type="radio" name={`${id}-signer-mode`} checked={signerMode === "key"} onChange={() => (changed(), setSignerMode("key"))} />
            A public key (managed key)
          </label>
        </fieldset>

        {signerMode === "identity" ? (
          <>
            {certHint !== undefined ? (
              <div className="callout callout-warn" data-testid="unverified-suggestions">
                <p className="callout-title">Suggestions from the bundle&apos;s certificate: unverified</p>
                <p className="small">
                  Anyone can put any name in a bundle. Use these only if they are who you expect; they are checked only when you
                  press Verify.
                </p>
                <dl className="kv">
                  {certHint.unverifiedIdentities.map((san) => (
                    <SuggestionRow key={`san-${san}`} label="Identity (SAN)" value={san} onUse={() => (changed(), setIdentity(san), setIdentityMatch("exact"))} />
                  ))}
                  {certHint.unverifiedIssuer !== undefined ? (
                    <SuggestionRow label="Issuer" value={certHint.unverifiedIssuer} onUse={() => (changed(), setIssuer(certHint.unverifiedIssuer ?? ""), setIssuerMatch("exact"))} />
                  ) : null}
                </dl>
              </div>
            ) : null}
            <div className="field">
              <label className="field-label" htmlFor={`${id}-identity`}>
                Expected identity
              </label>
              <div className="field-row">
                <input
                  id={`${id}-identity`}
                  className="input"
                  value={identity}
                  placeholder="alice@example.com or https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main"
                  spellCheck={false}
                  autoComplete="off"
                  maxLength={1024}
                  onChange={(e) => (changed(), setIdentity(e.currentTarget.value))}
                />
                <MatchSelect id={`${id}-identity-match`} label="Match the identity" value={identityMatch} onChange={(m) => (changed(), setIdentityMatch(m))} />
              </div>
              <span className="field-hint">The certificate&apos;s subject alternative name: an email, a URI or a username.</span>
            </div>
            <div className="field">
              <label className="field-label" htmlFor={`${id}-issuer`}>
                Expected issuer
              </label>
              <div className="field-row">
                <input
                  id={`${id}-issuer`}
                  className="input"
                  value={issuer}
                  placeholder="https://accounts.google.com"
                  spellCheck={false}
                  autoComplete="off"
                  maxLength={1024}
                  onChange={(e) => (changed(), setIssuer(e.currentTarget.value))}
                />
                <MatchSelect id={`${id}-issuer-match`} label="Match the issuer" value={issuerMatch} onChange={(m) => (changed(), setIssuerMatch(m))} />
              </div>
              <span className="field-hint">The OpenID Connect issuer the signer logged in with. A regular expression must match the whole value.</span>
            </div>
          </>
        ) : (
          <>
            {inspection?.kind === "readable" && inspection.signer.kind === "publicKey" && inspection.signer.hint !== "" ? (
              <p className="small muted">
                The bundle names its key as <TruncatedText value={inspection.signer.hint} max={80} mono /> (a hint only, unverified).
              </p>
            ) : null}
            <div className="field">
              <label className="field-label" htmlFor={`${id}-key`}>
                Signer&apos;s public key (PEM)
              </label>
              <textarea
                id={`${id}-key`}
                className="textarea"
                value={publicKeyPem}
                placeholder={"-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----"}
                spellCheck={false}
                onChange={(e) => (changed(), setPublicKeyPem(e.currentTarget.value))}
              />
            </div>
            <FileDrop label="Public key file" buttonText="Load a key file…" accept=".pub,.pem,.key,text/plain" file={undefined} onFile={(f) => void onKeyFile(f)} />
          </>
        )}
      </section>

      <section className="panel" aria-labelledby={`${id}-trust`}>
        <h2 id={`${id}-trust`} className="panel-title">
          <span className="panel-step">Step 4</span> Trusted root
        </h2>
        <TrustDescription trust={trust} />
        <FileDrop label="Trusted root file" buttonText="Load another trusted root…" accept=".json,application/json" file={trust.source === "file" ? trust.name : undefined} onFile={(f) => void onTrustFile(f)}>
          <span className="small muted">For example Sigstore&apos;s public-good trusted_root.json, to verify bundles made by cosign or sigstore-js.</span>
        </FileDrop>
        {trust.source === "file" ? (
          <p>
            <button type="button" className="link-button" onClick={() => (changed(), void loadInstanceRoot())}>
              Use this instance&apos;s trusted root again
            </button>
          </p>
        ) : null}
      </section>

      <div className="btn-row">
        <button type="submit" className="btn" disabled={running}>
          {running ? "Verifying…" : "Verify"}
        </button>
        {formError !== undefined ? (
          <p className="field-error" role="alert" data-testid="form-error">
            {formError}
          </p>
        ) : null}
      </div>

      {outcome !== undefined ? (
        <>
          <VerificationResult outcome={outcome} />
          <Transcript steps={outcome.transcript} />
        </>
      ) : null}
    </form>
  );
}

function SuggestionRow({ label, value, onUse }: { label: string; value: string; onUse: () => void }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>
        <TruncatedText value={value} max={120} label={label} />{" "}
        <button type="button" className="btn btn-secondary btn-small" onClick={onUse} aria-label={`Use ${label}: ${value.slice(0, 200)}`}>
          Use
        </button>
      </dd>
    </>
  );
}

function TrustDescription({ trust }: { trust: TrustState }) {
  if (trust.status === "loading") return <p className="muted">Loading this instance&apos;s trusted root…</p>;
  if (trust.status === "failed") {
    return (
      <p className="callout callout-fail" role="alert">
        {trust.source === "instance" ? "This instance's trusted root could not be loaded" : `${trust.name} could not be read`}:{" "}
        <TruncatedText value={trust.error} max={200} />
      </p>
    );
  }
  const s = trust.summary;
  if (s.kind === "unreadable") {
    return (
      <p className="callout callout-fail" role="alert" data-testid="trust-summary">
        <TruncatedText value={trust.name} max={80} /> is not a valid trusted root: <TruncatedText value={s.message} max={200} />{" "}
        <span className="mono">[{s.code}]</span>
      </p>
    );
  }
  return (
    <p data-testid="trust-summary">
      Using <strong>{trust.source === "instance" ? "this instance's trusted root" : <TruncatedText value={trust.name} max={80} />}</strong>:{" "}
      {s.tlogHosts.length} transparency log{s.tlogHosts.length === 1 ? "" : "s"}
      {s.tlogHosts.length > 0 ? (
        <>
          {" "}
          (<TruncatedText value={s.tlogHosts.join(", ")} max={120} />)
        </>
      ) : null}
      , {s.certificateAuthorities.length} certificate authorit{s.certificateAuthorities.length === 1 ? "y" : "ies"}, {s.timestampAuthorities}{" "}
      timestamp authorit{s.timestampAuthorities === 1 ? "y" : "ies"}, {s.ctlogs} CT log{s.ctlogs === 1 ? "" : "s"}.
    </p>
  );
}

