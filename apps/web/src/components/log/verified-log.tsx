"use client";

import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import type { Checkpoint } from "@signet/crypto/checkpoint/checkpoint";
import { toBase64 } from "@signet/crypto/encoding/base64";
import { isSignetCryptoError } from "@signet/crypto/errors";
import { parseTrustedRoot, type TransparencyLogInstance } from "@signet/crypto/trust/trusted-root";
import { toHashList } from "../../lib/api-values.ts";
import {
  forgetRememberedCheckpoint,
  loadRememberedCheckpoint,
  saveRememberedCheckpoint,
  type LoadedCheckpoint,
} from "../../lib/checkpoint-memory.ts";
import { formatUtc } from "../../lib/format.ts";
import { CHECKPOINT_PATH } from "../../lib/log-paths.ts";
import { checkConsistency, mayRemember, type ConsistencyVerdict, type TreeHead } from "../../lib/log-consistency.ts";
import { logKeyIdHex, selectExplorerLog, verifyLogCheckpoint } from "../../lib/log-trust.ts";
import { useTRPCClient } from "../../lib/trpc-client.ts";
import { MAX_TRUSTED_ROOT_FILE_BYTES } from "../../lib/verify-input.ts";
import { API_TRUSTED_ROOT_PATH } from "../../links.ts";
import { TruncatedText } from "../truncated-text.tsx";

/** What the explorer knows about the log, verified in this browser. */
export type LogView =
  | { readonly status: "loading" }
  | { readonly status: "failed"; readonly stage: "trust" | "checkpoint"; readonly code: string; readonly message: string }
  | {
      readonly status: "verified";
      readonly log: TransparencyLogInstance;
      readonly keyIdHex: string;
      /** The latest checkpoint, its signature verified against the trusted log key. */
      readonly checkpoint: Checkpoint;
      readonly note: string;
      readonly memory: LoadedCheckpoint;
      readonly verdict: ConsistencyVerdict;
      /** Whether this checkpoint is now the remembered one. */
      readonly remembered: boolean;
    };

interface VerifiedLogContext {
  readonly view: LogView;
  /** Fetch and verify the latest checkpoint again. */
  readonly refresh: () => void;
}

const Context = createContext<VerifiedLogContext | undefined>(undefined);

/** The verified log state from the nearest VerifiedLogProvider (the /log layout). */
export function useVerifiedLog(): VerifiedLogContext {
  const value = useContext(Context);
  if (value === undefined) throw new Error("useVerifiedLog needs a VerifiedLogProvider");
  return value;
}

function codeOf(e: unknown, fallback: string): string {
  if (isSignetCryptoError(e)) return e.code;
  const code = (e as { code?: unknown; data?: { signetCode?: unknown } })?.data?.signetCode ?? (e as { code?: unknown })?.code;
  return typeof code === "string" && code.startsWith("ERR_") ? code : fallback;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Largest checkpoint note read (C2SP notes are a few hundred bytes; @signet/crypto caps notes at 1 MiB). */
const MAX_CHECKPOINT_CHARS = 64 * 1024;

// The first load may use the responses the layout preloaded (<link rel=preload as=fetch>, same
// mode and credentials); "Check for a newer checkpoint" revalidates with the server.
function requestInit(fresh: boolean): RequestInit {
  return fresh ? { cache: "no-cache" } : {};
}

async function fetchText(path: string, fresh: boolean, max: number, what: string): Promise<string> {
  const response = await fetch(path, requestInit(fresh));
  if (!response.ok) throw Object.assign(new Error(`${what} could not be fetched (HTTP ${response.status})`), { code: "ERR_WEB_API_UNREACHABLE" });
  // attacker-controlled: the size is checked before the body is decoded, and again after
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > max) throw Object.assign(new Error(`${what} is too large`), { code: "ERR_WEB_FILE_TOO_LARGE" });
  const text = await response.text();
  if (text.length > max) throw Object.assign(new Error(`${what} is too large`), { code: "ERR_WEB_FILE_TOO_LARGE" });
  return text;
}

