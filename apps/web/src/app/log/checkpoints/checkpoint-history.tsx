"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useState, type FormEvent } from "react";
import type { Checkpoint } from "@signet/crypto/checkpoint/checkpoint";
import { bytesEqual } from "@signet/crypto/encoding/bytes";
import { toBase64 } from "@signet/crypto/encoding/base64";
import { isSignetCryptoError } from "@signet/crypto/errors";
import type { TransparencyLogInstance } from "@signet/crypto/trust/trusted-root";
import { useVerifiedLog } from "../../../components/log/verified-log.tsx";
import { TruncatedText } from "../../../components/truncated-text.tsx";
import { toHash, toHashList, toUint63 } from "../../../lib/api-values.ts";
import { verifyTreeHeadConsistency } from "../../../lib/log-consistency.ts";
import { verifyLogCheckpoint } from "../../../lib/log-trust.ts";
import { isLogIndex } from "../../../lib/log-search.ts";
import { useTRPC, useTRPCClient } from "../../../lib/trpc-client.ts";

const PAGE_SIZE = 20;

function errorText(e: unknown): string {
  const code = isSignetCryptoError(e) ? e.code : (e as { data?: { signetCode?: unknown }; code?: unknown })?.data?.signetCode ?? (e as { code?: unknown })?.code;
  const message = e instanceof Error ? e.message : String(e);
  return typeof code === "string" ? `${message} [${code}]` : message;
}

/**
 * Verify a history row: its note against the log key, and the row's own size/root fields against
 * the note (a row whose fields disagree with its signed note is a lie about one or the other).
 */
async function verifyRow(row: { note: string; size: string; rootHash: string }, log: TransparencyLogInstance): Promise<Checkpoint> {
  const cp = await verifyLogCheckpoint(row.note, log);
  if (cp.size !== toUint63(row.size, "checkpoint size") || !bytesEqual(cp.rootHash, toHash(row.rootHash, "checkpoint root"))) {
    throw Object.assign(new Error("the listed size or root differs from the signed note"), { code: "ERR_WEB_API_RESPONSE_MALFORMED" });
  }
  return cp;
}

function HistoryRow({ row, log }: { row: { note: string; size: string; rootHash: string; createdAt: string }; log: TransparencyLogInstance | undefined }) {
  const [state, setState] = useState<{ kind: "pending" } | { kind: "ok"; cp: Checkpoint } | { kind: "fail"; error: string }>({ kind: "pending" });
  useEffect(() => {
    if (log === undefined) return;
    let cancelled = false;
    verifyRow(row, log).then(
      (cp) => !cancelled && setState({ kind: "ok", cp }),
      (e: unknown) => !cancelled && setState({ kind: "fail", error: errorText(e) }),
    );
    return () => {
      cancelled = true;
    };
  }, [row, log]);
  return (
    <li className="entry-row" data-testid="checkpoint-row">
      <div className="entry-row-head">
        <strong>size {state.kind === "ok" ? state.cp.size.toString() : <TruncatedText value={row.size} max={24} />}</strong>
        {state.kind === "ok" ? <span className="badge badge-ok">signature verified ✓</span> : null}
        {state.kind === "fail" ? <span className="badge badge-fail">not verified ✗</span> : null}
        <span className="muted small">
          <TruncatedText value={row.createdAt} max={40} />
        </span>
      </div>
      <div className="entry-row-line mono">{state.kind === "ok" ? toBase64(state.cp.rootHash) : <TruncatedText value={row.rootHash} max={60} />}</div>
      {state.kind === "fail" ? (
        <div className="entry-row-line">
          <TruncatedText value={state.error} max={200} />
        </div>
      ) : null}
    </li>
  );
}

/** The checkpoint history, newest first, each row's signature verified here. */
export function CheckpointHistory() {
  const trpc = useTRPC();
  const { view } = useVerifiedLog();
  const [cursors, setCursors] = useState<string[]>([]);
  const beforeSize = cursors.at(-1);
  const query = useQuery(trpc.log.checkpoints.queryOptions({ limit: PAGE_SIZE, ...(beforeSize !== undefined ? { beforeSize } : {}) }));
  const rows = query.data ?? [];
  const last = rows.at(-1);
  const log = view.status === "verified" ? view.log : undefined;
  return (
    <section className="panel" aria-labelledby="history-title">
      <h2 id="history-title" className="panel-title">
        Checkpoint history
      </h2>
      {view.status === "failed" ? (
        <p className="callout callout-fail" role="alert">
          The trusted log key is not available, so no checkpoint here can be verified.
        </p>
      ) : null}
      {query.isPending ? <p className="muted">Loading checkpoints…</p> : null}
      {query.isError ? (
        <p className="callout callout-fail" role="alert">
          The history could not be loaded: <TruncatedText value={errorText(query.error)} max={200} />
        </p>
      ) : null}
      {rows.length > 0 ? (
        <ol className="checkpoint-list" aria-label="Checkpoints, newest first">
          {rows.map((r) => (
            <HistoryRow key={`${r.size}-${r.rootHash}`} row={r} log={log} />
          ))}
        </ol>
      ) : null}
      <p className="btn-row">
        <button type="button" className="btn btn-secondary btn-small" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
          ← Newer checkpoints
        </button>
        <button
          type="button"
          className="btn btn-secondary btn-small"
          disabled={last === undefined || rows.length < PAGE_SIZE}
          onClick={() => last !== undefined && setCursors((c) => [...c, last.size])}
        >
          Older checkpoints →
        </button>
      </p>
    </section>
  );
}

