import { verify as nodeVerify, createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromBase64, toBase64 } from "../encoding/base64.ts";
import { concatBytes, utf8 } from "../encoding/bytes.ts";
import { toHex } from "../encoding/hex.ts";
import {
  MAX_NOTE_SIGNATURES,
  addNoteSignatures,
  computeEcdsaKeyId,
  computeKeyId,
  createEcdsaNoteSigner,
  createEcdsaNoteVerifier,
  createEd25519NoteSigner,
  createEd25519NoteVerifier,
  createNoteVerifierFromVkey,
  formatVerifierKey,
  parseSignedNote,
  parseVerifierKey,
  signNote,
  verifySignedNote,
} from "./signed-note.ts";
import type { NoteVerifier } from "./signed-note.ts";

const VECTORS = new URL("../../../../../shared/vectors/", import.meta.url);
const readJson = (path: string) => JSON.parse(readFileSync(new URL(path, VECTORS), "utf8"));
const code = (c: string) => expect.objectContaining({ code: c });

async function ed25519Key(name: string) {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const sign = async (m: Uint8Array<ArrayBuffer>) => new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, m));
  return {
    publicKey,
    signer: createEd25519NoteSigner({ name, publicKey, sign }),
    verifier: await createEd25519NoteVerifier({ name, publicKey }),
  };
}

async function ecdsaKey(name: string) {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  const sign = async (m: Uint8Array<ArrayBuffer>) =>
    new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, m));
  return { spki, signer: createEcdsaNoteSigner({ name, spki, sign }), verifier: await createEcdsaNoteVerifier({ name, spki }) };
}

describe("known answers from other implementations", () => {
  it("verifies the golang.org/x/mod/sumdb/note example (Ed25519)", async () => {
    // From golang.org/x/mod/sumdb/note example_test.go.
    const vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const note =
      "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n" +
      "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const verified = await verifySignedNote(note, [await createNoteVerifierFromVkey(vkey)]);
    expect(verified.text.startsWith("If you think")).toBe(true);
    expect(verified.verifiedBy.map((s) => s.name)).toEqual(["PeterNeumann"]);
    const tampered = note.replace("problem,", "problem;");
    await expect(verifySignedNote(tampered, [await createNoteVerifierFromVkey(vkey)])).rejects.toThrow(code("ERR_NOTE_SIGNATURE_INVALID"));
  });

  it("verifies a Rekor v1 checkpoint (ECDSA P-256, DER, key hint = SHA-256(SPKI)[:4])", async () => {
    const bundle = readJson("sigstore-conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json");
    const root = readJson("trusted-roots/public-good-production.trusted_root.json");
    const tlog = root.tlogs.find((t: { baseUrl: string }) => t.baseUrl === "https://rekor.sigstore.dev");
    const spki = fromBase64(tlog.publicKey.rawBytes);
    expect(toBase64(computeEcdsaKeyId(spki))).toBe(toBase64(fromBase64(tlog.logId.keyId).slice(0, 4)));
    const verifier = await createEcdsaNoteVerifier({ name: "rekor.sigstore.dev", spki });
    const envelope: string = bundle.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope;
    const verified = await verifySignedNote(envelope, [verifier]);
    expect(verified.text).toBe("rekor.sigstore.dev - 2605736670972794746\n75408393\nFnnj13Uu1jdksPc4HZLapKX329dVlD5+MGNsiqBq1XM=\n");
  });

  it("verifies a Rekor v2 checkpoint (Ed25519) and ignores unknown witness cosignatures", async () => {
    const root = readJson("sigstore-conformance/bundle-verify/rekor2-happy-path/trusted_root.json");
    const tlog = root.tlogs.find((t: { publicKey: { keyDetails: string } }) => t.publicKey.keyDetails === "PKIX_ED25519");
    const publicKey = fromBase64(tlog.publicKey.rawBytes).slice(-32); // SPKI DER: 12-byte prefix + raw key
    const name = "log2025-alpha1.rekor.sigstage.dev";
    // Rekor v2 logId.keyId is the full C2SP key ID: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key).
    expect(toBase64(computeKeyId(name, 0x01, publicKey))).toBe(toBase64(fromBase64(tlog.logId.keyId).slice(0, 4)));
    const verifier = await createEd25519NoteVerifier({ name, publicKey });
    for (const c of ["rekor2-happy-path", "rekor2-checkpoint-cosigned", "rekor2-checkpoint-multiple-cosigs", "rekor2-checkpoint-origin-not-first"]) {
      const bundle = readJson(`sigstore-conformance/bundle-verify/${c}/bundle.sigstore.json`);
      const envelope: string = bundle.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope;
      const verified = await verifySignedNote(envelope, [verifier]);
      expect(verified.verifiedBy.map((s) => s.name)).toEqual([name]);
    }
    const none = readJson("sigstore-conformance/bundle-verify/rekor2-checkpoint-no-matching-signature_fail/bundle.sigstore.json");
    await expect(
      verifySignedNote(none.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope, [verifier]),
    ).rejects.toThrow(expect.objectContaining({ code: expect.stringMatching(/^ERR_NOTE_/) }));
  });
});

