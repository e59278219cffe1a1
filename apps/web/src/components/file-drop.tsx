"use client";

import { useId, useState, type DragEvent, type ReactNode } from "react";

/**
 * A file picker that also accepts drag and drop: a real `<input type="file">` (focusable, visually
 * hidden) behind a labelled button, so it works from the keyboard and with screen readers.
 */
export function FileDrop({
  label,
  buttonText,
  accept,
  file,
  onFile,
  children,
}: {
  /** What the file is, added to the button's accessible name, e.g. "Artifact file". */
  label: string;
  buttonText: string;
  accept?: string;
  /** The chosen file's name, shown once chosen. */
  file: string | undefined;
  onFile: (file: File) => void;
  children?: ReactNode;
}) {
  const id = useId();
  const [dragging, setDragging] = useState(false);
  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setDragging(false);
    const dropped = event.dataTransfer.files[0];
    if (dropped !== undefined) onFile(dropped);
  };
  return (
    <div
      className={dragging ? "drop-zone is-dragging" : "drop-zone"}
      onDragOver={(event) => {
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <input
        id={id}
        className="file-input"
        type="file"
        {...(accept !== undefined ? { accept } : {})}
        onChange={(event) => {
          const chosen = event.currentTarget.files?.[0];
          if (chosen !== undefined) onFile(chosen);
          // Choosing the same file again must fire change again.
          event.currentTarget.value = "";
        }}
      />
      {/* The visible text stays part of the accessible name (WCAG 2.5.3), with what the file is for. */}
      <label htmlFor={id} className="btn btn-secondary">
        {buttonText}
        <span className="visually-hidden"> ({label})</span>
      </label>
      <span className="muted small">{file === undefined ? "or drop a file here" : <span className="drop-zone-file">{file}</span>}</span>
      {children}
    </div>
  );
}
