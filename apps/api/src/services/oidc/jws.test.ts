// isValidJwsSignature against jose as the reference: whatever jose signs verifies, whatever jose's
// compactVerify refuses (wrong key, tampering, wrong key type or size, wrong signature size or salt)
// is refused too.
import { constants, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { CompactSign, compactVerify, exportJWK, importJWK } from "jose";
import { describe, expect, it } from "vitest";
import type { TokenAlgorithm } from "./issuers.ts";
import { isValidJwsSignature, toKeyObject } from "./jws.ts";

type Pair = { privateKey: KeyObject; publicKey: KeyObject };

const KEYS: Record<TokenAlgorithm, () => Pair> = {
  RS256: () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
  RS384: () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
  RS512: () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
  PS256: () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
  PS384: () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
  PS512: () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
  ES256: () => generateKeyPairSync("ec", { namedCurve: "prime256v1" }),
  ES384: () => generateKeyPairSync("ec", { namedCurve: "secp384r1" }),
  ES512: () => generateKeyPairSync("ec", { namedCurve: "secp521r1" }),
  EdDSA: () => generateKeyPairSync("ed25519"),
};

async function jws(alg: TokenAlgorithm, key: KeyObject, payload = '{"sub":"a"}'): Promise<{ input: Buffer; signature: Buffer; token: string }> {
  const token = await new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg }).sign(key);
  const [h, p, s] = token.split(".");
  return { input: Buffer.from(`${h}.${p}`, "latin1"), signature: Buffer.from(s!, "base64url"), token };
}

/** The key as the JWKS cache hands it over: a CryptoKey imported by jose for `alg`. */
async function cryptoKey(alg: TokenAlgorithm, key: KeyObject): Promise<CryptoKey> {
  return (await importJWK(await exportJWK(key), alg)) as CryptoKey;
}

describe("isValidJwsSignature", () => {
  for (const alg of Object.keys(KEYS) as TokenAlgorithm[]) {
    it(`accepts what jose signs with ${alg}, and refuses another key and a tampered input`, async () => {
      const { privateKey, publicKey } = KEYS[alg]();
      const other = KEYS[alg]();
      const { input, signature, token } = await jws(alg, privateKey);
      const ck = await cryptoKey(alg, publicKey);
      await expect(compactVerify(token, ck)).resolves.toBeDefined();
      expect(isValidJwsSignature(alg, ck, input, signature)).toBe(true);
      expect(isValidJwsSignature(alg, publicKey, input, signature)).toBe(true);
      expect(isValidJwsSignature(alg, await cryptoKey(alg, other.publicKey), input, signature)).toBe(false);
      const tampered = Buffer.from(input);
      tampered[tampered.length - 2]! ^= 1;
      expect(isValidJwsSignature(alg, ck, tampered, signature)).toBe(false);
      expect(isValidJwsSignature(alg, ck, input, signature.subarray(0, signature.length - 1))).toBe(false);
      expect(isValidJwsSignature(alg, ck, input, Buffer.alloc(0))).toBe(false);
    });
  }

  it("converts each CryptoKey once", async () => {
    const { publicKey } = KEYS.ES256();
    const ck = await cryptoKey("ES256", publicKey);
    expect(toKeyObject(ck)).toBe(toKeyObject(ck));
  });

  it("refuses a key that does not fit the algorithm", async () => {
    const ec = KEYS.ES256();
    const { input, signature } = await jws("ES256", ec.privateKey);
    // the right signature, but the algorithm claims another curve, an RSA key or EdDSA
    expect(isValidJwsSignature("ES384", ec.publicKey, input, signature)).toBe(false);
    expect(isValidJwsSignature("RS256", ec.publicKey, input, signature)).toBe(false);
    expect(isValidJwsSignature("EdDSA", ec.publicKey, input, signature)).toBe(false);
    const rsa = KEYS.RS256();
    const rs = await jws("RS256", rsa.privateKey);
    expect(isValidJwsSignature("ES256", rsa.publicKey, rs.input, rs.signature)).toBe(false);
    // a private key is never a verification key here
    expect(isValidJwsSignature("ES256", ec.privateKey, input, signature)).toBe(false);
  });

  it("refuses RSA keys under 2048 bits even with a valid signature (RFC 7518 §3.3)", () => {
    const weak = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const input = Buffer.from("eyJhbGciOiJSUzI1NiJ9.e30", "latin1");
    const signature = sign("sha256", input, { key: weak.privateKey, padding: constants.RSA_PKCS1_PADDING });
    expect(isValidJwsSignature("RS256", weak.publicKey, input, signature)).toBe(false);
    expect(isValidJwsSignature("RS256", createPublicKey(weak.publicKey.export({ format: "pem", type: "spki" })), input, signature)).toBe(false);
  });

  it("refuses a DER ECDSA signature (JWS uses R‖S) and a PSS signature with another salt length", () => {
    const ec = KEYS.ES256();
    const input = Buffer.from("eyJhbGciOiJFUzI1NiJ9.e30", "latin1");
    const der = sign("sha256", input, { key: ec.privateKey, dsaEncoding: "der" });
    expect(isValidJwsSignature("ES256", ec.publicKey, input, der)).toBe(false);
    const raw = sign("sha256", input, { key: ec.privateKey, dsaEncoding: "ieee-p1363" });
    expect(isValidJwsSignature("ES256", ec.publicKey, input, raw)).toBe(true);

    const rsa = KEYS.PS256();
    const pssInput = Buffer.from("eyJhbGciOiJQUzI1NiJ9.e30", "latin1");
    const noSalt = sign("sha256", pssInput, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 0 });
    expect(isValidJwsSignature("PS256", rsa.publicKey, pssInput, noSalt)).toBe(false);
    const hashSalt = sign("sha256", pssInput, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    expect(isValidJwsSignature("PS256", rsa.publicKey, pssInput, hashSalt)).toBe(true);
  });
});