type FormResult =
  | { kind: "ok"; older: Checkpoint; newer: Checkpoint; proofHashes: number }
  | { kind: "fail"; error: string; older?: Checkpoint; newer?: Checkpoint };

/** Two sizes → both signed checkpoints verified → their consistency proof verified. */
export function ConsistencyForm() {
  const id = useId();
  const client = useTRPCClient();
  const { view } = useVerifiedLog();
  const [size1, setSize1] = useState("");
  const [size2, setSize2] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<FormResult | undefined>(undefined);

  useEffect(() => {
    if (view.status === "verified" && size2 === "") setSize2(view.checkpoint.size.toString());
  }, [view, size2]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setResult(undefined);
    if (view.status !== "verified") {
      setResult({ kind: "fail", error: "the log key is not available yet" });
      return;
    }
    const a = size1.trim();
    const b = size2.trim();
    if (!isLogIndex(a) || !isLogIndex(b)) {
      setResult({ kind: "fail", error: "enter two tree sizes as whole numbers" });
      return;
    }
    const [lo, hi] = BigInt(a) <= BigInt(b) ? [a, b] : [b, a];
    setBusy(true);
    let older: Checkpoint | undefined;
    let newer: Checkpoint | undefined;
    try {
      const [r1, r2] = await Promise.all([client.log.checkpointAt.query({ size: lo }), client.log.checkpointAt.query({ size: hi })]);
      older = await verifyRow(r1, view.log);
      newer = await verifyRow(r2, view.log);
      if (older.size.toString() !== lo || newer.size.toString() !== hi) throw new Error("the log sent checkpoints for other sizes");
      let proof: Uint8Array[] = [];
      if (older.size > 0n && older.size < newer.size) {
        proof = toHashList((await client.log.consistencyProof.query({ size1: lo, size2: hi })).hashes, "consistency proof");
      }
      verifyTreeHeadConsistency(older, newer, proof);
      setResult({ kind: "ok", older, newer, proofHashes: proof.length });
    } catch (e) {
      setResult({ kind: "fail", error: errorText(e), ...(older ? { older } : {}), ...(newer ? { newer } : {}) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="panel-title">
        Verify consistency between two checkpoints
      </h2>
      <p className="muted small">Only sizes at which the log published a checkpoint can be compared (see the history below).</p>
      <form className="search-form pair-form" onSubmit={submit} noValidate>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-a`}>
            Older size
          </label>
          <input id={`${id}-a`} className="input" inputMode="numeric" value={size1} onChange={(e) => setSize1(e.currentTarget.value)} />
        </div>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-b`}>
            Newer size
          </label>
          <input id={`${id}-b`} className="input" inputMode="numeric" value={size2} onChange={(e) => setSize2(e.currentTarget.value)} />
        </div>
        <div className="field">
          <button type="submit" className="btn" disabled={busy}>
            Verify
          </button>
        </div>
      </form>
      {result?.kind === "ok" ? (
        <div className="callout callout-ok" role="status" data-testid="consistency-result">
          <p className="callout-title">Consistent ✓</p>
          <p>
            Both checkpoints are signed by the log key, and a consistency proof of {result.proofHashes} hash
            {result.proofHashes === 1 ? "" : "es"} shows that the tree of {result.older.size.toString()} entries (root{" "}
            <span className="mono">{toBase64(result.older.rootHash)}</span>) is a prefix of the tree of {result.newer.size.toString()}{" "}
            entries (root <span className="mono">{toBase64(result.newer.rootHash)}</span>).
          </p>
        </div>
      ) : null}
      {result?.kind === "fail" ? (
        <div className="callout callout-fail" role="alert" data-testid="consistency-result">
          <p className="callout-title">Not verified</p>
          <p>
            <TruncatedText value={result.error} max={300} />
          </p>
        </div>
      ) : null}
    </section>
  );
}
