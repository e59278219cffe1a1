/**
 * The log's signatures, all made by the HSM through the small Signer interface and each verified
 * against the published public key before it is used (SECURITY.md B6): checkpoints (C2SP signed
 * notes with an ECDSA P-256 key, Rekor v1 style: key ID = SHA-256(SPKI)[:4], DER signature) and
 * signed entry timestamps (SETs).
 */
import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import { parseCheckpoint, signCheckpoint } from "@signet/crypto/checkpoint/checkpoint";
import { createEcdsaNoteSigner, createEcdsaNoteVerifier, parseSignedNote, type NoteVerifier } from "@signet/crypto/note/signed-note";
import { canonicalize } from "@signet/crypto/json/canonical";
import { asBuffer } from "../../bytes.ts";

/**
 * What the log needs from a key holder: the HSM sidecar's Signer, which verifies each signature
 * against the key (pinned from the key ceremony) before returning it.
 */
export interface LogSigner {
  /** SPKI DER of the signing key. */
  publicKey(): Promise<Uint8Array>;
  /** DER ECDSA-SHA256 signature over `data`, already verified under publicKey(). */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export class SignatureSelfCheckError extends Error {
  override name = "SignatureSelfCheckError";
}

export interface LogKeys {
  origin: string;
  spki: Buffer;
  /** SHA-256 of the SPKI DER: Rekor's log ID. */
  logId: Buffer;
  noteVerifier: NoteVerifier;
  signCheckpoint(size: bigint, rootHash: Uint8Array): Promise<string>;
  signEntryTimestamp(entry: { body: Uint8Array; integratedTime: bigint; logIndex: bigint }): Promise<Buffer>;
  verifyEntryTimestamp(entry: { body: Uint8Array; integratedTime: bigint; logIndex: bigint }, set: Uint8Array): boolean;
}

/**
 * The canonical SET payload (INTEROP.md: numbers, hex log ID, base64 body). Its RFC 8785 form is
 * written out directly: the keys are already in canonical order, base64 and hex need no escaping, and
 * a safe integer's canonical form is its decimal digits (a unit test holds it to canonicalize's
 * output). One per appended entry, so the generic canonicalizer's object walk and sort are skipped.
 */
export function setPayload(logIdHex: string, entry: { body: Uint8Array; integratedTime: bigint; logIndex: bigint }): Buffer {
  const body = asBuffer(entry.body).toString("base64");
  const integratedTime = Number(entry.integratedTime);
  const logIndex = Number(entry.logIndex);
  if (!Number.isSafeInteger(integratedTime) || !Number.isSafeInteger(logIndex) || !/^[0-9a-f]*$/.test(logIdHex)) {
    return Buffer.from(canonicalize({ body, integratedTime, logID: logIdHex, logIndex }));
  }
  return Buffer.from(`{"body":"${body}","integratedTime":${integratedTime},"logID":"${logIdHex}","logIndex":${logIndex}}`);
}

/**
 * The log's keys over `signer`. Every checkpoint signature is verified here against the published key
 * (so `signer` need not check its own). `entrySigner` (same key) signs the SETs when given, and must
 * return only signatures it verified itself: the api's verifies them on worker threads, which suits the
 * many SETs but would delay the one checkpoint signature on a batch's critical path behind them.
 * Without it, `signer` signs the SETs too and each is verified here before it is used.
 */
export async function createLogKeys(origin: string, signer: LogSigner, entrySigner?: LogSigner): Promise<LogKeys> {
  const spki = Buffer.from(await signer.publicKey());
  const key: KeyObject = createPublicKey({ key: spki, format: "der", type: "spki" });
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new Error("the log key must be an ECDSA P-256 key");
  }
  const logId = createHash("sha256").update(spki).digest();
  const logIdHex = logId.toString("hex");
  const noteSigner = createEcdsaNoteSigner({ name: origin, spki, sign: (m) => signer.sign(m), signatureFormat: "der" });
  const noteVerifier = await createEcdsaNoteVerifier({ name: origin, spki });
  const verifySet = (payload: Uint8Array, set: Uint8Array) => verify("sha256", payload, key, set);

  return {
    origin,
    spki,
    logId,
    noteVerifier,
    async signCheckpoint(size, rootHash) {
      const note = await signCheckpoint({ origin, size, rootHash }, [noteSigner]);
      // Synchronous self-check (the asynchronous WebCrypto verification cost an event-loop turn on every
      // batch's critical path): the note must be this checkpoint, with one signature line, by this key,
      // verifying over the note's text.
      try {
        const parsed = parseSignedNote(note);
        const checkpoint = parseCheckpoint(parsed.text);
        const [sig, ...others] = parsed.signatures;
        if (checkpoint.origin !== origin || checkpoint.size !== size || !Buffer.from(checkpoint.rootHash).equals(Buffer.from(rootHash))) throw new Error("content differs");
        if (!sig || others.length > 0 || sig.name !== origin || !Buffer.from(sig.keyId).equals(Buffer.from(noteSigner.keyId))) throw new Error("unexpected signature lines");
        if (!verify("sha256", Buffer.from(parsed.text, "utf8"), { key, dsaEncoding: "der" }, sig.signature)) throw new Error("signature does not verify");
      } catch (e) {
        throw new SignatureSelfCheckError(`the HSM's checkpoint signature does not verify with the published log key: ${(e as Error).message}`);
      }
      return note;
    },
    async signEntryTimestamp(entry) {
      const payload = setPayload(logIdHex, entry);
      // A separate entry signer verifies every signature against the pinned log key before returning it
      // (SECURITY.md B6; createHsmSigner with its worker-pool check); verifying again here cost ~6% of the
      // api's CPU per append. The checkpoint signer is not trusted to have checked: verify here.
      if (entrySigner !== undefined) return Buffer.from(await entrySigner.sign(payload));
      const set = Buffer.from(await signer.sign(payload));
      if (!verifySet(payload, set)) {
        throw new SignatureSelfCheckError("the HSM's entry timestamp signature does not verify with the published log key");
      }
      return set;
    },
    verifyEntryTimestamp(entry, set) {
      return verifySet(setPayload(logIdHex, entry), set);
    },
  };
}
