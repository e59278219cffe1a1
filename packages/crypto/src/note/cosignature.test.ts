import { describe, expect, it } from "vitest";
import { fromUtf8 } from "../encoding/bytes.ts";
import { createEd25519NoteSigner, createEd25519NoteVerifier, formatVerifierKey, parseSignedNote, signNote, addNoteSignatures, verifySignedNote } from "./signed-note.ts";
import { cosignatureMessage, cosignatureTime, createCosignatureSigner, createCosignatureVerifier } from "./cosignature.ts";

const code = (c: string) => expect.objectContaining({ code: c });
const CHECKPOINT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

async function keyPair() {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const sign = async (m: Uint8Array<ArrayBuffer>) => new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, m));
  return { publicKey, sign };
}

describe("cosignature/v1", () => {
  it("signs the exact message of the spec example", () => {
    expect(fromUtf8(cosignatureMessage(1679315147n, CHECKPOINT))).toBe(
      "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
    );
    expect(() => cosignatureMessage(1n << 63n, CHECKPOINT)).toThrow(code("ERR_COSIGNATURE_TIME_INVALID"));
    expect(() => cosignatureMessage(-1n, CHECKPOINT)).toThrow(code("ERR_COSIGNATURE_TIME_INVALID"));
  });

  it("round-trips a witness cosignature added to a log-signed checkpoint", async () => {
    const log = await keyPair();
    const witness = await keyPair();
    const logSigner = createEd25519NoteSigner({ name: "example.com/behind-the-sofa", publicKey: log.publicKey, sign: log.sign });
    const cosigner = createCosignatureSigner({ name: "witness.example/w1", publicKey: witness.publicKey, sign: witness.sign, now: () => 1679315147n });
    const logNote = await signNote(CHECKPOINT, [logSigner]);
    const cosigned = await addNoteSignatures(logNote, [cosigner]);
    const sig = parseSignedNote(cosigned).signatures[1]!;
    expect(sig.signature).toHaveLength(72);
    expect(cosignatureTime(sig)).toBe(1679315147n);

    const logVerifier = await createEd25519NoteVerifier({ name: "example.com/behind-the-sofa", publicKey: log.publicKey });
    const vkey = formatVerifierKey({ name: "witness.example/w1", type: 0x04, publicKey: witness.publicKey });
    const witnessVerifier = await createCosignatureVerifier({ vkey });
    const verified = await verifySignedNote(cosigned, [logVerifier, witnessVerifier]);
    expect(verified.verifiedBy.map((s) => s.name)).toEqual(["example.com/behind-the-sofa", "witness.example/w1"]);
  });

  it("rejects a cosignature whose timestamp was altered, or that is from the future", async () => {
    const witness = await keyPair();
    const cosigner = createCosignatureSigner({ name: "w", publicKey: witness.publicKey, sign: witness.sign, now: () => 1000n });
    const note = parseSignedNote(await signNote(CHECKPOINT, [cosigner]));
    const verifier = await createCosignatureVerifier({ name: "w", publicKey: witness.publicKey });
    await verifySignedNote(note, [verifier]);
    const altered = Uint8Array.from(note.signatures[0]!.signature);
    altered[7] = altered[7]! ^ 1;
    await expect(verifySignedNote({ text: note.text, signatures: [{ ...note.signatures[0]!, signature: altered }] }, [verifier])).rejects.toThrow(
      code("ERR_NOTE_SIGNATURE_INVALID"),
    );
    const strict = await createCosignatureVerifier({ name: "w", publicKey: witness.publicKey, maxTime: 999n });
    await expect(verifySignedNote(note, [strict])).rejects.toThrow(code("ERR_NOTE_SIGNATURE_INVALID"));
  });

  it("is not interchangeable with a plain Ed25519 signature by the same key (type byte in the key ID)", async () => {
    const k = await keyPair();
    const plain = createEd25519NoteSigner({ name: "w", publicKey: k.publicKey, sign: k.sign });
    const cosignatureVerifier = await createCosignatureVerifier({ name: "w", publicKey: k.publicKey });
    await expect(verifySignedNote(await signNote(CHECKPOINT, [plain]), [cosignatureVerifier])).rejects.toThrow(code("ERR_NOTE_UNVERIFIED"));
  });

  it("rejects malformed cosignature bytes and keys", async () => {
    expect(() => cosignatureTime(new Uint8Array(71))).toThrow(code("ERR_COSIGNATURE_MALFORMED"));
    expect(() => cosignatureTime(new Uint8Array(72).fill(0xff))).toThrow(code("ERR_COSIGNATURE_MALFORMED"));
    await expect(createCosignatureVerifier({ name: "w", publicKey: new Uint8Array(31) })).rejects.toThrow(code("ERR_NOTE_KEY_INVALID"));
    const k = await keyPair();
    const ed = formatVerifierKey({ name: "w", type: 0x01, publicKey: k.publicKey });
    await expect(createCosignatureVerifier({ vkey: ed })).rejects.toThrow(code("ERR_NOTE_VKEY_UNSUPPORTED"));
  });
});
