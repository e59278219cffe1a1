import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { derToRawSignature, rawToDerSignature, toPublicPoint, toSpki } from "./der.ts";
import { CURVES, curveFromEcParams } from "./keys.ts";

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return "no error";
};

describe("toSpki", () => {
  it.each([
    ["P-256", "prime256v1"],
    ["P-384", "secp384r1"],
  ] as const)("builds the same SPKI as node:crypto for %s, from wrapped and bare CKA_EC_POINT", (alg, named) => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: named });
    const expected = publicKey.export({ format: "der", type: "spki" });
    const jwk = publicKey.export({ format: "jwk" });
    const point = Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
    const wrapped = Buffer.concat([Buffer.of(0x04, point.length), point]);
    const curve = CURVES[alg];
    expect(Buffer.from(toSpki(curve, toPublicPoint(curve, wrapped))).equals(expected)).toBe(true);
    expect(Buffer.from(toSpki(curve, toPublicPoint(curve, point))).equals(expected)).toBe(true);
  });

  it("builds an Ed25519 SPKI (RFC 8410) node:crypto accepts", () => {
    const { publicKey } = generateKeyPairSync("ed25519");
    const expected = publicKey.export({ format: "der", type: "spki" });
    const raw = expected.subarray(expected.length - 32);
    const spki = toSpki(CURVES.Ed25519, toPublicPoint(CURVES.Ed25519, Buffer.concat([Buffer.of(4, 32), raw])));
    expect(Buffer.from(spki).equals(expected)).toBe(true);
    expect(createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" }).asymmetricKeyType).toBe("ed25519");
  });

  it("rejects malformed or compressed points", () => {
    const c = CURVES["P-256"];
    expect(code(() => toPublicPoint(c, new Uint8Array(66)))).toBe("ERR_HSM_UNAVAILABLE");
    expect(code(() => toPublicPoint(c, Buffer.concat([Buffer.of(4, 64), Buffer.alloc(65)])))).toBe("ERR_HSM_UNAVAILABLE");
    expect(code(() => toPublicPoint(c, Buffer.concat([Buffer.of(2), Buffer.alloc(64)])))).toBe("ERR_HSM_UNAVAILABLE");
  });

  it("maps EC params to curves, including the PrintableString form of edwards25519", () => {
    expect(curveFromEcParams(Buffer.from("06082a8648ce3d030107", "hex"))?.algorithm).toBe("P-256");
    expect(curveFromEcParams(Buffer.from("130c656477617264733235353139", "hex"))?.algorithm).toBe("Ed25519");
    expect(curveFromEcParams(Buffer.from("06052b81040023", "hex"))).toBeUndefined(); // P-521: not supported
  });
});

describe("ECDSA signature encodings", () => {
  it.each([
    ["P-256", "prime256v1", "sha256", 32],
    ["P-384", "secp384r1", "sha384", 48],
  ] as const)("converts raw r‖s to DER that node:crypto verifies (%s), and back", (_alg, named, hash, size) => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: named });
    for (let i = 0; i < 50; i++) {
      const data = randomBytes(20);
      const raw = sign(hash, data, { key: privateKey, dsaEncoding: "ieee-p1363" });
      const der = rawToDerSignature(raw);
      expect(verify(hash, data, { key: publicKey, dsaEncoding: "der" }, der)).toBe(true);
      expect(Buffer.from(derToRawSignature(der, size)).equals(raw)).toBe(true);
    }
  });

  it("encodes high-bit and leading-zero integers minimally", () => {
    const raw = Buffer.concat([Buffer.alloc(31), Buffer.of(0x80), Buffer.of(0x00, 0x01), Buffer.alloc(30, 0xff)]);
    // r = 0x80 needs a 0x00 sign byte; s = 0x0001ff… loses its leading zero.
    expect(Buffer.from(rawToDerSignature(raw)).toString("hex")).toBe(`30250202008002` + `1f01${"ff".repeat(30)}`);
  });

  it("refuses zero r or s and odd lengths", () => {
    expect(code(() => rawToDerSignature(new Uint8Array(64)))).toBe("ERR_HSM_SIGNATURE_INVALID");
    expect(code(() => rawToDerSignature(new Uint8Array(63).fill(1)))).toBe("ERR_HSM_SIGNATURE_INVALID");
  });

  it.each([
    ["non-minimal INTEGER", "3007020200010201" + "01"],
    ["negative INTEGER", "30060201800201" + "01"],
    ["trailing bytes", "30060201010201" + "01" + "00"],
    ["wrong outer tag", "31060201010201" + "01"],
    ["truncated", "3006020101020101".slice(0, 12)],
  ])("derToRawSignature rejects %s", (_name, hex) => {
    expect(code(() => derToRawSignature(Buffer.from(hex, "hex"), 32))).toBe("ERR_HSM_SIGNATURE_INVALID");
  });
});
