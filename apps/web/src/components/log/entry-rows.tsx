"use client";

import Link from "next/link";
import { useMemo } from "react";
import { describeEntryBody, signerLabel } from "../../lib/entry-body.ts";
import { toBytesFromBase64 } from "../../lib/api-values.ts";
import { formatUtc } from "../../lib/format.ts";
import { TruncatedText } from "../truncated-text.tsx";

/** One row of an entry list: what the log says, decoded for display (not yet proven included). */
export interface EntryRowData {
  readonly index: string;
  readonly kind: string;
  readonly apiVersion: string;
  readonly integratedTime: string;
  readonly digest: string | undefined;
  readonly signer: string | undefined;
  readonly issuer?: string | null | undefined;
}

/** Decode a `log.entries` row (base64 body) into display fields; a body that does not parse says so. */
export function useEntryRow(e: { index: string; kind: string; apiVersion: string; integratedTime: string; body: string }): EntryRowData {
  return useMemo(() => {
    let digest: string | undefined;
    let signer: string | undefined;
    try {
      const body = toBytesFromBase64(e.body, "entry body", 1024 * 1024);
      const d = describeEntryBody(body, { kind: e.kind, version: e.apiVersion });
      digest = d.digest?.value;
      signer = signerLabel(d);
    } catch {
      signer = "(body not readable)";
    }
    return { index: e.index, kind: e.kind, apiVersion: e.apiVersion, integratedTime: e.integratedTime, digest, signer };
  }, [e.index, e.kind, e.apiVersion, e.integratedTime, e.body]);
}

function time(seconds: string): string {
  return /^[0-9]{1,12}$/.test(seconds) && seconds !== "0" ? formatUtc(Number(seconds) * 1000) : "no integrated time";
}

/** A list row linking to the entry page. All values render as text. */
export function EntryRow({ row }: { row: EntryRowData }) {
  return (
    <li className="entry-row" data-testid="entry-row" data-index={row.index}>
      <div className="entry-row-head">
        <Link href={`/log/entry/${encodeURIComponent(row.index)}`} className="entry-row-index" prefetch={false}>
          #{row.index}
        </Link>
        <span className="badge badge-neutral">
          <TruncatedText value={`${row.kind} ${row.apiVersion}`} max={40} />
        </span>
        <span className="muted small">{time(row.integratedTime)}</span>
      </div>
      {row.digest !== undefined ? (
        <div className="entry-row-line">
          <TruncatedText value={row.digest} max={80} mono label="the digest" />
        </div>
      ) : null}
      {row.signer !== undefined ? (
        <div className="entry-row-line">
          Signer: <TruncatedText value={row.signer} max={100} label="the signer" />
        </div>
      ) : null}
      {row.issuer ? (
        <div className="entry-row-line">
          Issuer: <TruncatedText value={row.issuer} max={100} label="the issuer" />
        </div>
      ) : null}
    </li>
  );
}

/** A `log.entries` row: decodes its body, then renders EntryRow. */
export function BodyEntryRow({ entry }: { entry: { index: string; kind: string; apiVersion: string; integratedTime: string; body: string } }) {
  return <EntryRow row={useEntryRow(entry)} />;
}
