"use client";

import type { TranscriptStep } from "@signet/crypto/verify/transcript";
import { TruncatedText } from "../../components/truncated-text.tsx";
import { formatUtc } from "../../lib/format.ts";
import type { VerificationOutcome } from "../../lib/run-verification.ts";
import { checkTitle, explainFailure } from "../../lib/verify-messages.ts";

/** The verdict: who signed and when, or which check failed, in plain words. */
export function VerificationResult({ outcome }: { outcome: VerificationOutcome }) {
  if (outcome.kind === "verified") {
    const s = outcome.signer;
    return (
      <section className="callout callout-ok" role="status" aria-labelledby="result-title" data-testid="verify-result" data-outcome="verified">
        <h2 id="result-title" className="callout-title">
          Verified ✓
        </h2>
        <dl className="kv">
          <dt>Signed by</dt>
          <dd data-testid="verified-signer">
            {s.kind === "certificate" ? (
              <TruncatedText value={s.identity} max={160} label="the identity" />
            ) : (
              <>
                {s.keyType} key <span className="mono">sha256:{s.fingerprint}</span>
              </>
            )}
          </dd>
          {s.kind === "certificate" ? (
            <>
              <dt>Issuer</dt>
              <dd>
                <TruncatedText value={s.issuer} max={160} label="the issuer" />
              </dd>
            </>
          ) : null}
          <dt>Artifact</dt>
          <dd className="mono">sha256:{outcome.digestHex}</dd>
          {outcome.timestamps.map((t, i) => (
            <TimeRow key={i} t={t} />
          ))}
          {outcome.tlogEntries.map((e, i) => (
            <LogRow key={i} e={e} />
          ))}
          {outcome.predicateType !== undefined ? (
            <>
              <dt>Attestation</dt>
              <dd>
                <TruncatedText value={outcome.predicateType} max={120} />
              </dd>
            </>
          ) : null}
        </dl>
      </section>
    );
  }
  const { headline, explanation } = explainFailure(outcome.code, outcome.artifactDiffers);
  return (
    <section className="callout callout-fail" role="alert" aria-labelledby="result-title" data-testid="verify-result" data-outcome="failed" data-code={outcome.code} data-check={outcome.check ?? ""}>
      <p className="result-verdict">Not verified ✗</p>
      <h2 id="result-title" className="callout-title" data-testid="failure-headline">
        {headline}
      </h2>
      <p>{explanation}</p>
      <p className="small">
        {outcome.check !== undefined ? (
          <>
            Failed check: <strong data-testid="failed-check">{checkTitle(outcome.check)}</strong>{" "}
          </>
        ) : null}
        <span className="mono">[{outcome.code}]</span>
      </p>
      <p className="small">
        <TruncatedText value={outcome.message} max={300} label="the error message" />
      </p>
    </section>
  );
}

function TimeRow({ t }: { t: { source: "tlog" | "tsa"; time: number; authority: string } }) {
  return (
    <>
      <dt>{t.source === "tlog" ? "Logged at" : "Timestamped at"}</dt>
      <dd>
        {formatUtc(t.time)} <span className="muted small">by <TruncatedText value={t.authority} max={80} /></span>
      </dd>
    </>
  );
}

function LogRow({ e }: { e: { baseUrl: string; logIndex: string; integratedTime: number | undefined } }) {
  return (
    <>
      <dt>Log entry</dt>
      <dd>
        index {e.logIndex} in <TruncatedText value={e.baseUrl} max={80} />
      </dd>
    </>
  );
}

const MARKS = { pass: "✓", fail: "✗", skip: "–" } as const;
const OUTCOMES = { pass: "passed", fail: "failed", skip: "skipped" } as const;

/** Every check verifyBundle ran, in order: what was checked, against what, and how it ended. */
export function Transcript({ steps }: { steps: readonly TranscriptStep[] }) {
  if (steps.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="transcript-title">
      <h2 id="transcript-title" className="panel-title">
        Transcript <span className="muted small">{steps.length} checks, in the order they ran</span>
      </h2>
      <ol className="transcript" data-testid="transcript">
        {steps.map((s, i) => (
          <li key={i} className="transcript-step" data-outcome={s.outcome} data-check={s.check}>
            <span className="transcript-mark" aria-hidden="true">
              {MARKS[s.outcome]}
            </span>
            <div className="transcript-head">
              <span className="transcript-check">{checkTitle(s.check)}</span>
              <span className={s.outcome === "pass" ? "badge badge-ok" : s.outcome === "fail" ? "badge badge-fail" : "badge badge-neutral"}>{OUTCOMES[s.outcome]}</span>
              {s.code !== undefined ? <span className="mono small">{s.code}</span> : null}
            </div>
            <div className="transcript-line">
              <TruncatedText value={s.subject} max={160} label="what was checked" />
              {s.against !== "" ? (
                <>
                  {" "}
                  — against <TruncatedText value={s.against} max={160} label="what it was checked against" />
                </>
              ) : null}
            </div>
            {s.detail !== "" ? (
              <div className="transcript-line">
                <TruncatedText value={s.detail} max={240} label="the detail" />
              </div>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
