/**
 * C2SP signed notes: text followed by a blank line and `— <name> <base64(keyID ‖ sig)>` lines.
 * @see https://c2sp.org/signed-note
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { SignetCryptoError } from "../errors.ts";
import { bytesEqual, concatBytes, fromUtf8, utf8 } from "../encoding/bytes.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { fromBase64, toBase64 } from "../encoding/base64.ts";
import { fromHex, toHex } from "../encoding/hex.ts";

/** Signature type byte for Ed25519 note signatures (C2SP signed-note "Signature types"). */
export const SIGNATURE_TYPE_ED25519 = 0x01;
/** Signature type byte for ECDSA note signatures; key ID = SHA-256(SPKI)[:4] (C2SP signed-note). */
export const SIGNATURE_TYPE_ECDSA = 0x02;
/** Signature type byte for timestamped Ed25519 cosignatures (C2SP tlog-cosignature). */
export const SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04;

/** Most signature lines accepted in one note (the spec requires accepting at least 16). */
export const MAX_NOTE_SIGNATURES = 100;
/** Largest note accepted, in UTF-8 bytes (or UTF-16 code units for string input), checked first. */
export const MAX_NOTE_SIZE = 1 << 20;

const SIGNATURE_PREFIX = "\u2014 ";
const KEY_ID_SIZE = 4;

/** One signature line of a note, not yet verified. */
export interface NoteSignature {
  readonly name: string;
  /** The 4-byte key ID (big-endian uint32 on the wire). */
  readonly keyId: Bytes;
  /** Signature bytes after the key ID; their format depends on the key type. */
  readonly signature: Bytes;
}

/** A parsed signed note whose signatures have NOT been verified: treat `text` as untrusted. */
export interface SignedNote {
  /** The note text, including its final newline but not the separating blank line. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** A note after `verifySignedNote`: `verifiedBy` lists the known keys whose signatures verified. */
export interface VerifiedNote extends SignedNote {
  readonly verifiedBy: readonly NoteSignature[];
}

/** A trusted key. `verify` gets the UTF-8 note text and the signature bytes after the key ID. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: Bytes;
  verify(message: Bytes, signature: Bytes): Promise<boolean>;
}

/** A signing key. `sign` gets the UTF-8 note text and returns the bytes to put after the key ID. */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: Bytes;
  sign(message: Bytes): Promise<Bytes>;
}

function malformed(message: string, cause?: unknown): never {
  throw new SignetCryptoError("ERR_NOTE_MALFORMED", message, cause === undefined ? undefined : { cause });
}

// C0 controls other than newline; lone UTF-16 surrogates cannot be UTF-8 encoded at all.
// eslint-disable-next-line no-control-regex -- rejecting C0 controls is the point (C2SP signed-note "Format")
const FORBIDDEN_CHARS = /[\u0000-\u0009\u000b-\u001f]|\p{Cs}/u;
const NAME_FORBIDDEN = /[\s+]/u;

/** True when `name` is a valid note key name: non-empty, no Unicode spaces, no `+` (C2SP signed-note "Format"). */
export function isValidKeyName(name: unknown): name is string {
  return typeof name === "string" && name.length > 0 && !NAME_FORBIDDEN.test(name) && !FORBIDDEN_CHARS.test(name);
}

function checkNoteText(text: string, code: "ERR_NOTE_MALFORMED" | "ERR_NOTE_TEXT_INVALID"): void {
  if (text.length === 0 || !text.endsWith("\n")) throw new SignetCryptoError(code, "note text must be non-empty and end in a newline");
  if (FORBIDDEN_CHARS.test(text)) throw new SignetCryptoError(code, "note contains a control character or invalid UTF-16");
}

/**
 * Parse a signed note strictly (C2SP signed-note "Format"): valid UTF-8 without control characters
 * other than LF, split at the LAST blank line, 1..MAX_NOTE_SIGNATURES lines `— <name> <base64>`.
 * Throws ERR_NOTE_MALFORMED. Signatures are not checked: see `verifySignedNote`.
 */
