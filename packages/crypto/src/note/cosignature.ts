/**
 * C2SP tlog-cosignature v1 (Ed25519, signature type 0x04): a witness's timestamped signature over
 * `cosignature/v1\ntime <unix>\n` ‖ checkpoint note text; the note carries u64 time ‖ 64-byte sig.
 * @see https://c2sp.org/tlog-cosignature
 */
import { SignetCryptoError } from "../errors.ts";
import { concatBytes, utf8 } from "../encoding/bytes.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { SIGNATURE_TYPE_COSIGNATURE_V1, computeKeyId, isValidKeyName, parseVerifierKey } from "./signed-note.ts";
import type { NoteSignature, NoteSigner, NoteVerifier, SignFunction } from "./signed-note.ts";

/** Largest cosignature timestamp allowed by the spec (2^63 − 1). */
export const MAX_COSIGNATURE_TIME = (1n << 63n) - 1n;

const COSIGNATURE_SIZE = 8 + 64;

/** The exact bytes an Ed25519 cosigner signs (C2SP tlog-cosignature "Ed25519 signed message"). */
export function cosignatureMessage(time: bigint, checkpointText: Uint8Array | string): Bytes {
  if (typeof time !== "bigint" || time < 0n || time > MAX_COSIGNATURE_TIME) {
    throw new SignetCryptoError("ERR_COSIGNATURE_TIME_INVALID", "cosignature time must be in [0, 2^63)");
  }
  const body = typeof checkpointText === "string" ? utf8(checkpointText) : checkpointText;
  return concatBytes(utf8(`cosignature/v1\ntime ${time}\n`), body);
}

/** Timestamp (POSIX seconds) of a cosignature's signature bytes; throws ERR_COSIGNATURE_MALFORMED. */
export function cosignatureTime(signature: Uint8Array | NoteSignature): bigint {
  const sig = signature instanceof Uint8Array ? signature : signature.signature;
  if (sig.length !== COSIGNATURE_SIZE) throw new SignetCryptoError("ERR_COSIGNATURE_MALFORMED", "cosignature must be 72 bytes");
  const time = new DataView(sig.buffer, sig.byteOffset, sig.byteLength).getBigUint64(0, false);
  if (time > MAX_COSIGNATURE_TIME) throw new SignetCryptoError("ERR_COSIGNATURE_MALFORMED", "cosignature time exceeds 2^63-1");
  return time;
}

/**
 * Verifier for an Ed25519 cosigner, given (name, 32-byte key) or a type-0x04 vkey. Use it with
 * `verifySignedNote`/`verifyCheckpoint` next to the log's verifier; read the time with
 * `cosignatureTime`. `maxTime` (POSIX seconds) rejects cosignatures from the future.
 */
export async function createCosignatureVerifier(
  opts: { name: string; publicKey: Uint8Array; maxTime?: bigint } | { vkey: string; maxTime?: bigint },
): Promise<NoteVerifier> {
  let name: string;
  let publicKey: Uint8Array;
  if ("vkey" in opts) {
    const k = parseVerifierKey(opts.vkey);
    if (k.type !== SIGNATURE_TYPE_COSIGNATURE_V1) throw new SignetCryptoError("ERR_NOTE_VKEY_UNSUPPORTED", "not a cosignature/v1 vkey");
    ({ name, publicKey } = k);
  } else {
    ({ name, publicKey } = opts);
  }
  if (!isValidKeyName(name)) throw new SignetCryptoError("ERR_NOTE_KEY_INVALID", "invalid key name");
  if (publicKey.length !== 32) throw new SignetCryptoError("ERR_NOTE_KEY_INVALID", "Ed25519 public key must be 32 bytes");
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("raw", Uint8Array.from(publicKey), { name: "Ed25519" }, false, ["verify"]);
  } catch (cause) {
    throw new SignetCryptoError("ERR_NOTE_KEY_INVALID", "public key cannot be imported", { cause });
  }
  const maxTime = opts.maxTime;
  return {
    name,
    keyId: computeKeyId(name, SIGNATURE_TYPE_COSIGNATURE_V1, publicKey),
    async verify(message, signature) {
      // attacker-controlled: length checked before slicing
      if (signature.length !== COSIGNATURE_SIZE) return false;
      const time = cosignatureTime(signature);
      if (maxTime !== undefined && time > maxTime) return false;
      return crypto.subtle.verify({ name: "Ed25519" }, key, signature.subarray(8), cosignatureMessage(time, message));
    },
  };
}

/**
 * Ed25519 cosigner as a note signer: `sign` is the injected Ed25519 operation, `now` returns POSIX
 * seconds (injected so tests and HSM-backed witnesses control the clock).
 */
export function createCosignatureSigner(opts: {
  name: string;
  publicKey: Uint8Array;
  sign: SignFunction;
  now?: () => bigint;
}): NoteSigner {
  if (!isValidKeyName(opts.name)) throw new SignetCryptoError("ERR_NOTE_KEY_INVALID", "invalid key name");
  if (opts.publicKey.length !== 32) throw new SignetCryptoError("ERR_NOTE_KEY_INVALID", "Ed25519 public key must be 32 bytes");
  const now = opts.now ?? (() => BigInt(Math.floor(Date.now() / 1000)));
  return {
    name: opts.name,
    keyId: computeKeyId(opts.name, SIGNATURE_TYPE_COSIGNATURE_V1, opts.publicKey),
    async sign(message) {
      const time = now();
      const sig = await opts.sign(cosignatureMessage(time, message));
      if (sig.length !== 64) throw new SignetCryptoError("ERR_NOTE_SIGNER_FAILED", "Ed25519 signer returned a signature that is not 64 bytes");
      const out = new Uint8Array(COSIGNATURE_SIZE);
      new DataView(out.buffer).setBigUint64(0, time, false);
      out.set(sig, 8);
      return out as Bytes;
    },
  };
}