async function fetchTrustedLog(fresh: boolean): Promise<TransparencyLogInstance> {
  return selectExplorerLog(parseTrustedRoot(await fetchText(API_TRUSTED_ROOT_PATH, fresh, MAX_TRUSTED_ROOT_FILE_BYTES, "the trusted root")));
}

/**
 * Verifies the log once per visit to the explorer, for every /log page: trusted root → latest
 * checkpoint (signature and origin) → consistency with the checkpoint this browser remembers
 * (SECURITY.md E9). Renders the red "Log inconsistent" alarm above the page when the log
 * contradicts its own history, and never overwrites the remembered checkpoint in that case.
 */
export function VerifiedLogProvider({ children }: { children: ReactNode }) {
  const client = useTRPCClient();
  const [view, setView] = useState<LogView>({ status: "loading" });
  const [generation, setGeneration] = useState(0);
  const refresh = useCallback(() => setGeneration((g) => g + 1), []);

  useEffect(() => {
    let cancelled = false;
    const done = (v: LogView) => {
      if (!cancelled) setView(v);
    };
    // User-timing marks: bench/web.bench.ts reports how much of page load → verified is spent before this effect runs.
    performance.mark("signet:log-verify-start");
    (async () => {
      const fresh = generation > 0;
      const [trust, latest] = await Promise.allSettled([fetchTrustedLog(fresh), fetchText(CHECKPOINT_PATH, fresh, MAX_CHECKPOINT_CHARS, "the checkpoint")]);
      if (trust.status === "rejected") return done({ status: "failed", stage: "trust", code: codeOf(trust.reason, "ERR_WEB_TRUST_FETCH"), message: messageOf(trust.reason) });
      if (latest.status === "rejected") return done({ status: "failed", stage: "checkpoint", code: codeOf(latest.reason, "ERR_WEB_API_UNREACHABLE"), message: messageOf(latest.reason) });
      const log = trust.value;
      let checkpoint: Checkpoint;
      try {
        // attacker-controlled: the signed note is all the explorer takes from the log here.
        checkpoint = await verifyLogCheckpoint(latest.value, log);
      } catch (e) {
        return done({ status: "failed", stage: "checkpoint", code: codeOf(e, "ERR_CHECKPOINT_MALFORMED"), message: messageOf(e) });
      }
      const memory = loadRememberedCheckpoint(window.localStorage, log.host);
      const previous: TreeHead | undefined = memory.kind === "remembered" ? memory.checkpoint : undefined;
      const verdict =
        memory.kind === "unreadable"
          ? ({ kind: "first-seen" } as const)
          : await checkConsistency({
              remembered: previous,
              latest: checkpoint,
              getProof: async (size1, size2) =>
                toHashList((await client.log.consistencyProof.query({ size1: size1.toString(), size2: size2.toString() })).hashes, "consistency proof"),
            });
      // An unreadable record is never replaced silently: the person decides (see the notice).
      const remembered =
        memory.kind !== "unreadable" &&
        mayRemember(verdict) &&
        saveRememberedCheckpoint(window.localStorage, { origin: log.host, size: checkpoint.size, rootHash: checkpoint.rootHash, note: latest.value, seenAt: Date.now() });
      performance.mark("signet:log-verified");
      done({ status: "verified", log, keyIdHex: logKeyIdHex(log), checkpoint, note: latest.value, memory, verdict, remembered });
    })().catch((e: unknown) => done({ status: "failed", stage: "checkpoint", code: codeOf(e, "ERR_VERIFY_INTERNAL"), message: messageOf(e) }));
    return () => {
      cancelled = true;
    };
  }, [client, generation]);

  const forget = useCallback(() => {
    if (view.status !== "verified") return;
    forgetRememberedCheckpoint(window.localStorage, view.log.host);
    refresh();
  }, [view, refresh]);

  return (
    <Context.Provider value={{ view, refresh }}>
      <LogWarnings view={view} onForget={forget} />
      {children}
    </Context.Provider>
  );
}