export function parseSignedNote(input: string | Uint8Array): SignedNote {
  // attacker-controlled: size capped before decoding or scanning
  let note: string;
  if (input instanceof Uint8Array) {
    if (input.length > MAX_NOTE_SIZE) malformed("note is too large");
    try {
      note = fromUtf8(input);
    } catch (cause) {
      malformed("note is not valid UTF-8", cause);
    }
  } else if (typeof input === "string") {
    if (input.length > MAX_NOTE_SIZE) malformed("note is too large");
    note = input;
  } else {
    malformed("note must be a string or bytes");
  }
  checkNoteText(note, "ERR_NOTE_MALFORMED");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) malformed("note has no blank line before its signatures");
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block.length === 0) malformed("note has no signatures");
  const lines = block.slice(0, -1).split("\n");
  if (lines.length > MAX_NOTE_SIGNATURES) malformed(`note has more than ${MAX_NOTE_SIGNATURES} signatures`);
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX)) malformed("signature line does not start with an em dash and a space");
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(" ");
    if (space < 0) malformed("signature line has no signature");
    const name = rest.slice(0, space);
    const encoded = rest.slice(space + 1);
    if (!isValidKeyName(name)) malformed("invalid key name in signature line");
    let raw: Bytes;
    try {
      raw = fromBase64(encoded);
    } catch (cause) {
      malformed("signature is not valid base64", cause);
    }
    if (raw.length <= KEY_ID_SIZE) malformed("signature is too short");
    signatures.push({ name, keyId: raw.slice(0, KEY_ID_SIZE), signature: raw.slice(KEY_ID_SIZE) });
  }
  return { text, signatures };
}

/** Format a note from its text and signature lines (C2SP signed-note "Format"). */
export function formatSignedNote(note: SignedNote): string {
  checkNoteText(note.text, "ERR_NOTE_TEXT_INVALID");
  if (note.signatures.length === 0) throw new SignetCryptoError("ERR_NOTE_TEXT_INVALID", "a signed note needs at least one signature");
  let out = note.text + "\n";
  for (const s of note.signatures) {
    if (!isValidKeyName(s.name)) throw new SignetCryptoError("ERR_NOTE_KEY_INVALID", "invalid key name");
    if (s.keyId.length !== KEY_ID_SIZE || s.signature.length === 0) {
      throw new SignetCryptoError("ERR_NOTE_KEY_INVALID", "key ID must be 4 bytes and the signature non-empty");
    }
    out += `${SIGNATURE_PREFIX}${s.name} ${toBase64(concatBytes(s.keyId, s.signature))}\n`;
  }
  return out;
}

function sameKey(a: { name: string; keyId: Uint8Array }, b: { name: string; keyId: Uint8Array }): boolean {
  return a.name === b.name && bytesEqual(a.keyId, b.keyId);
}

/**
 * Verify a signed note against trusted keys (C2SP signed-note "Signatures"): a signature line is
 * matched on exact key name AND key ID; unknown keys are ignored; a known key whose signature
 * fails rejects the note (ERR_NOTE_SIGNATURE_INVALID); with no verified known key the note is
 * rejected (ERR_NOTE_UNVERIFIED). Returns the note with the keys that verified.
 */
export async function verifySignedNote(
  note: string | Uint8Array | SignedNote,
  verifiers: readonly NoteVerifier[],
): Promise<VerifiedNote> {
  const parsed = typeof note === "string" || note instanceof Uint8Array ? parseSignedNote(note) : note;
  // A pre-parsed note may have been built by hand: hold its text to the same rules.
  if (typeof parsed.text !== "string" || !Array.isArray(parsed.signatures)) malformed("note must be parsed with parseSignedNote");
  checkNoteText(parsed.text, "ERR_NOTE_MALFORMED");
  for (let i = 0; i < verifiers.length; i++) {
    for (let j = i + 1; j < verifiers.length; j++) {
      if (sameKey(verifiers[i]!, verifiers[j]!)) {
        throw new SignetCryptoError("ERR_NOTE_VERIFIER_AMBIGUOUS", `two verifiers share name and key ID (${verifiers[i]!.name})`);
      }
    }
  }
  const message = utf8(parsed.text);
  const checks: Promise<NoteSignature | undefined>[] = parsed.signatures.map(async (sig) => {
    const verifier = verifiers.find((v) => sameKey(v, sig));
    if (verifier === undefined) return undefined;
    let ok = false;
    try {
      ok = (await verifier.verify(message, sig.signature)) === true;
    } catch {
      ok = false; // fail closed: any exception in a verifier means "invalid"
    }
    if (!ok) throw new SignetCryptoError("ERR_NOTE_SIGNATURE_INVALID", `signature by known key ${sig.name} does not verify`);
    return sig;
  });
  const results = await Promise.all(checks);
  const verifiedBy: NoteSignature[] = [];
  for (const r of results) if (r !== undefined && !verifiedBy.some((v) => sameKey(v, r))) verifiedBy.push(r);
  if (verifiedBy.length === 0) throw new SignetCryptoError("ERR_NOTE_UNVERIFIED", "no signature from a known key");
  return { text: parsed.text, signatures: parsed.signatures, verifiedBy };
}