describe("sign and verify", () => {
  it("round-trips Ed25519 and ECDSA signatures in one note, in either order", async () => {
    const ed = await ed25519Key("example.com/log");
    const ec = await ecdsaKey("example.com/log-ecdsa");
    const note = await signNote("example.com/log\n3\nAAAA\n", [ed.signer, ec.signer]);
    expect((await verifySignedNote(note, [ed.verifier])).verifiedBy).toHaveLength(1);
    expect((await verifySignedNote(note, [ec.verifier])).verifiedBy).toHaveLength(1);
    expect((await verifySignedNote(note, [ec.verifier, ed.verifier])).verifiedBy).toHaveLength(2);
    // The log signature need not be first (SECURITY.md E6).
    const swapped = await signNote("example.com/log\n3\nAAAA\n", [ec.signer, ed.signer]);
    expect((await verifySignedNote(swapped, [ed.verifier])).verifiedBy[0]!.name).toBe("example.com/log");
  });

  it("writes DER ECDSA signatures that node:crypto accepts (Rekor v1 format)", async () => {
    const ec = await ecdsaKey("rekor.example");
    const note = await signNote("hello\n", [ec.signer]);
    const sig = parseSignedNote(note).signatures[0]!;
    expect(sig.signature[0]).toBe(0x30);
    const key = createPublicKey({ key: Buffer.from(ec.spki), format: "der", type: "spki" });
    expect(nodeVerify("sha256", utf8("hello\n"), { key, dsaEncoding: "der" }, sig.signature)).toBe(true);
  });

  it("rejects the note when a known key's signature fails", async () => {
    const ed = await ed25519Key("log");
    const note = await signNote("text\n", [ed.signer]);
    const other = await ed25519Key("log"); // same name, different key: different key ID, so unknown
    await expect(verifySignedNote(note, [other.verifier])).rejects.toThrow(code("ERR_NOTE_UNVERIFIED"));
    // Same name and key ID but another key: a known key whose signature does not verify.
    const impostor: NoteVerifier = { ...other.verifier, keyId: ed.verifier.keyId };
    await expect(verifySignedNote(note, [impostor])).rejects.toThrow(code("ERR_NOTE_SIGNATURE_INVALID"));
    // One good and one bad known signature: the whole note is rejected.
    const parsed = parseSignedNote(note);
    const bad = { ...parsed.signatures[0]!, signature: parsed.signatures[0]!.signature.map((b, i) => (i === 0 ? b ^ 1 : b)) };
    const twoSigs = { text: parsed.text, signatures: [parsed.signatures[0]!, bad] };
    await expect(verifySignedNote(twoSigs, [ed.verifier])).rejects.toThrow(code("ERR_NOTE_SIGNATURE_INVALID"));
  });

  it("matches on exact name and key ID, literally (no regex, no prefix)", async () => {
    const ed = await ed25519Key("rekor.sigstore.dev");
    const note = await signNote("text\n", [ed.signer]);
    for (const name of [".*", "rekor.sigstore", "rekor.sigstore.dev2", "REKOR.sigstore.dev", "rekor\u2024sigstore.dev"]) {
      const v: NoteVerifier = { ...ed.verifier, name };
      await expect(verifySignedNote(note, [v])).rejects.toThrow(code("ERR_NOTE_UNVERIFIED"));
    }
  });

  it("ignores up to 99 unknown signatures next to the known one", async () => {
    const ed = await ed25519Key("log");
    const parsed = parseSignedNote(await signNote("text\n", [ed.signer]));
    const unknown = Array.from({ length: MAX_NOTE_SIGNATURES - 1 }, (_, i) => ({
      name: `witness${i}`,
      keyId: Uint8Array.of(1, 2, 3, i),
      signature: new Uint8Array(64),
    }));
    const note = await addNoteSignatures({ text: parsed.text, signatures: [...unknown, parsed.signatures[0]!] }, []);
    expect((await verifySignedNote(note, [ed.verifier])).verifiedBy).toHaveLength(1);
  });

  it("treats a throwing verifier as a failed signature (fail closed)", async () => {
    const ed = await ed25519Key("log");
    const note = await signNote("text\n", [ed.signer]);
    const throwing: NoteVerifier = { ...ed.verifier, verify: async () => Promise.reject(new Error("boom")) };
    await expect(verifySignedNote(note, [throwing])).rejects.toThrow(code("ERR_NOTE_SIGNATURE_INVALID"));
  });

  it("refuses ambiguous verifier sets", async () => {
    const ed = await ed25519Key("log");
    const note = await signNote("text\n", [ed.signer]);
    await expect(verifySignedNote(note, [ed.verifier, { ...ed.verifier }])).rejects.toThrow(code("ERR_NOTE_VERIFIER_AMBIGUOUS"));
  });

  it("rejects malformed DER and raw r‖s in ECDSA note signatures", async () => {
    const ec = await ecdsaKey("log");
    const parsed = parseSignedNote(await signNote("text\n", [ec.signer]));
    const der = parsed.signatures[0]!.signature;
    const variants = [
      new Uint8Array(64), // raw r‖s, not DER
      concatBytes(der, Uint8Array.of(0)), // trailing byte
      der.slice(0, der.length - 1), // truncated
      Uint8Array.from([0x30, 0x81, der.length - 2, ...der.slice(2)]), // long-form length
    ];
    for (const signature of variants) {
      const note = { text: parsed.text, signatures: [{ ...parsed.signatures[0]!, signature }] };
      await expect(verifySignedNote(note, [ec.verifier])).rejects.toThrow(code("ERR_NOTE_SIGNATURE_INVALID"));
    }
  });

  it("validates signer output and note text", async () => {
    const bad = createEd25519NoteSigner({ name: "log", publicKey: new Uint8Array(32), sign: async () => new Uint8Array(10) });
    await expect(signNote("text\n", [bad])).rejects.toThrow(code("ERR_NOTE_SIGNER_FAILED"));
    const ed = await ed25519Key("log");
    await expect(signNote("no newline", [ed.signer])).rejects.toThrow(code("ERR_NOTE_TEXT_INVALID"));
    await expect(signNote("tab\there\n", [ed.signer])).rejects.toThrow(code("ERR_NOTE_TEXT_INVALID"));
    expect(() => createEd25519NoteSigner({ name: "a b", publicKey: new Uint8Array(32), sign: ed.signer.sign })).toThrow(
      code("ERR_NOTE_KEY_INVALID"),
    );
  });

  it("rejects keys WebCrypto cannot import", async () => {
    await expect(createEcdsaNoteVerifier({ name: "log", spki: new Uint8Array(10) })).rejects.toThrow(code("ERR_NOTE_KEY_INVALID"));
    await expect(createEd25519NoteVerifier({ name: "log", publicKey: new Uint8Array(31) })).rejects.toThrow(code("ERR_NOTE_KEY_INVALID"));
  });
});

