"use client";

import { useState } from "react";
import { hasInvisible, revealInvisible, truncateText } from "../lib/format.ts";

/**
 * A value from a bundle or the log, as text only: long values are cut with an expander, and
 * invisible or direction-changing characters are shown as visible markers (SECURITY.md G6).
 */
export function TruncatedText({ value, max = 96, mono = false, label }: { value: string; max?: number; mono?: boolean; label?: string }) {
  const [expanded, setExpanded] = useState(false);
  const shownValue = revealInvisible(value);
  const { shown, truncated, length } = truncateText(shownValue, max);
  const invisible = hasInvisible(value);
  return (
    <span className="truncated">
      <span className={mono ? "truncated-value mono" : "truncated-value"}>
        {expanded || !truncated ? shownValue : `${shown}…`}
      </span>
      {truncated ? (
        <button
          type="button"
          className="link-button"
          aria-expanded={expanded}
          aria-label={`${expanded ? "Show less of" : "Show all of"} ${label ?? "this value"}`}
          onClick={() => setExpanded((e) => !e)}
        >
          {expanded ? "show less" : `show all ${length} characters`}
        </button>
      ) : null}
      {invisible ? (
        <span className="badge badge-warn" title="This value contains invisible or direction-changing characters, shown as ⟨U+…⟩">
          hidden characters
        </span>
      ) : null}
    </span>
  );
}