/** Sign note text with each signer and format the signed note (C2SP signed-note). */
export async function signNote(text: string, signers: readonly NoteSigner[]): Promise<string> {
  checkNoteText(text, "ERR_NOTE_TEXT_INVALID");
  const message = utf8(text);
  const signatures = await Promise.all(
    signers.map(async (s) => ({ name: s.name, keyId: s.keyId, signature: await s.sign(message) })),
  );
  return formatSignedNote({ text, signatures });
}

/**
 * Add signatures to an existing note, keeping its signature lines (a witness cosigning a checkpoint).
 * The existing signatures are not verified here.
 */
export async function addNoteSignatures(note: string | SignedNote, signers: readonly NoteSigner[]): Promise<string> {
  const parsed = typeof note === "string" ? parseSignedNote(note) : note;
  const message = utf8(parsed.text);
  const added = await Promise.all(
    signers.map(async (s) => ({ name: s.name, keyId: s.keyId, signature: await s.sign(message) })),
  );
  const signatures = [...parsed.signatures, ...added];
  if (signatures.length > MAX_NOTE_SIGNATURES) throw new SignetCryptoError("ERR_NOTE_TEXT_INVALID", "too many signatures");
  return formatSignedNote({ text: parsed.text, signatures });
}

// ---------------------------------------------------------------------------------------------
// Key IDs and verifier keys (vkeys)

function checkName(name: unknown): asserts name is string {
  if (!isValidKeyName(name)) throw new SignetCryptoError("ERR_NOTE_KEY_INVALID", "invalid key name");
}

/** Key ID = SHA-256(name ‖ 0x0A ‖ type ‖ publicKey)[:4] (C2SP signed-note "Signatures"). */
export function computeKeyId(name: string, type: number, publicKey: Uint8Array): Bytes {
  checkName(name);
  return (sha256(concatBytes(utf8(name), Uint8Array.of(0x0a, type), publicKey)) as Bytes).slice(0, KEY_ID_SIZE);
}

/** Key ID of an ECDSA (type 0x02) key and Rekor v1 key hint: SHA-256(SPKI DER)[:4] (C2SP signed-note). */
export function computeEcdsaKeyId(spki: Uint8Array): Bytes {
  return (sha256(spki) as Bytes).slice(0, KEY_ID_SIZE);
}

/** A parsed verifier key `<name>+<hex key ID>+<base64(type ‖ key)>`. */
export interface VerifierKey {
  readonly name: string;
  readonly keyId: Bytes;
  readonly type: number;
  /** Key material after the type byte: 32-byte Ed25519 key, or SPKI DER for ECDSA. */
  readonly publicKey: Bytes;
}

/** Parse a vkey (C2SP signed-note "Verifier keys"); for known types the key ID must match the key. */
export function parseVerifierKey(vkey: string): VerifierKey {
  // attacker-controlled (configuration may come from a log list)
  const bad = (message: string): never => {
    throw new SignetCryptoError("ERR_NOTE_VKEY_MALFORMED", message);
  };
  if (typeof vkey !== "string" || vkey.length > 16384) bad("vkey must be a string of reasonable length");
  // Split at the first two '+' only: the base64 key may itself contain '+'.
  const first = vkey.indexOf("+");
  const second = first < 0 ? -1 : vkey.indexOf("+", first + 1);
  if (second < 0) bad("vkey must be <name>+<key ID>+<key>");
  const name = vkey.slice(0, first);
  const idHex = vkey.slice(first + 1, second);
  const keyB64 = vkey.slice(second + 1);
  if (!isValidKeyName(name)) bad("invalid key name");
  if (!/^[0-9a-fA-F]{8}$/.test(idHex)) bad("key ID must be 8 hex digits");
  let material: Bytes;
  try {
    material = fromBase64(keyB64);
  } catch {
    return bad("key is not valid base64");
  }
  if (material.length < 2) bad("key is too short");
  const type = material[0]!;
  const publicKey = material.slice(1);
  const keyId = fromHex(idHex);
  const expected = expectedKeyId(name, type, publicKey);
  if (expected !== undefined && !bytesEqual(expected, keyId)) bad("key ID does not match the key");
  return { name, keyId, type, publicKey };
}