function TreeHeadRows({ title, head, seenAt }: { title: string; head: TreeHead; seenAt?: number }) {
  return (
    <>
      <dt>{title}</dt>
      <dd>
        size <strong>{head.size.toString()}</strong>, root <span className="mono">{toBase64(head.rootHash)}</span>
        {seenAt !== undefined && seenAt > 0 ? <span className="muted small"> (seen {formatUtc(seenAt)})</span> : null}
      </dd>
    </>
  );
}

const REASONS: Record<"rollback" | "fork" | "bad-proof", (r: TreeHead, l: TreeHead) => string> = {
  rollback: (r, l) =>
    `The log now shows a smaller tree (${l.size} entries) than the one this browser verified before (${r.size} entries). A transparency log only grows: this is a rollback.`,
  fork: (r) =>
    `The log now shows another root hash for the same size (${r.size} entries) that this browser verified before. The log has signed two different histories: this is a fork.`,
  "bad-proof": (r, l) =>
    `The log grew from ${r.size} to ${l.size} entries, but its consistency proof does not show that the tree this browser verified before is a prefix of the new one.`,
};

/** The alarm and notices shown above every /log page. */
function LogWarnings({ view, onForget }: { view: LogView; onForget: () => void }) {
  if (view.status !== "verified") return null;
  const { verdict, memory } = view;
  if (verdict.kind === "inconsistent") {
    const seenAt = memory.kind === "remembered" ? memory.checkpoint.seenAt : undefined;
    return (
      <section className="alarm" role="alert" aria-labelledby="log-alarm-title" data-testid="log-inconsistent">
        <h2 id="log-alarm-title" className="alarm-title">
          Log inconsistent
        </h2>
        <p>{REASONS[verdict.reason](verdict.remembered, verdict.latest)}</p>
        <dl className="kv">
          <TreeHeadRows title="Verified before" head={verdict.remembered} {...(seenAt !== undefined ? { seenAt } : {})} />
          <TreeHeadRows title="Log shows now" head={verdict.latest} />
          {verdict.code !== undefined ? (
            <>
              <dt>Proof check</dt>
              <dd className="mono">{verdict.code}</dd>
            </>
          ) : null}
        </dl>
        <p>
          This browser keeps the checkpoint it verified before and will raise this alarm again. Do not rely on this log
          until its operator explains the two tree heads above; both are signed by the log&apos;s key and are evidence.
        </p>
        <details>
          <summary>The signed checkpoint the log sent now</summary>
          <pre className="raw mono">{view.note}</pre>
        </details>
        <p>
          <button type="button" className="btn btn-danger btn-small" onClick={onForget}>
            Forget the checkpoint seen before
          </button>{" "}
          <span className="small">Only after you have saved the evidence: the alarm stops and the log&apos;s new history is accepted.</span>
        </p>
      </section>
    );
  }
  if (memory.kind === "unreadable") {
    return (
      <section className="callout callout-warn log-notice" aria-labelledby="log-memory-title">
        <h2 id="log-memory-title" className="callout-title">
          The checkpoint this browser remembered could not be read
        </h2>
        <p>
          Something replaced it with data that is not a checkpoint record, so consistency with what you saw before cannot be
          checked. It was left as it is.
        </p>
        <button type="button" className="btn btn-secondary btn-small" onClick={onForget}>
          Replace it with the current checkpoint
        </button>
      </section>
    );
  }
  if (verdict.kind === "unchecked") {
    return (
      <section className="callout callout-warn log-notice" role="status">
        <h2 className="callout-title">Consistency not checked</h2>
        <p>
          The log did not provide a consistency proof from the checkpoint this browser saw before (size{" "}
          {verdict.remembered.size.toString()}), so the new one (size {verdict.latest.size.toString()}) was not accepted as its
          successor. Reason: <TruncatedText value={verdict.message} max={200} />
        </p>
      </section>
    );
  }
  return null;
}