describe("parseSignedNote rejects malformed notes", () => {
  const sig = `\u2014 log ${toBase64(new Uint8Array(68).fill(7))}\n`;
  const ok = `text\n\n${sig}`;
  it("accepts the well-formed baseline and splits at the LAST blank line", () => {
    expect(parseSignedNote(ok).text).toBe("text\n");
    expect(parseSignedNote(`a\n\nb\n\n${sig}`).text).toBe("a\n\nb\n");
    expect(parseSignedNote(utf8(ok)).signatures[0]!.keyId).toEqual(Uint8Array.of(7, 7, 7, 7));
  });
  it.each([
    ["empty", ""],
    ["missing final newline (truncated)", ok.slice(0, -1)],
    ["truncated mid-signature", ok.slice(0, -10)],
    ["no blank line separator", `text\n${sig}`],
    ["no signatures", "text\n\n"],
    ["trailing garbage line", `${ok}garbage\n`],
    ["trailing blank line", `${ok}\n`],
    ["CRLF line endings", ok.replaceAll("\n", "\r\n")],
    ["a lone CR", `te\rxt\n\n${sig}`],
    ["other control characters", `te\u0001xt\n\n${sig}`],
    ["hyphen instead of em dash", ok.replace("\u2014", "-")],
    ["no space after the dash", ok.replace("\u2014 ", "\u2014")],
    ["name with a plus", ok.replace("log", "lo+g")],
    ["name with a non-ASCII space", ok.replace("log", "lo\u00a0g")],
    ["empty name", ok.replace("log", "")],
    ["two spaces before the signature", ok.replace("log ", "log  ")],
    ["bad base64", ok.replace(/ [A-Za-z0-9+/=]+\n$/, " !!!!\n")],
    ["unpadded base64", ok.replace(/=+\n$/, "\n")],
    ["signature with only a key ID", `text\n\n\u2014 log ${toBase64(new Uint8Array(4))}\n`],
    ["lone UTF-16 surrogate", `te\ud800xt\n\n${sig}`],
    ["too many signatures", `text\n\n${sig.repeat(MAX_NOTE_SIGNATURES + 1)}`],
    ["huge note", `${"a".repeat(1 << 20)}\n\n${sig}`],
  ])("%s", (_, text) => {
    expect(() => parseSignedNote(text)).toThrow(code("ERR_NOTE_MALFORMED"));
  });
  it("rejects non-UTF-8 bytes", () => {
    const bytes = concatBytes(utf8("te"), Uint8Array.of(0xff, 0xfe), utf8(`xt\n\n${sig}`));
    expect(() => parseSignedNote(bytes)).toThrow(code("ERR_NOTE_MALFORMED"));
  });
  it("accepts exactly the maximum number of signatures", () => {
    expect(parseSignedNote(`text\n\n${sig.repeat(MAX_NOTE_SIGNATURES)}`).signatures).toHaveLength(MAX_NOTE_SIGNATURES);
  });
});

