"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import { BodyEntryRow, EntryRow } from "../../components/log/entry-rows.tsx";
import { TruncatedText } from "../../components/truncated-text.tsx";
import { SEARCH_MODES, parseSearch, type SearchInput, type SearchMode } from "../../lib/log-search.ts";
import { useTRPC, useTRPCClient } from "../../lib/trpc-client.ts";

const PAGE_SIZE = 20;

function errorText(e: unknown): string {
  const code = (e as { data?: { signetCode?: unknown } })?.data?.signetCode;
  const message = e instanceof Error ? e.message : String(e);
  return typeof code === "string" ? `${message} [${code}]` : message;
}

/** Recent entries (newest first, paged with `before`) and search. */
export function LogExplorer() {
  const [search, setSearch] = useState<{ input: SearchInput; label: string } | undefined>(undefined);
  return (
    <>
      <SearchPanel onSearch={setSearch} />
      {search !== undefined ? <SearchResults key={JSON.stringify(search.input)} search={search} onClear={() => setSearch(undefined)} /> : <RecentEntries />}
    </>
  );
}

function SearchPanel({ onSearch }: { onSearch: (s: { input: SearchInput; label: string }) => void }) {
  const id = useId();
  const router = useRouter();
  const client = useTRPCClient();
  const [mode, setMode] = useState<SearchMode>("digest");
  const [text, setText] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const current = SEARCH_MODES.find((m) => m.mode === mode)!;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    let parsed;
    try {
      parsed = parseSearch(mode, text);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      return;
    }
    if (parsed.kind === "index") {
      router.push(`/log/entry/${parsed.index}`);
      return;
    }
    if (parsed.kind === "uuid") {
      setBusy(true);
      try {
        const entry = await client.log.entry.query({ uuid: parsed.uuid });
        router.push(`/log/entry/${encodeURIComponent(entry.index)}`);
      } catch (e) {
        setError(`No entry with that UUID: ${errorText(e)}`);
      } finally {
        setBusy(false);
      }
      return;
    }
    onSearch({ input: parsed.input, label: `${current.label}: ${text.trim()}` });
  };

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="panel-title">
        Search the log
      </h2>
      <form className="search-form" onSubmit={submit} noValidate>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-mode`}>
            Search by
          </label>
          <select id={`${id}-mode`} className="select" value={mode} onChange={(e) => setMode(e.currentTarget.value as SearchMode)}>
            {SEARCH_MODES.map((m) => (
              <option key={m.mode} value={m.mode}>
                {m.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-text`}>
            {current.label}
          </label>
          <input
            id={`${id}-text`}
            className="input"
            type="search"
            value={text}
            placeholder={current.placeholder}
            maxLength={1024}
            spellCheck={false}
            autoComplete="off"
            aria-invalid={error !== undefined}
            aria-describedby={error !== undefined ? `${id}-error` : undefined}
            onChange={(e) => setText(e.currentTarget.value)}
          />
        </div>
        <div className="field">
          <button type="submit" className="btn" disabled={busy}>
            Search
          </button>
        </div>
      </form>
      {error !== undefined ? (
        <p id={`${id}-error`} className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}

function RecentEntries() {
  const trpc = useTRPC();
  // A stack of `before` cursors: the last one is the current page, popping goes back to newer entries.
  const [cursors, setCursors] = useState<string[]>([]);
  const before = cursors.at(-1);
  const query = useQuery(trpc.log.entries.queryOptions({ limit: PAGE_SIZE, ...(before !== undefined ? { before } : {}) }));
  const entries = query.data?.entries ?? [];
  const last = entries.at(-1);
  return (
    <section className="panel" aria-labelledby="recent-title">
      <h2 id="recent-title" className="panel-title">
        Recent entries
        {query.data !== undefined ? <span className="muted small">log size {query.data.size}</span> : null}
      </h2>
      <p className="muted small">
        As the log lists them, newest first. Open an entry to verify its inclusion proof against the checkpoint above.
      </p>
      {query.isPending ? <p className="muted">Loading entries…</p> : null}
      {query.isError ? (
        <p className="callout callout-fail" role="alert">
          The entries could not be loaded: <TruncatedText value={errorText(query.error)} max={200} />
        </p>
      ) : null}
      {query.isSuccess && entries.length === 0 ? <p className="muted">The log has no entries yet.</p> : null}
      {entries.length > 0 ? (
        <ol className="entry-list" aria-label="Log entries, newest first">
          {entries.map((e) => (
            <BodyEntryRow key={e.index} entry={e} />
          ))}
        </ol>
      ) : null}
      <p className="btn-row">
        <button type="button" className="btn btn-secondary btn-small" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
          ← Newer entries
        </button>
        <button
          type="button"
          className="btn btn-secondary btn-small"
          disabled={last === undefined || last.index === "0" || entries.length < PAGE_SIZE}
          onClick={() => last !== undefined && setCursors((c) => [...c, last.index])}
        >
          Older entries →
        </button>
      </p>
    </section>
  );
}

function SearchResults({ search, onClear }: { search: { input: SearchInput; label: string }; onClear: () => void }) {
  const trpc = useTRPC();
  const [cursors, setCursors] = useState<string[]>([]);
  const beforeIndex = cursors.at(-1);
  const query = useQuery(trpc.log.search.queryOptions({ ...search.input, limit: PAGE_SIZE, ...(beforeIndex !== undefined ? { beforeIndex } : {}) }));
  const hits = query.data ?? [];
  const last = hits.at(-1);
  return (
    <section className="panel" aria-labelledby="results-title">
      <h2 id="results-title" className="panel-title">
        Search results
      </h2>
      <p className="muted small">
        <TruncatedText value={search.label} max={160} />{" "}
        <button type="button" className="link-button" onClick={onClear}>
          clear search
        </button>
      </p>
      {query.isPending ? <p className="muted">Searching…</p> : null}
      {query.isError ? (
        <p className="callout callout-fail" role="alert">
          The search failed: <TruncatedText value={errorText(query.error)} max={200} />
        </p>
      ) : null}
      {query.isSuccess && hits.length === 0 ? <p className="muted">No entries match.</p> : null}
      {hits.length > 0 ? (
        <ol className="entry-list" aria-label="Matching entries, newest first">
          {hits.map((h) => (
            <EntryRow
              key={h.index}
              row={{
                index: h.index,
                kind: h.kind,
                apiVersion: h.apiVersion,
                integratedTime: h.integratedTime,
                digest: h.artifactDigest ?? undefined,
                signer: h.identity ?? undefined,
                issuer: h.issuer,
              }}
            />
          ))}
        </ol>
      ) : null}
      <p className="btn-row">
        <button type="button" className="btn btn-secondary btn-small" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
          ← Newer matches
        </button>
        <button
          type="button"
          className="btn btn-secondary btn-small"
          disabled={last === undefined || hits.length < PAGE_SIZE}
          onClick={() => last !== undefined && setCursors((c) => [...c, last.index])}
        >
          Older matches →
        </button>
      </p>
    </section>
  );
}
