// Bundle v0.3 assembly: the protobuf-JSON shape @sigstore/verify checks byte for byte (INTEROP.md,
// last sections), the leaf-only key material (SECURITY.md B8), and DSSE envelopes.
import { describe, expect, it } from "vitest";
import { bundleFromJSON } from "@sigstore/bundle";
import { fromBase64, parseBundle, preAuthEncoding, toBase64, utf8, type Bytes, type UnverifiedTlogEntry } from "@signet/crypto";
import { createTestPki } from "@signet/crypto/testing/pki";
import { createDsseBundle, createMessageSignatureBundle, dsseSigningInput, toBundleText, toEnvelopeJson } from "./bundle-assembly.ts";

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill) as Bytes;
const entry: UnverifiedTlogEntry = {
  logIndex: 9_007_199_254_740_993n, // 2^53 + 1: must survive as a string
  logId: bytes(32, 1),
  kindVersion: { kind: "hashedrekord", version: "0.0.1" },
  integratedTime: 1_767_225_600n,
  inclusionPromise: { signedEntryTimestamp: bytes(70, 2) },
  inclusionProof: { logIndex: 5n, rootHash: bytes(32, 3), treeSize: 6n, hashes: [bytes(32, 4), bytes(32, 5)], checkpoint: "signet.test - 1\n6\nAw==\n\n— signet.test AAAA\n" },
  canonicalizedBody: utf8('{"apiVersion":"0.0.1"}'),
};

describe("createMessageSignatureBundle", () => {
  it("emits exactly the v0.3 protobuf-JSON shape", async () => {
    const pki = await createTestPki(Date.now());
    const leaf = await pki.leaf();
    const b = createMessageSignatureBundle({ certificate: leaf, tlogEntries: [entry], rfc3161Timestamps: [bytes(10, 9)], digest: bytes(32, 7), signature: bytes(71, 8) });
    const json = JSON.parse(toBundleText(b));
    expect(json).toEqual({
      mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      verificationMaterial: {
        certificate: { rawBytes: toBase64(leaf) },
        tlogEntries: [
          {
            logIndex: "9007199254740993",
            logId: { keyId: toBase64(bytes(32, 1)) },
            kindVersion: { kind: "hashedrekord", version: "0.0.1" },
            integratedTime: "1767225600",
            inclusionPromise: { signedEntryTimestamp: toBase64(bytes(70, 2)) },
            inclusionProof: {
              logIndex: "5",
              rootHash: toBase64(bytes(32, 3)),
              treeSize: "6",
              hashes: [toBase64(bytes(32, 4)), toBase64(bytes(32, 5))],
              checkpoint: { envelope: entry.inclusionProof!.checkpoint },
            },
            canonicalizedBody: toBase64(entry.canonicalizedBody),
          },
        ],
        timestampVerificationData: { rfc3161Timestamps: [{ signedTimestamp: toBase64(bytes(10, 9)) }] },
      },
      messageSignature: { messageDigest: { algorithm: "SHA2_256", digest: toBase64(bytes(32, 7)) }, signature: toBase64(bytes(71, 8)) },
    });
    // The text parses back with both parsers.
    expect(toBundleText(b).endsWith("}\n")).toBe(true);
    expect(parseBundle(toBundleText(b))).toMatchObject({ version: "0.3", key: { kind: "certificate" } });
    expect(() => bundleFromJSON(json)).not.toThrow();
  });

  it("omits timestampVerificationData when there is no timestamp", async () => {
    const pki = await createTestPki(Date.now());
    const b = createMessageSignatureBundle({ certificate: await pki.leaf(), tlogEntries: [entry], rfc3161Timestamps: [], digest: bytes(32, 7), signature: bytes(71, 8) });
    expect(Object.keys(JSON.parse(toBundleText(b)).verificationMaterial)).toEqual(["certificate", "tlogEntries"]);
  });

  it("never puts a root (self-issued) certificate in a bundle", async () => {
    const pki = await createTestPki(Date.now());
    expect(() => createMessageSignatureBundle({ certificate: pki.root.der, tlogEntries: [], rfc3161Timestamps: [], digest: bytes(32, 7), signature: bytes(71, 8) })).toThrow(
      expect.objectContaining({ code: "ERR_SIGN_CERT_UNTRUSTED" }),
    );
  });

  it("needs a SHA-256 digest", async () => {
    const pki = await createTestPki(Date.now());
    const leaf = await pki.leaf();
    expect(() => createMessageSignatureBundle({ certificate: leaf, tlogEntries: [], rfc3161Timestamps: [], digest: bytes(48, 7), signature: bytes(71, 8) })).toThrow(
      expect.objectContaining({ code: "ERR_SIGN_RESPONSE_MALFORMED" }),
    );
  });
});

describe("DSSE", () => {
  const payload = utf8('{"_type":"https://in-toto.io/Statement/v1"}');
  const envelope = { payload, payloadType: "application/vnd.in-toto+json", signatures: [{ sig: bytes(70, 1), keyid: "" }] };

  it("signs the PAE of the in-toto payload type", () => {
    expect(Array.from(dsseSigningInput(payload))).toEqual(Array.from(preAuthEncoding("application/vnd.in-toto+json", payload)));
    expect(new TextDecoder().decode(dsseSigningInput(utf8("x"))).startsWith("DSSEv1 28 application/vnd.in-toto+json 1 x")).toBe(true);
  });

  it("assembles a dsseEnvelope bundle and the envelope text Rekor hashes", async () => {
    const pki = await createTestPki(Date.now());
    const b = createDsseBundle({ certificate: await pki.leaf(), tlogEntries: [{ ...entry, kindVersion: { kind: "dsse", version: "0.0.1" } }], rfc3161Timestamps: [], envelope });
    const json = JSON.parse(toBundleText(b));
    expect(json.dsseEnvelope).toEqual({ payload: toBase64(payload), payloadType: "application/vnd.in-toto+json", signatures: [{ sig: toBase64(bytes(70, 1)), keyid: "" }] });
    expect(json.messageSignature).toBeUndefined();
    const text = toEnvelopeJson(envelope);
    expect(JSON.parse(text)).toEqual({ payload: toBase64(payload), payloadType: "application/vnd.in-toto+json", signatures: [{ keyid: "", sig: toBase64(bytes(70, 1)) }] });
    expect(Array.from(fromBase64(JSON.parse(text).payload))).toEqual(Array.from(payload));
    const leaf = await pki.leaf();
    expect(() => createDsseBundle({ certificate: leaf, tlogEntries: [], rfc3161Timestamps: [], envelope: { ...envelope, signatures: [] } })).toThrow(
      expect.objectContaining({ code: "ERR_SIGN_RESPONSE_MALFORMED" }),
    );
  });
});
