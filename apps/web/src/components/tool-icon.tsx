import type { ReactElement } from "react";

type ToolIconName = "sign" | "verify" | "log";

// 24-unit stroke paths; decorative, so hidden from assistive technology.
const PATHS: Record<ToolIconName, ReactElement> = {
  sign: (
    <>
      <path d="M4 20h6" />
      <path d="M14.5 4.5l5 5L10 19l-5.5 1 1-5.5 9-10Z" />
      <path d="M12.5 6.5l5 5" />
    </>
  ),
  verify: (
    <>
      <path d="M12 3l7.5 3v5.5c0 4.6-3.1 8.1-7.5 9.5-4.4-1.4-7.5-4.9-7.5-9.5V6L12 3Z" />
      <path d="M8.8 12.2l2.3 2.3 4.3-4.6" />
    </>
  ),
  log: (
    <>
      <rect x="4" y="3.5" width="16" height="17" rx="2.5" />
      <path d="M8 8h8M8 12h8M8 16h5" />
    </>
  ),
};

/** A small line icon for one of the primary tools. */
export function ToolIcon({ name }: { name: ToolIconName }) {
  return (
    <svg
      className="tool-icon"
      width="24"
      height="24"
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      {PATHS[name]}
    </svg>
  );
}
