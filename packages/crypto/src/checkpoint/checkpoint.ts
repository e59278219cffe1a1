/**
 * C2SP tlog-checkpoint: the note text `<origin>\n<size>\n<base64 root>\n[<extension>\n]*`.
 * @see https://c2sp.org/tlog-checkpoint
 */
import { SignetCryptoError } from "../errors.ts";
import { fromBase64, toBase64 } from "../encoding/base64.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { HASH_SIZE } from "../merkle/rfc6962.ts";
import { signNote, verifySignedNote } from "../note/signed-note.ts";
import type { NoteSigner, NoteVerifier, SignedNote, VerifiedNote } from "../note/signed-note.ts";

/** Largest tree size a checkpoint may carry: int64, as Sigstore's protobuf JSON encodes sizes. */
export const MAX_CHECKPOINT_SIZE = (1n << 63n) - 1n;
/** Most extension lines accepted (they are discouraged by the spec; Rekor v1 used one). */
export const MAX_CHECKPOINT_EXTENSIONS = 16;

/** A checkpoint body. Parsed from unverified text, it proves nothing until its note is verified. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: bigint;
  readonly rootHash: Bytes;
  readonly extensions: readonly string[];
}

function malformed(message: string, cause?: unknown): never {
  throw new SignetCryptoError("ERR_CHECKPOINT_MALFORMED", message, cause === undefined ? undefined : { cause });
}

/** Strict decimal uint parse: no sign, no leading zeros, no whitespace, at most `max`. */
function parseSize(text: string): bigint {
  // attacker-controlled: digit count checked before BigInt
  if (!/^(0|[1-9][0-9]{0,18})$/.test(text)) malformed("tree size must be a decimal number without sign or leading zeros");
  const size = BigInt(text);
  if (size > MAX_CHECKPOINT_SIZE) malformed("tree size exceeds 2^63-1");
  return size;
}

/**
 * Parse the note text of a checkpoint strictly (C2SP tlog-checkpoint "Note text", SECURITY.md E5):
 * non-empty origin, canonical decimal size, base64 root of exactly 32 bytes, non-empty extension
 * lines, LF only, final newline. Pass the text of a verified note (`verifySignedNote(...).text`),
 * or use `verifyCheckpoint`. Throws ERR_CHECKPOINT_MALFORMED.
 */
export function parseCheckpoint(noteText: string): Checkpoint {
  // attacker-controlled
  if (typeof noteText !== "string") malformed("checkpoint must be a string");
  if (noteText.length > 65536) malformed("checkpoint is too large");
  if (!noteText.endsWith("\n")) malformed("checkpoint must end with a newline");
  if (noteText.includes("\r")) malformed("checkpoint must not contain CR");
  const lines = noteText.slice(0, -1).split("\n");
  if (lines.includes("")) {
    malformed(
      noteText.includes("\n\n\u2014 ")
        ? "this is a whole signed note: pass its verified text (verifyCheckpoint / verifySignedNote)"
        : "checkpoint has an empty line",
    );
  }
  if (lines.length < 3) malformed("checkpoint needs origin, size and root hash lines");
  if (lines.length - 3 > MAX_CHECKPOINT_EXTENSIONS) malformed("too many extension lines");
  const [origin, sizeText, rootText] = lines as [string, string, string];
  // eslint-disable-next-line no-control-regex -- rejecting C0 controls is the point (C2SP signed-note "Format")
  if (/[\u0000-\u0009\u000b-\u001f]/.test(noteText)) malformed("checkpoint contains a control character");
  const size = parseSize(sizeText);
  let rootHash: Bytes;
  try {
    rootHash = fromBase64(rootText);
  } catch (cause) {
    malformed("root hash is not valid base64", cause);
  }
  if (rootHash.length !== HASH_SIZE) malformed(`root hash must be ${HASH_SIZE} bytes`);
  return { origin, size, rootHash, extensions: lines.slice(3) };
}

/** Format a checkpoint body (C2SP tlog-checkpoint "Note text"); validates like `parseCheckpoint`. */
export function formatCheckpoint(checkpoint: {
  origin: string;
  size: bigint;
  rootHash: Uint8Array;
  extensions?: readonly string[];
}): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  const text = [origin, typeof size === "bigint" ? size.toString() : "?", toBase64(rootHash), ...extensions].join("\n") + "\n";
  try {
    const parsed = parseCheckpoint(text);
    // A newline inside a field would silently shift the others: the round trip must be exact.
    if (parsed.origin !== origin || parsed.extensions.length !== extensions.length) throw new Error("field contains a newline");
  } catch (cause) {
    throw new SignetCryptoError("ERR_CHECKPOINT_INVALID_INPUT", "checkpoint fields are not representable", { cause });
  }
  return text;
}

/** Format and sign a checkpoint into a signed note (C2SP tlog-checkpoint "Signatures"). */
export async function signCheckpoint(
  checkpoint: Parameters<typeof formatCheckpoint>[0],
  signers: readonly NoteSigner[],
): Promise<string> {
  return signNote(formatCheckpoint(checkpoint), signers);
}

/** A checkpoint whose signed note verified against at least one trusted key. */
export interface VerifiedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly note: VerifiedNote;
}

/**
 * Verify a signed checkpoint: signed note against `verifiers` (C2SP signed-note rules), then the
 * strict body parse, then optionally the expected origin (ERR_CHECKPOINT_ORIGIN_MISMATCH).
 */
export async function verifyCheckpoint(
  note: string | Uint8Array | SignedNote,
  verifiers: readonly NoteVerifier[],
  options: { origin?: string } = {},
): Promise<VerifiedCheckpoint> {
  const verified = await verifySignedNote(note, verifiers);
  const checkpoint = parseCheckpoint(verified.text);
  if (options.origin !== undefined && checkpoint.origin !== options.origin) {
    throw new SignetCryptoError("ERR_CHECKPOINT_ORIGIN_MISMATCH", "checkpoint origin is not the expected log");
  }
  return { checkpoint, note: verified };
}
