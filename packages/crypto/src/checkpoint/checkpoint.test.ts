import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromBase64, toBase64 } from "../encoding/base64.ts";
import { createEcdsaNoteVerifier, createEd25519NoteSigner, createEd25519NoteVerifier } from "../note/signed-note.ts";
import { verifyInclusion } from "../merkle/inclusion.ts";
import { hashLeaf } from "../merkle/rfc6962.ts";
import { formatCheckpoint, parseCheckpoint, signCheckpoint, verifyCheckpoint } from "./checkpoint.ts";

const VECTORS = new URL("../../../../../shared/vectors/", import.meta.url);
const readJson = (path: string) => JSON.parse(readFileSync(new URL(path, VECTORS), "utf8"));
const code = (c: string) => expect.objectContaining({ code: c });
const ROOT = toBase64(new Uint8Array(32).fill(9));

async function ed25519(name: string) {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const sign = async (m: Uint8Array<ArrayBuffer>) => new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, m));
  return { signer: createEd25519NoteSigner({ name, publicKey, sign }), verifier: await createEd25519NoteVerifier({ name, publicKey }) };
}

describe("parseCheckpoint", () => {
  it("parses origin, size, root and extension lines", () => {
    const cp = parseCheckpoint(`example.com/log\n20852163\n${ROOT}\nTimestamp: 1\n`);
    expect(cp).toEqual({ origin: "example.com/log", size: 20852163n, rootHash: new Uint8Array(32).fill(9), extensions: ["Timestamp: 1"] });
    expect(parseCheckpoint(`o\n0\n${ROOT}\n`).size).toBe(0n);
    expect(parseCheckpoint(`o\n9223372036854775807\n${ROOT}\n`).size).toBe((1n << 63n) - 1n);
    // Rekor v1 origins contain spaces; the spec only recommends against it.
    expect(parseCheckpoint(`rekor.sigstore.dev - 2605736670972794746\n1\n${ROOT}\n`).origin).toBe("rekor.sigstore.dev - 2605736670972794746");
  });

  // SECURITY.md E5.
  it.each([
    ["missing origin", `\n5\n${ROOT}\n`],
    ["missing size", `o\n${ROOT}\n`],
    ["missing root", `o\n5\n`],
    ["empty size line", `o\n\n${ROOT}\n`],
    ["no final newline", `o\n5\n${ROOT}`],
    ["extra blank line", `o\n5\n${ROOT}\n\n`],
    ["empty extension line", `o\n5\n${ROOT}\n\next\n`],
    ["CRLF", `o\r\n5\r\n${ROOT}\r\n`],
    ["CR inside the origin", `o\rx\n5\n${ROOT}\n`],
    ["tab in the origin", `o\tx\n5\n${ROOT}\n`],
    ["leading zero", `o\n05\n${ROOT}\n`],
    ["plus sign", `o\n+1\n${ROOT}\n`],
    ["negative size", `o\n-1\n${ROOT}\n`],
    ["hex size", `o\n0x10\n${ROOT}\n`],
    ["size with spaces", `o\n 5\n${ROOT}\n`],
    ["size above 2^63-1", `o\n9223372036854775808\n${ROOT}\n`],
    ["20-digit size", `o\n18446744073709551615\n${ROOT}\n`],
    ["root of 31 bytes", `o\n5\n${toBase64(new Uint8Array(31))}\n`],
    ["root of 33 bytes", `o\n5\n${toBase64(new Uint8Array(33))}\n`],
    ["root in hex", `o\n5\n${"ab".repeat(32)}\n`],
    ["root in base64url", `o\n5\n${ROOT.replaceAll("C", "-")}\n`],
    ["a whole signed note", `o\n5\n${ROOT}\n\n\u2014 o AAAAAAAA\n`],
    ["too many extensions", `o\n5\n${ROOT}\n${"e\n".repeat(17)}`],
    ["huge input", `o\n5\n${ROOT}\n${"e".repeat(70000)}\n`],
  ])("rejects %s", (_, text) => {
    expect(() => parseCheckpoint(text)).toThrow(code("ERR_CHECKPOINT_MALFORMED"));
  });
});

describe("formatCheckpoint", () => {
  it("round-trips through parseCheckpoint", () => {
    const cp = { origin: "example.com/log", size: 42n, rootHash: new Uint8Array(32).fill(1), extensions: ["x y"] };
    expect(parseCheckpoint(formatCheckpoint(cp))).toEqual(cp);
  });
  it("refuses fields that would change the text's meaning", () => {
    const base = { origin: "o", size: 1n, rootHash: new Uint8Array(32) };
    expect(() => formatCheckpoint({ ...base, origin: "a\nb" })).toThrow(code("ERR_CHECKPOINT_INVALID_INPUT"));
    expect(() => formatCheckpoint({ ...base, size: -1n })).toThrow(code("ERR_CHECKPOINT_INVALID_INPUT"));
    expect(() => formatCheckpoint({ ...base, rootHash: new Uint8Array(5) })).toThrow(code("ERR_CHECKPOINT_INVALID_INPUT"));
    expect(() => formatCheckpoint({ ...base, extensions: ["a\nb"] })).toThrow(code("ERR_CHECKPOINT_INVALID_INPUT"));
    expect(() => formatCheckpoint({ ...base, extensions: [""] })).toThrow(code("ERR_CHECKPOINT_INVALID_INPUT"));
  });
});

