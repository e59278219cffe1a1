import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { prehashedBackend, verifyPrehashed, type DigestName } from "./index.ts";

const spki = (k: crypto.KeyObject) => new Uint8Array(k.export({ type: "spki", format: "der" }));

describe("verifyPrehashed", () => {
  it("uses the native OpenSSL backend (the install step builds it)", () => {
    expect(prehashedBackend).toBe("native");
  });

  it.each([["P-256", "sha256"], ["P-384", "sha384"], ["P-521", "sha512"], ["P-256", "sha512"], ["P-384", "sha256"]] as const)("verifies %s over a %s digest and rejects tampering", (curve, md) => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: curve });
    const data = Buffer.from("artifact bytes");
    const sig = new Uint8Array(crypto.sign(md, data, privateKey));
    const digest = new Uint8Array(crypto.createHash(md).update(data).digest());
    expect(verifyPrehashed(spki(publicKey), digest, sig, md as DigestName)).toBe(true);
    const flipped = digest.slice();
    flipped[0]! ^= 1;
    expect(verifyPrehashed(spki(publicKey), flipped, sig, md as DigestName)).toBe(false);
    const other = crypto.generateKeyPairSync("ec", { namedCurve: curve }).publicKey;
    expect(verifyPrehashed(spki(other), digest, sig, md as DigestName)).toBe(false);
    expect(verifyPrehashed(new Uint8Array([...spki(publicKey), 0]), digest, sig, md as DigestName)).toBe(false);
    expect(verifyPrehashed(spki(publicKey), digest.subarray(1), sig, md as DigestName)).toBe(false);
    expect(verifyPrehashed(spki(publicKey), digest, sig.subarray(0, sig.length - 1), md as DigestName)).toBe(false);
  });

  it("verifies RSA PKCS#1 v1.5 and refuses Ed25519 and garbage keys", () => {
    const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const data = Buffer.from("x");
    const digest = new Uint8Array(crypto.createHash("sha256").update(data).digest());
    expect(verifyPrehashed(spki(rsa.publicKey), digest, new Uint8Array(crypto.sign("sha256", data, rsa.privateKey)), "sha256")).toBe(true);
    const ed = crypto.generateKeyPairSync("ed25519");
    expect(verifyPrehashed(spki(ed.publicKey), digest, new Uint8Array(64), "sha256")).toBe(false);
    expect(verifyPrehashed(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]), digest, new Uint8Array(70), "sha256")).toBe(false);
  });

  it("refuses a point off the curve, and a refused key leaves no trace for the next call", () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const data = Buffer.from("artifact");
    const sig = new Uint8Array(crypto.sign("sha256", data, privateKey));
    const digest = new Uint8Array(crypto.createHash("sha256").update(data).digest());
    const good = spki(publicKey);
    const offCurve = good.slice();
    offCurve[offCurve.length - 1]! ^= 1;
    expect(verifyPrehashed(offCurve, digest, sig, "sha256")).toBe(false);
    // A coordinate equal to the field prime is outside the field even if it were on the curve.
    const xIsP = good.slice();
    xIsP.set(Buffer.from("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", "hex"), 27);
    expect(verifyPrehashed(xIsP, digest, sig, "sha256")).toBe(false);
    const other = spki(crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey);
    expect(verifyPrehashed(other, digest, sig, "sha256")).toBe(false);
    expect(verifyPrehashed(good, digest, sig, "sha256")).toBe(true);
    expect(verifyPrehashed(other, digest, sig, "sha256")).toBe(false);
  });

  it("refuses signatures that are not strict DER", () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const data = Buffer.from("artifact");
    const der = crypto.sign("sha256", data, privateKey);
    const digest = new Uint8Array(crypto.createHash("sha256").update(data).digest());
    const raw = new Uint8Array(crypto.sign("sha256", data, { key: privateKey, dsaEncoding: "ieee-p1363" }));
    expect(verifyPrehashed(spki(publicKey), digest, raw, "sha256")).toBe(false);
    // The same SEQUENCE with a long-form length (BER, not DER).
    const ber = new Uint8Array([0x30, 0x81, der[1]!, ...der.subarray(2)]);
    expect(verifyPrehashed(spki(publicKey), digest, ber, "sha256")).toBe(false);
    expect(verifyPrehashed(spki(publicKey), digest, new Uint8Array([...der, 0]), "sha256")).toBe(false);
    expect(verifyPrehashed(spki(publicKey), digest, new Uint8Array(der), "sha256")).toBe(true);
  });

  it("verifies keys outside the canonical fast path (compressed point) through the generic path", () => {
    const ecdh = crypto.createECDH("prime256v1");
    ecdh.generateKeys();
    const privateKey = crypto.createPrivateKey({
      key: { kty: "EC", crv: "P-256", d: ecdh.getPrivateKey().toString("base64url"), x: ecdh.getPublicKey().subarray(1, 33).toString("base64url"), y: ecdh.getPublicKey().subarray(33).toString("base64url") },
      format: "jwk",
    });
    const compressed = ecdh.getPublicKey(null, "compressed");
    // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING 00 ‖ 02/03 X } (RFC 5480 §2.2).
    const algId = Buffer.from("301306072a8648ce3d020106082a8648ce3d030107", "hex");
    const bitString = Buffer.concat([Buffer.from([0x03, compressed.length + 1, 0x00]), compressed]);
    const body = Buffer.concat([algId, bitString]);
    const compressedSpki = new Uint8Array(Buffer.concat([Buffer.from([0x30, body.length]), body]));
    const data = Buffer.from("artifact");
    const sig = new Uint8Array(crypto.sign("sha256", data, privateKey));
    const digest = new Uint8Array(crypto.createHash("sha256").update(data).digest());
    expect(verifyPrehashed(compressedSpki, digest, sig, "sha256")).toBe(true);
    digest[0]! ^= 1;
    expect(verifyPrehashed(compressedSpki, digest, sig, "sha256")).toBe(false);
  });
});
