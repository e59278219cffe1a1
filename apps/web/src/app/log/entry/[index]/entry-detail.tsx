"use client";

import { useQuery } from "@tanstack/react-query";
import { Fragment, useEffect, useMemo, useState } from "react";
import { toBase64 } from "@signet/crypto/encoding/base64";
import { toHex } from "@signet/crypto/encoding/hex";
import { isSignetCryptoError } from "@signet/crypto/errors";
import { InclusionPathSvg } from "../../../../components/inclusion-path-svg.tsx";
import { useVerifiedLog } from "../../../../components/log/verified-log.tsx";
import { TruncatedText } from "../../../../components/truncated-text.tsx";
import { toBytesFromBase64, toHashList, toUint63 } from "../../../../lib/api-values.ts";
import { bodyAsText, describeEntryBody, type SignerDescription } from "../../../../lib/entry-body.ts";
import { verifyExplorerEntryTimestamp } from "../../../../lib/entry-timestamp.ts";
import { formatUtc, shortHex } from "../../../../lib/format.ts";
import { verifyInclusionPath, type VerifiedInclusionPath } from "../../../../lib/inclusion-path.ts";
import { useTRPC } from "../../../../lib/trpc-client.ts";

function errorText(e: unknown): string {
  const code = isSignetCryptoError(e) ? e.code : (e as { data?: { signetCode?: unknown }; code?: unknown })?.data?.signetCode ?? (e as { code?: unknown })?.code;
  const message = e instanceof Error ? e.message : String(e);
  return typeof code === "string" ? `${message} [${code}]` : message;
}

type Check<T> = { state: "pending" } | { state: "ok"; value: T } | { state: "fail"; error: string };