describe("verifyCheckpoint", () => {
  it("verifies a signed checkpoint and checks the origin", async () => {
    const log = await ed25519("example.com/log");
    const note = await signCheckpoint({ origin: "example.com/log", size: 3n, rootHash: new Uint8Array(32) }, [log.signer]);
    const { checkpoint } = await verifyCheckpoint(note, [log.verifier], { origin: "example.com/log" });
    expect(checkpoint.size).toBe(3n);
    await expect(verifyCheckpoint(note, [log.verifier], { origin: "example.com/other" })).rejects.toThrow(
      code("ERR_CHECKPOINT_ORIGIN_MISMATCH"),
    );
    const other = await ed25519("example.com/log");
    await expect(verifyCheckpoint(note, [other.verifier])).rejects.toThrow(code("ERR_NOTE_UNVERIFIED"));
  });

  it("rejects a correctly signed note whose body is not a checkpoint", async () => {
    const log = await ed25519("log");
    const { signNote } = await import("../note/signed-note.ts");
    const note = await signNote("log\n05\nAAAA\n", [log.signer]);
    await expect(verifyCheckpoint(note, [log.verifier])).rejects.toThrow(code("ERR_CHECKPOINT_MALFORMED"));
  });

  it("verifies the Rekor v1 checkpoint and inclusion proof of a real bundle", async () => {
    const bundle = readJson("sigstore-conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json");
    const root = readJson("trusted-roots/public-good-production.trusted_root.json");
    const tlog = root.tlogs.find((t: { baseUrl: string }) => t.baseUrl === "https://rekor.sigstore.dev");
    const verifier = await createEcdsaNoteVerifier({ name: "rekor.sigstore.dev", spki: fromBase64(tlog.publicKey.rawBytes) });
    const entry = bundle.verificationMaterial.tlogEntries[0];
    const { checkpoint } = await verifyCheckpoint(entry.inclusionProof.checkpoint.envelope, [verifier]);
    expect(checkpoint.size).toBe(BigInt(entry.inclusionProof.treeSize));
    const args = {
      index: BigInt(entry.inclusionProof.logIndex),
      size: checkpoint.size,
      leafHash: hashLeaf(fromBase64(entry.canonicalizedBody)),
      proof: entry.inclusionProof.hashes.map(fromBase64),
      root: checkpoint.rootHash,
    };
    verifyInclusion(args);
    expect(() => verifyInclusion({ ...args, index: args.index - 1n })).toThrow();
  });

  it("rejects the conformance checkpoints with a bad key hint or a wrong root", async () => {
    const root = readJson("trusted-roots/public-good-production.trusted_root.json");
    const tlog = root.tlogs.find((t: { baseUrl: string }) => t.baseUrl === "https://rekor.sigstore.dev");
    const verifier = await createEcdsaNoteVerifier({ name: "rekor.sigstore.dev", spki: fromBase64(tlog.publicKey.rawBytes) });
    const badHint = readJson("sigstore-conformance/bundle-verify/checkpoint-bad-keyhint_fail/bundle.sigstore.json");
    await expect(verifyCheckpoint(badHint.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope, [verifier])).rejects.toThrow(
      code("ERR_NOTE_UNVERIFIED"),
    );
    const badSig = readJson("sigstore-conformance/bundle-verify/invalid-checkpoint-signature_fail/bundle.sigstore.json");
    await expect(verifyCheckpoint(badSig.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope, [verifier])).rejects.toThrow(
      code("ERR_NOTE_SIGNATURE_INVALID"),
    );
    // Self-consistent checkpoint for another tree: the signature holds, the inclusion proof does not.
    const wrongRoot = readJson("sigstore-conformance/bundle-verify/checkpoint-wrong-roothash_fail/bundle.sigstore.json");
    const entry = wrongRoot.verificationMaterial.tlogEntries[0];
    await expect(
      verifyCheckpoint(entry.inclusionProof.checkpoint.envelope, [verifier]).then(({ checkpoint }) =>
        verifyInclusion({
          index: BigInt(entry.inclusionProof.logIndex),
          size: checkpoint.size,
          leafHash: hashLeaf(fromBase64(entry.canonicalizedBody)),
          proof: entry.inclusionProof.hashes.map(fromBase64),
          root: checkpoint.rootHash,
        }),
      ),
    ).rejects.toThrow(expect.objectContaining({ code: expect.stringMatching(/^ERR_MERKLE_(PROOF_SIZE|ROOT_MISMATCH)$/) }));
  });
});