function expectedKeyId(name: string, type: number, publicKey: Bytes): Bytes | undefined {
  if (type === SIGNATURE_TYPE_ECDSA) return computeEcdsaKeyId(publicKey);
  if (type === SIGNATURE_TYPE_ED25519 || type === SIGNATURE_TYPE_COSIGNATURE_V1) return computeKeyId(name, type, publicKey);
  return undefined;
}

/** Format a vkey `<name>+<hex key ID>+<base64(type ‖ key)>`, deriving the key ID for known types. */
export function formatVerifierKey(key: { name: string; type: number; publicKey: Uint8Array; keyId?: Uint8Array }): string {
  checkName(key.name);
  const keyId = key.keyId ?? expectedKeyId(key.name, key.type, Uint8Array.from(key.publicKey) as Bytes);
  if (keyId === undefined || keyId.length !== KEY_ID_SIZE) throw new SignetCryptoError("ERR_NOTE_KEY_INVALID", "key ID needed for this key type");
  return `${key.name}+${toHex(keyId)}+${toBase64(concatBytes(Uint8Array.of(key.type), key.publicKey))}`;
}

// ---------------------------------------------------------------------------------------------
// Ed25519 (type 0x01) and ECDSA P-256 (type 0x02) verifiers and signers, over WebCrypto

async function importKey(format: "raw" | "spki", key: Uint8Array, algorithm: EcKeyImportParams | Algorithm): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey(format, Uint8Array.from(key), algorithm, false, ["verify"]);
  } catch (cause) {
    throw new SignetCryptoError("ERR_NOTE_KEY_INVALID", "public key cannot be imported", { cause });
  }
}

/** Ed25519 verifier for key name `name` and 32-byte public key (C2SP signed-note "Ed25519 signatures"). */
export async function createEd25519NoteVerifier(opts: { name: string; publicKey: Uint8Array }): Promise<NoteVerifier> {
  checkName(opts.name);
  if (opts.publicKey.length !== 32) throw new SignetCryptoError("ERR_NOTE_KEY_INVALID", "Ed25519 public key must be 32 bytes");
  const key = await importKey("raw", opts.publicKey, { name: "Ed25519" });
  return {
    name: opts.name,
    keyId: computeKeyId(opts.name, SIGNATURE_TYPE_ED25519, opts.publicKey),
    async verify(message, signature) {
      if (signature.length !== 64) return false;
      return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
    },
  };
}

/**
 * ECDSA P-256/SHA-256 verifier for an SPKI DER key; signatures are DER as Rekor v1 writes them and
 * the key ID is SHA-256(SPKI)[:4] (C2SP signed-note type 0x02; INTEROP §2 "v1 checkpoint").
 */
export async function createEcdsaNoteVerifier(opts: { name: string; spki: Uint8Array }): Promise<NoteVerifier> {
  checkName(opts.name);
  const key = await importKey("spki", opts.spki, { name: "ECDSA", namedCurve: "P-256" });
  return {
    name: opts.name,
    keyId: computeEcdsaKeyId(opts.spki),
    async verify(message, signature) {
      const raw = ecdsaDerToP1363(signature, 32);
      if (raw === undefined) return false;
      return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, raw, message);
    },
  };
}

/** Verifier from a vkey of type 0x01 (Ed25519) or 0x02 (ECDSA P-256). */
export async function createNoteVerifierFromVkey(vkey: string): Promise<NoteVerifier> {
  const k = parseVerifierKey(vkey);
  if (k.type === SIGNATURE_TYPE_ED25519) return createEd25519NoteVerifier({ name: k.name, publicKey: k.publicKey });
  if (k.type === SIGNATURE_TYPE_ECDSA) return createEcdsaNoteVerifier({ name: k.name, spki: k.publicKey });
  throw new SignetCryptoError("ERR_NOTE_VKEY_UNSUPPORTED", `unsupported vkey signature type 0x${k.type.toString(16)}`);
}

/** An injected signing operation (HSM, KMS, WebCrypto): message in, signature out. */
export type SignFunction = (message: Bytes) => Promise<Uint8Array>;