function ConsistencyLine({ view }: { view: Extract<LogView, { status: "verified" }> }) {
  const { verdict, memory } = view;
  const seenAt = memory.kind === "remembered" ? memory.checkpoint.seenAt : 0;
  switch (verdict.kind) {
    case "first-seen":
      return <>First visit from this browser{memory.kind === "unreadable" ? "" : ": this checkpoint is now remembered for the next visit"}.</>;
    case "unchanged":
      return <>The same tree head this browser verified before{seenAt > 0 ? ` (${formatUtc(seenAt)})` : ""}: no new entries.</>;
    case "consistent":
      return (
        <>
          Consistent with the checkpoint this browser verified before (size {verdict.from.size.toString()}
          {seenAt > 0 ? `, ${formatUtc(seenAt)}` : ""}): consistency proof of {verdict.proofHashes} hash
          {verdict.proofHashes === 1 ? "" : "es"} verified ✓
        </>
      );
    case "inconsistent":
      return <strong>NOT consistent with the checkpoint this browser verified before: see the alarm above.</strong>;
    case "unchecked":
      return <>Not checked against the checkpoint seen before (see above).</>;
  }
}

/** The latest checkpoint as verified here: origin, size, root, the key it was checked with. */
export function CheckpointPanel() {
  const { view, refresh } = useVerifiedLog();
  if (view.status === "loading") {
    return (
      <section className="panel" aria-labelledby="checkpoint-title" aria-busy="true" data-checkpoint-status="loading">
        <h2 id="checkpoint-title" className="panel-title">
          Latest checkpoint
        </h2>
        <p className="muted">Fetching the trusted root and the log&apos;s latest signed checkpoint, and verifying it…</p>
      </section>
    );
  }
  if (view.status === "failed") {
    return (
      <section className="panel" aria-labelledby="checkpoint-title" data-checkpoint-status="failed">
        <h2 id="checkpoint-title" className="panel-title">
          Latest checkpoint <span className="badge badge-fail">not verified ✗</span>
        </h2>
        <div className="callout callout-fail" role="alert">
          <p className="callout-title">
            {view.stage === "trust" ? "This instance's trusted root could not be used" : "The log's checkpoint did not verify"}
          </p>
          <p>
            <TruncatedText value={view.message} max={300} /> <span className="mono small">[{view.code}]</span>
          </p>
          <p>Nothing below is verified while this is so.</p>
        </div>
        <button type="button" className="btn btn-secondary btn-small" onClick={refresh}>
          Try again
        </button>
      </section>
    );
  }
  const { checkpoint, log } = view;
  const ok = view.verdict.kind !== "inconsistent";
  return (
    <section className="panel" aria-labelledby="checkpoint-title" data-checkpoint-status={ok ? "verified" : "inconsistent"}>
      <h2 id="checkpoint-title" className="panel-title">
        Latest checkpoint{" "}
        <span className="badge badge-ok" data-testid="checkpoint-verified">
          verified ✓
        </span>
        {!ok ? <span className="badge badge-fail">inconsistent ✗</span> : null}
      </h2>
      <dl className="kv">
        <dt>Origin</dt>
        <dd className="mono" data-testid="checkpoint-origin">
          <TruncatedText value={checkpoint.origin} max={120} />
        </dd>
        <dt>Tree size</dt>
        <dd data-testid="checkpoint-size">{checkpoint.size.toString()}</dd>
        <dt>Root hash</dt>
        <dd className="mono" data-testid="checkpoint-root">
          {toBase64(checkpoint.rootHash)}
        </dd>
        <dt>Signature</dt>
        <dd>
          Verified in this browser with the log key of <span className="mono">{log.host}</span> from this instance&apos;s
          trusted root (key ID <span className="mono">{view.keyIdHex}</span>).
        </dd>
        <dt>History</dt>
        <dd>
          <ConsistencyLine view={view} />
        </dd>
      </dl>
      <details>
        <summary>Signed note</summary>
        <pre className="raw mono">{view.note}</pre>
      </details>
      <p className="btn-row">
        <button type="button" className="btn btn-secondary btn-small" onClick={refresh}>
          Check for a newer checkpoint
        </button>
      </p>
    </section>
  );
}
