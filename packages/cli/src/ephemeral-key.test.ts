// WebCrypto's raw r‖s versus the DER that Fulcio, Rekor and bundles carry (SECURITY.md C1), and the
// ephemeral key's properties.
import { createPublicKey, createVerify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ecdsaDerToRaw, parseDer, parsePublicKeyPem, utf8 } from "@signet/crypto";
import { createEphemeralSigner, p256SignatureToDer } from "./ephemeral-key.ts";

const filled = (first: number, rest: number) => Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? first : rest));

describe("p256SignatureToDer", () => {
  it("encodes r and s as minimal positive INTEGERs", () => {
    // High bit set: a 0x00 must be prepended so the INTEGER stays positive.
    const high = p256SignatureToDer(new Uint8Array([...filled(0x80, 1), ...filled(0xff, 2)]));
    expect(Array.from(high.subarray(0, 5))).toEqual([0x30, 0x46, 0x02, 0x21, 0x00]);
    // Leading zero octets are dropped: r = 0x00…0001 encodes in one octet.
    const small = p256SignatureToDer(new Uint8Array([...new Uint8Array(31), 1, ...filled(0x7f, 3)]));
    expect(Array.from(small.subarray(0, 5))).toEqual([0x30, 0x25, 0x02, 0x01, 0x01]);
    for (const der of [high, small]) {
      const seq = parseDer(der);
      expect(seq.children).toHaveLength(2);
    }
  });

  it("round-trips with the strict DER decoder for random values", () => {
    for (let i = 0; i < 300; i++) {
      const raw = crypto.getRandomValues(new Uint8Array(64));
      if (i % 3 === 0) raw.fill(0, 0, 1 + (i % 31)); // leading zero octets in r
      if (i % 5 === 0) raw.fill(0, 32, 33 + (i % 31)); // and in s
      raw[31] ||= 1;
      raw[63] ||= 1;
      expect(Array.from(ecdsaDerToRaw(p256SignatureToDer(raw), 32))).toEqual(Array.from(raw));
    }
  });

  it("refuses anything but 64 bytes", () => {
    for (const n of [0, 32, 63, 65, 96]) expect(() => p256SignatureToDer(new Uint8Array(n))).toThrow(expect.objectContaining({ code: "ERR_SIGNATURE_MALFORMED" }));
  });
});

describe("createEphemeralSigner", () => {
  it("makes DER ECDSA-SHA256 signatures that OpenSSL verifies with the exported SPKI", async () => {
    const signer = await createEphemeralSigner();
    const key = parsePublicKeyPem(signer.publicKeyPem);
    expect(key).toMatchObject({ kind: "ecdsa", curve: "P-256" });
    expect(Array.from(key.spki)).toEqual(Array.from(signer.spki));
    const data = utf8("dev@example.test");
    const sig = await signer.sign(data);
    const v = createVerify("sha256");
    v.update(data);
    expect(v.verify({ key: createPublicKey(signer.publicKeyPem), dsaEncoding: "der" }, sig)).toBe(true);
    const w = createVerify("sha256");
    w.update("other");
    expect(w.verify({ key: createPublicKey(signer.publicKeyPem), dsaEncoding: "der" }, sig)).toBe(false);
  });

  it("gives a fresh key each time and exposes no private key material", async () => {
    const a = await createEphemeralSigner();
    const b = await createEphemeralSigner();
    expect(a.publicKeyPem).not.toBe(b.publicKeyPem);
    expect(Object.keys(a).sort()).toEqual(["publicKeyPem", "sign", "spki"]);
  });
});