/** Ed25519 note signer; `sign` returns the 64-byte RFC 8032 signature over the note text. */
export function createEd25519NoteSigner(opts: { name: string; publicKey: Uint8Array; sign: SignFunction }): NoteSigner {
  checkName(opts.name);
  if (opts.publicKey.length !== 32) throw new SignetCryptoError("ERR_NOTE_KEY_INVALID", "Ed25519 public key must be 32 bytes");
  return {
    name: opts.name,
    keyId: computeKeyId(opts.name, SIGNATURE_TYPE_ED25519, opts.publicKey),
    async sign(message) {
      const sig = await opts.sign(message);
      if (sig.length !== 64) throw new SignetCryptoError("ERR_NOTE_SIGNER_FAILED", "Ed25519 signer returned a signature that is not 64 bytes");
      return Uint8Array.from(sig) as Bytes;
    },
  };
}

/**
 * ECDSA P-256 note signer (Rekor v1 checkpoint style): key ID = SHA-256(SPKI)[:4], note carries a
 * DER signature. `sign` must hash with SHA-256; it returns raw r‖s (WebCrypto, PKCS#11: the
 * default `"ieee-p1363"`) or DER (`signatureFormat: "der"`).
 */
export function createEcdsaNoteSigner(opts: {
  name: string;
  spki: Uint8Array;
  sign: SignFunction;
  signatureFormat?: "ieee-p1363" | "der";
}): NoteSigner {
  checkName(opts.name);
  const format = opts.signatureFormat ?? "ieee-p1363";
  return {
    name: opts.name,
    keyId: computeEcdsaKeyId(opts.spki),
    async sign(message) {
      const sig = await opts.sign(message);
      if (format === "der") {
        if (ecdsaDerToP1363(sig, 32) === undefined) throw new SignetCryptoError("ERR_NOTE_SIGNER_FAILED", "signer returned malformed DER");
        return Uint8Array.from(sig) as Bytes;
      }
      if (sig.length !== 64) throw new SignetCryptoError("ERR_NOTE_SIGNER_FAILED", "signer returned a raw signature that is not 64 bytes");
      return ecdsaP1363ToDer(sig);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// ECDSA signature encodings: WebCrypto speaks IEEE P1363 (r‖s), Rekor writes DER (RFC 3279 §2.2.3)

/** Strict DER `SEQUENCE { INTEGER r, INTEGER s }` → r‖s, or undefined when malformed. */
function ecdsaDerToP1363(der: Uint8Array, size: number): Bytes | undefined {
  // attacker-controlled: every length is checked against the buffer before use
  if (der.length < 8 || der.length > 2 + 2 * (3 + size + 1) || der[0] !== 0x30) return undefined;
  const seqLen = der[1]!;
  if (seqLen >= 0x80 || seqLen !== der.length - 2) return undefined;
  const out = new Uint8Array(2 * size);
  let offset = 2;
  for (let k = 0; k < 2; k++) {
    if (offset + 2 > der.length || der[offset] !== 0x02) return undefined;
    const len = der[offset + 1]!;
    offset += 2;
    if (len === 0 || len >= 0x80 || offset + len > der.length) return undefined;
    let value = der.subarray(offset, offset + len);
    offset += len;
    if ((value[0]! & 0x80) !== 0) return undefined; // negative
    if (value[0] === 0 && value.length > 1) {
      if ((value[1]! & 0x80) === 0) return undefined; // non-minimal
      value = value.subarray(1);
    }
    if (value.length > size) return undefined;
    out.set(value, (k + 1) * size - value.length);
  }
  return offset === der.length ? (out as Bytes) : undefined;
}

/** r‖s → DER `SEQUENCE { INTEGER r, INTEGER s }`. */
function ecdsaP1363ToDer(raw: Uint8Array): Bytes {
  const half = raw.length / 2;
  const int = (v: Uint8Array): Uint8Array => {
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    const body = v.subarray(i);
    const pad = (body[0]! & 0x80) !== 0 ? 1 : 0;
    const out = new Uint8Array(2 + pad + body.length);
    out[0] = 0x02;
    out[1] = pad + body.length;
    out.set(body, 2 + pad);
    return out;
  };
  const r = int(raw.subarray(0, half));
  const s = int(raw.subarray(half));
  return concatBytes(Uint8Array.of(0x30, r.length + s.length), r, s);
}