describe("verifier keys (vkeys)", () => {
  it("round-trip Ed25519 and ECDSA keys and derive the key ID", async () => {
    const ed = await ed25519Key("example.com/log");
    const vkey = formatVerifierKey({ name: "example.com/log", type: 0x01, publicKey: ed.publicKey });
    expect(vkey.split("+")[1]).toBe(toHex(ed.verifier.keyId));
    const parsed = parseVerifierKey(vkey);
    expect(parsed.publicKey).toEqual(ed.publicKey);
    const v = await createNoteVerifierFromVkey(vkey);
    expect(v.keyId).toEqual(ed.verifier.keyId);

    const ec = await ecdsaKey("rekor.example");
    const ecVkey = formatVerifierKey({ name: "rekor.example", type: 0x02, publicKey: ec.spki });
    expect((await createNoteVerifierFromVkey(ecVkey)).keyId).toEqual(computeEcdsaKeyId(ec.spki));
  });
  it.each([
    ["two parts", "name+c74f20a3"],
    ["four parts", "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW+x"],
    ["short key ID", "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"],
    ["non-hex key ID", "PeterNeumann+c74f20ag+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"],
    ["wrong key ID", "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"],
    ["wrong name for the key ID", "PeterNeumanm+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"],
    ["bad base64", "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T"],
    ["empty name", "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"],
  ])("rejects %s", (_, vkey) => {
    expect(() => parseVerifierKey(vkey)).toThrow(code("ERR_NOTE_VKEY_MALFORMED"));
  });
  it("refuses to build verifiers for unsupported types", async () => {
    const vkey = formatVerifierKey({ name: "x", type: 0xff, publicKey: new Uint8Array(8), keyId: new Uint8Array(4) });
    await expect(createNoteVerifierFromVkey(vkey)).rejects.toThrow(code("ERR_NOTE_VKEY_UNSUPPORTED"));
  });
});
