"use client";

import { useId, useState, type DragEvent, type ReactNode } from "react";

/** One file (the default), or several at once with `multiple`. */
type FileChoice = { readonly multiple?: false; readonly onFile: (file: File) => void } | { readonly multiple: true; readonly onFiles: (files: File[]) => void };

/**
 * A file picker that also accepts drag and drop: a real `<input type="file">` (focusable, visually
 * hidden) behind a labelled button, so it works from the keyboard and with screen readers.
 * Used by /verify (one file per zone) and /sign (`multiple`).
 */
export function FileDrop({
  label,
  buttonText,
  accept,
  file,
  primary = false,
  testId,
  children,
  ...choice
}: {
  /** What the file is, added to the button's accessible name, e.g. "Artifact file". */
  label: string;
  buttonText: string;
  accept?: string;
  /** The chosen file's name, shown once chosen. */
  file: string | undefined;
  /** The page's main action: the primary button style. */
  primary?: boolean;
  /** `data-testid` of the input, for end-to-end tests. */
  testId?: string;
  children?: ReactNode;
} & FileChoice) {
  const id = useId();
  const [dragging, setDragging] = useState(false);
  const deliver = (files: FileList | null | undefined) => {
    if (files === null || files === undefined || files.length === 0) return;
    if (choice.multiple === true) choice.onFiles(Array.from(files));
    else choice.onFile(files[0]!);
  };
  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setDragging(false);
    deliver(event.dataTransfer.files);
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
        multiple={choice.multiple === true}
        {...(accept !== undefined ? { accept } : {})}
        {...(testId !== undefined ? { "data-testid": testId } : {})}
        onChange={(event) => {
          deliver(event.currentTarget.files);
          // Choosing the same file again must fire change again.
          event.currentTarget.value = "";
        }}
      />
      {/* The visible text stays part of the accessible name (WCAG 2.5.3), with what the file is for. */}
      <label htmlFor={id} className={primary ? "btn" : "btn btn-secondary"}>
        {buttonText}
        <span className="visually-hidden"> ({label})</span>
      </label>
      <span className="muted small">
        {file !== undefined ? <span className="drop-zone-file">{file}</span> : choice.multiple === true ? "or drop them here" : "or drop a file here"}
      </span>
      {children}
    </div>
  );
}