/** One entry: inclusion proof verified against the verified checkpoint, SET, decoded body, signer. */
export function EntryDetail({ index }: { index: string }) {
  const trpc = useTRPC();
  const { view, refresh } = useVerifiedLog();
  const entryQuery = useQuery(trpc.log.entry.queryOptions({ index }));
  const entry = entryQuery.data;
  const checkpoint = view.status === "verified" ? view.checkpoint : undefined;
  const beyond = checkpoint !== undefined && BigInt(index) >= checkpoint.size;
  const proofQuery = useQuery({
    ...trpc.log.inclusionProof.queryOptions({ index, size: checkpoint?.size.toString() ?? "1" }),
    enabled: checkpoint !== undefined && !beyond,
  });

  // attacker-controlled: everything in `entry` and the proof comes from the log server.
  const body = useMemo(() => {
    if (entry === undefined) return undefined;
    try {
      return toBytesFromBase64(entry.body, "entry body", 1024 * 1024);
    } catch {
      return undefined;
    }
  }, [entry]);

  const inclusion: Check<VerifiedInclusionPath> = useMemo(() => {
    if (checkpoint === undefined || proofQuery.data === undefined || body === undefined) {
      return proofQuery.isError ? { state: "fail", error: errorText(proofQuery.error) } : { state: "pending" };
    }
    try {
      const proof = toHashList(proofQuery.data.hashes, "inclusion proof");
      if (toUint63(proofQuery.data.size, "proof size") !== checkpoint.size || toUint63(proofQuery.data.index, "proof index") !== BigInt(index)) {
        return { state: "fail", error: "the log answered with a proof for another leaf or tree size" };
      }
      return { state: "ok", value: verifyInclusionPath({ index: BigInt(index), size: checkpoint.size, body, proof, root: checkpoint.rootHash }) };
    } catch (e) {
      return { state: "fail", error: errorText(e) };
    }
  }, [checkpoint, proofQuery.data, proofQuery.isError, proofQuery.error, body, index]);

  const [timestamp, setTimestamp] = useState<Check<number>>({ state: "pending" });
  useEffect(() => {
    if (view.status !== "verified" || entry === undefined || body === undefined) return;
    let cancelled = false;
    (async () => {
      try {
        const time = await verifyExplorerEntryTimestamp(
          {
            index: toUint63(entry.index, "index"),
            integratedTime: toUint63(entry.integratedTime, "integrated time"),
            body,
            signedEntryTimestamp: toBytesFromBase64(entry.signedEntryTimestamp, "signed entry timestamp", 1024),
            kind: entry.kind,
            apiVersion: entry.apiVersion,
          },
          view.log,
        );
        if (!cancelled) setTimestamp({ state: "ok", value: time });
      } catch (e) {
        if (!cancelled) setTimestamp({ state: "fail", error: errorText(e) });
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [view, entry, body]);

  const description = useMemo(() => (entry !== undefined && body !== undefined ? describeEntryBody(body, { kind: entry.kind, version: entry.apiVersion }) : undefined), [entry, body]);

  if (entryQuery.isError) {
    return (
      <section className="panel" aria-labelledby="entry-missing">
        <h2 id="entry-missing" className="panel-title">
          Entry not available
        </h2>
        <p className="callout callout-fail" role="alert">
          <TruncatedText value={errorText(entryQuery.error)} max={300} />
        </p>
      </section>
    );
  }
  if (entry === undefined) return <p className="muted">Loading the entry…</p>;

  return (
    <>
      <section className="panel" aria-labelledby="inclusion-title" data-inclusion-status={inclusion.state}>
        <h2 id="inclusion-title" className="panel-title">
          Inclusion proof{" "}
          {inclusion.state === "ok" ? (
            <span className="badge badge-ok" data-testid="inclusion-verified">
              verified ✓
            </span>
          ) : inclusion.state === "fail" ? (
            <span className="badge badge-fail">not verified ✗</span>
          ) : null}
        </h2>
        {view.status === "loading" ? <p className="muted">Verifying the log&apos;s latest checkpoint first…</p> : null}
        {view.status === "failed" ? (
          <p className="callout callout-fail" role="alert">
            The log&apos;s checkpoint did not verify, so no proof can be checked against it:{" "}
            <TruncatedText value={`${view.message} [${view.code}]`} max={300} />
          </p>
        ) : null}
        {beyond ? (
          <p className="callout callout-warn">
            This entry is newer than the checkpoint verified when you opened the explorer (size {checkpoint?.size.toString()}).{" "}
            <button type="button" className="link-button" onClick={refresh}>
              Verify the latest checkpoint again
            </button>
          </p>
        ) : null}
        {inclusion.state === "fail" ? (
          <div className="callout callout-fail" role="alert">
            <p className="callout-title">This entry is not proven to be in the log</p>
            <p>
              <TruncatedText value={inclusion.error} max={300} />
            </p>
          </div>
        ) : null}
        {inclusion.state === "ok" && checkpoint !== undefined ? (
          <>
            <p>
              Leaf {index} is included in the tree of {checkpoint.size.toString()} entries whose signed checkpoint this browser
              verified (root <span className="mono">{toBase64(checkpoint.rootHash)}</span>): the RFC 6962 leaf hash of the body
              below and {inclusion.value.steps.length} proof hash{inclusion.value.steps.length === 1 ? "" : "es"} recompute that root.
            </p>
            <InclusionPathSvg path={inclusion.value} />
            <details>
              <summary>The proof as text</summary>
              <ol className="small mono" aria-label="Inclusion proof steps">
                <li>leaf hash {toHex(inclusion.value.leafHash)}</li>
                {inclusion.value.steps.map((s, i) => (
                  <li key={i}>
                    + {s.side} sibling {toHex(s.sibling)} → {toHex(s.node)}
                  </li>
                ))}
              </ol>
            </details>
          </>
        ) : null}
      </section>

      <section className="panel" aria-labelledby="entry-title">
        <h2 id="entry-title" className="panel-title">
          Entry
        </h2>
        <dl className="kv">
          <dt>Log index</dt>
          <dd>{entry.index}</dd>
          <dt>UUID</dt>
          <dd>
            <TruncatedText value={entry.uuid} max={80} mono label="the UUID" />
            {inclusion.state === "ok" ? (
              toHex(inclusion.value.leafHash) === entry.uuid ? (
                <span className="badge badge-ok">= leaf hash ✓</span>
              ) : (
                <span className="badge badge-fail">≠ leaf hash</span>
              )
            ) : null}
          </dd>
          <dt>Kind</dt>
          <dd>
            <TruncatedText value={`${entry.kind} ${entry.apiVersion}`} max={60} />
          </dd>
          <dt>Integrated time</dt>
          <dd>
            {timestamp.state === "ok" ? (
              <>
                {formatUtc(timestamp.value)} <span className="badge badge-ok">signed entry timestamp verified ✓</span>
              </>
            ) : timestamp.state === "fail" ? (
              <>
                <TruncatedText value={entry.integratedTime} max={24} /> <span className="badge badge-fail">timestamp not verified ✗</span>{" "}
                <span className="small muted">
                  <TruncatedText value={timestamp.error} max={160} />
                </span>
              </>
            ) : (
              <span className="muted">verifying…</span>
            )}
          </dd>
          {description?.digest !== undefined ? (
            <>
              <dt>{description.digest.label}</dt>
              <dd data-testid="entry-digest">
                <TruncatedText value={description.digest.value} max={90} mono />
              </dd>
            </>
          ) : null}
          {description?.signatures.map((s, i) => (
            <Fragment key={i}>
              <dt>Signature{description.signatures.length > 1 ? ` ${i + 1}` : ""}</dt>
              <dd>
                <TruncatedText value={s.signatureBase64} max={48} mono label="the signature" />
              </dd>
            </Fragment>
          ))}
        </dl>
        {description?.problem !== undefined ? (
          <p className="callout callout-warn">
            This body does not parse as {entry.kind} {entry.apiVersion}: <TruncatedText value={description.problem.message} max={200} />{" "}
            <span className="mono small">[{description.problem.code}]</span>. It is shown raw below.
          </p>
        ) : null}
      </section>

      {description?.signatures.map((s, i) => (
        <SignerPanel key={i} signer={s.signer} n={description.signatures.length > 1 ? i + 1 : undefined} />
      ))}

      <section className="panel" aria-labelledby="raw-title">
        <h2 id="raw-title" className="panel-title">
          Body
        </h2>
        <details>
          <summary>Canonicalized body as stored in the log</summary>
          <pre className="raw mono" data-testid="raw-body">
            {body !== undefined ? bodyAsText(body) : "(not valid base64)"}
          </pre>
        </details>
      </section>
    </>
  );
}

function SignerPanel({ signer, n }: { signer: SignerDescription; n: number | undefined }) {
  const title = `Signer${n !== undefined ? ` ${n}` : ""}`;
  if (signer.kind === "publicKey") {
    return (
      <section className="panel" aria-label={title}>
        <h2 className="panel-title">{title}: public key</h2>
        <dl className="kv">
          <dt>Key type</dt>
          <dd>{signer.keyType}</dd>
          <dt>Fingerprint</dt>
          <dd className="mono">sha256:{signer.fingerprintHex}</dd>
        </dl>
      </section>
    );
  }
  if (signer.kind === "unreadable") {
    return (
      <section className="panel" aria-label={title}>
        <h2 className="panel-title">{title}</h2>
        <p className="callout callout-warn">
          The {signer.what} in this entry could not be parsed <span className="mono small">[{signer.code}]</span>.
        </p>
      </section>
    );
  }
  return (
    <section className="panel" aria-label={title} data-testid="signer-certificate">
      <h2 className="panel-title">
        {title}: certificate <span className="badge badge-neutral">as recorded, not chain-verified here</span>
      </h2>
      <dl className="kv">
        {signer.subjectAltNames.map((san, i) => (
          <Fragment key={i}>
            <dt>Identity ({san.type})</dt>
            <dd data-testid="signer-san">
              <TruncatedText value={san.value} max={120} label="the identity" />
            </dd>
          </Fragment>
        ))}
        <dt>OIDC issuer</dt>
        <dd data-testid="signer-issuer">{signer.oidcIssuer !== undefined ? <TruncatedText value={signer.oidcIssuer} max={120} /> : <span className="muted">none</span>}</dd>
        <dt>Subject</dt>
        <dd>
          <TruncatedText value={signer.subject || "(empty)"} max={120} />
        </dd>
        <dt>Issued by</dt>
        <dd>
          <TruncatedText value={signer.issuerName || "(empty)"} max={120} />
        </dd>
        <dt>Valid</dt>
        <dd>
          {formatUtc(signer.notBefore)} to {formatUtc(signer.notAfter)}
        </dd>
        <dt>Serial</dt>
        <dd className="mono">{shortHex(signer.serialHex, 48)}</dd>
        <dt>Fingerprint</dt>
        <dd className="mono">sha256:{signer.fingerprintHex}</dd>
      </dl>
      {signer.fulcioExtensions.length > 0 ? (
        <>
          <h3 className="small">Fulcio extensions</h3>
          <dl className="kv" data-testid="fulcio-extensions">
            {signer.fulcioExtensions.map((x) => (
              <Fragment key={x.oid}>
                <dt title={x.oid}>{x.name}</dt>
                <dd>{x.value !== undefined ? <TruncatedText value={x.value} max={120} /> : <span className="muted">(not decodable)</span>}</dd>
              </Fragment>
            ))}
          </dl>
        </>
      ) : null}
    </section>
  );
}
