import { describe, expect, it } from "vitest";
import { fromHex } from "./encoding/hex.ts";
import { digestSync } from "./digest.ts";
import { ecdsaRawToDer } from "./asn1/der.ts";
import { toPem } from "./pem.ts";
import {
  isValidSignature,
  isValidSignatureOverDigest,
  keyId,
  parsePublicKeyPem,
  parseSpki,
  rsaPublicKeyToSpki,
  spkiKeyBytes,
  verifySignature,
  type SignatureAlgorithm,
} from "./keys.ts";

const msg = new TextEncoder().encode("signet");

async function ecKey(curve: "P-256" | "P-384" | "P-521") {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: curve }, true, ["sign", "verify"]);
  return { pair, spki: new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey)) };
}

async function rsaKey(bits: number, name: "RSASSA-PKCS1-v1_5" | "RSA-PSS" = "RSASSA-PKCS1-v1_5") {
  const pair = await crypto.subtle.generateKey({ name, modulusLength: bits, publicExponent: Uint8Array.of(1, 0, 1), hash: "SHA-256" }, true, ["sign", "verify"]);
  return { pair, spki: new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey)) };
}

describe("parseSpki", () => {
  it.each(["P-256", "P-384", "P-521"] as const)("accepts ECDSA %s", async (curve) => {
    const { spki } = await ecKey(curve);
    const k = parseSpki(spki);
    expect(k).toMatchObject({ kind: "ecdsa", curve });
    expect(keyId(k)).toEqual(digestSync("SHA-256", spki));
    expect(parsePublicKeyPem(toPem(spki, "PUBLIC KEY")).spki).toEqual(spki);
  });
  it("accepts Ed25519 and RSA-2048", async () => {
    const ed = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
    const edSpki = new Uint8Array(await crypto.subtle.exportKey("spki", (ed as CryptoKeyPair).publicKey));
    expect(parseSpki(edSpki).kind).toBe("ed25519");
    const { spki } = await rsaKey(2048);
    expect(parseSpki(spki)).toMatchObject({ kind: "rsa", modulusBits: 2048 });
    // Old trusted roots ship bare PKCS#1 keys: wrapping gives back the same SPKI.
    expect(rsaPublicKeyToSpki(spkiKeyBytes(parseSpki(spki)))).toEqual(spki);
  });
  it("rejects weak keys: P-192 and RSA-1024 (SECURITY.md B2)", async () => {
    // SPKI of a P-192 key: id-ecPublicKey + secp192r1 and a 49-byte point.
    const p192 = fromHex("3049301306072a8648ce3d020106082a8648ce3d030101033200" + "04" + "11".repeat(48));
    expect(() => parseSpki(p192)).toThrow(expect.objectContaining({ code: "ERR_KEY_WEAK" }));
    const { spki } = await rsaKey(1024);
    expect(() => parseSpki(spki)).toThrow(expect.objectContaining({ code: "ERR_KEY_WEAK" }));
  });
  it("rejects malformed keys", async () => {
    const { spki } = await ecKey("P-256");
    const bad = (b: Uint8Array) => expect(() => parseSpki(b)).toThrow(expect.objectContaining({ code: "ERR_KEY_MALFORMED" }));
    bad(Uint8Array.from([...spki, 0])); // trailing data
    bad(spki.subarray(0, spki.length - 1)); // truncated
    const compressed = Uint8Array.from(spki);
    compressed[26] = 0x02; // point format byte
    bad(compressed);
    bad(new Uint8Array());
    expect(() => parsePublicKeyPem("-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n")).toThrow(expect.objectContaining({ code: "ERR_PEM_MALFORMED" }));
  });
  it("rejects an unsupported algorithm", () => {
    // DSA OID 1.2.840.10040.4.1
    const dsa = fromHex("300f300906072a8648ce38040103020000");
    expect(() => parseSpki(dsa)).toThrow(expect.objectContaining({ code: "ERR_KEY_UNSUPPORTED" }));
  });
});

describe("signature verification", () => {
  it.each(["P-256", "P-384", "P-521"] as const)("verifies %s over the message and over its digest", async (curve) => {
    const { pair, spki } = await ecKey(curve);
    const key = parseSpki(spki);
    for (const hash of ["SHA-256", "SHA-384", "SHA-512"] as const) {
      const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash }, pair.privateKey, msg));
      const der = ecdsaRawToDer(raw);
      const alg: SignatureAlgorithm = { kind: "ecdsa", hash };
      expect(await isValidSignature(key, alg, msg, der)).toBe(true);
      expect(isValidSignatureOverDigest(key, alg, digestSync(hash, msg), der)).toBe(true);
      // The raw form is refused where DER is expected (SECURITY.md C1).
      expect(await isValidSignature(key, alg, msg, raw)).toBe(false);
      expect(await isValidSignature(key, alg, new TextEncoder().encode("other"), der)).toBe(false);
      expect(isValidSignatureOverDigest(key, alg, digestSync(hash, new TextEncoder().encode("other")), der)).toBe(false);
    }
  });
  it("verifies RSA PKCS#1 v1.5 and PSS over the message and over its digest", async () => {
    const pkcs1 = await rsaKey(2048);
    const key = parseSpki(pkcs1.spki);
    const sig = new Uint8Array(await crypto.subtle.sign({ name: "RSASSA-PKCS1-v1_5" }, pkcs1.pair.privateKey, msg));
    const alg: SignatureAlgorithm = { kind: "rsa-pkcs1", hash: "SHA-256" };
    expect(await isValidSignature(key, alg, msg, sig)).toBe(true);
    expect(isValidSignatureOverDigest(key, alg, digestSync("SHA-256", msg), sig)).toBe(true);
    sig[10]! ^= 1;
    expect(isValidSignatureOverDigest(key, alg, digestSync("SHA-256", msg), sig)).toBe(false);

    const pss = await rsaKey(2048, "RSA-PSS");
    const pssKey = parseSpki(pss.spki);
    const pssSig = new Uint8Array(await crypto.subtle.sign({ name: "RSA-PSS", saltLength: 32 }, pss.pair.privateKey, msg));
    const pssAlg: SignatureAlgorithm = { kind: "rsa-pss", hash: "SHA-256", saltLength: 32 };
    expect(await isValidSignature(pssKey, pssAlg, msg, pssSig)).toBe(true);
    expect(isValidSignatureOverDigest(pssKey, pssAlg, digestSync("SHA-256", msg), pssSig)).toBe(true);
    expect(isValidSignatureOverDigest(pssKey, { ...pssAlg, saltLength: 20 }, digestSync("SHA-256", msg), pssSig)).toBe(false);
  });
  it("refuses mismatched key and algorithm, and Ed25519 over a digest", async () => {
    const { spki } = await ecKey("P-256");
    const key = parseSpki(spki);
    expect(await isValidSignature(key, { kind: "ed25519" }, msg, new Uint8Array(64))).toBe(false);
    await expect(verifySignature(key, { kind: "ecdsa", hash: "SHA-256" }, msg, new Uint8Array(8))).rejects.toThrow(
      expect.objectContaining({ code: "ERR_SIGNATURE_INVALID" }),
    );
    expect(isValidSignatureOverDigest(key, { kind: "ed25519" }, new Uint8Array(32), new Uint8Array(64))).toBe(false);
  });
});
