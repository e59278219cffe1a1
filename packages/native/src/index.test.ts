import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { prehashedBackend, verifyPrehashed, type DigestName } from "./index.ts";

const spki = (k: crypto.KeyObject) => new Uint8Array(k.export({ type: "spki", format: "der" }));

describe("verifyPrehashed", () => {
  it("uses the native OpenSSL backend (the install step builds it)", () => {
    expect(prehashedBackend).toBe("native");
  });

  it.each([["P-256", "sha256"], ["P-384", "sha384"], ["P-256", "sha512"]] as const)("verifies %s over a %s digest and rejects tampering", (curve, md) => {
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
});
