// The key policy's fast path for canonical EC keys (no OpenSSL round trip) must decide exactly as
// OpenSSL does: cross-checked against Node's key import and @noble/curves on every supported curve.
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { describe, expect, it } from "vitest";
import type { Curve } from "@signet/crypto/keys";
import { checkLeafPublicKey, isCanonicalEcSpki, isPointOnCurve } from "./public-key.ts";

const NODE_CURVE: Record<Curve, string> = { "P-256": "prime256v1", "P-384": "secp384r1", "P-521": "secp521r1" };
const NOBLE = { "P-256": p256, "P-384": p384, "P-521": p521 } as const;
const SIZE: Record<Curve, number> = { "P-256": 32, "P-384": 48, "P-521": 66 };

function spkiOf(curve: Curve): Uint8Array {
  return new Uint8Array(generateKeyPairSync("ec", { namedCurve: NODE_CURVE[curve] }).publicKey.export({ format: "der", type: "spki" }));
}

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

function openSslAccepts(spki: Uint8Array): boolean {
  try {
    createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
    return true;
  } catch {
    return false;
  }
}

describe("canonical EC keys", () => {
  for (const curve of ["P-256", "P-384", "P-521"] as const) {
    it(`${curve}: accepts real keys, refuses points off the curve or outside the field, as OpenSSL does`, () => {
      for (let i = 0; i < 20; i++) {
        const spki = spkiOf(curve);
        expect(isCanonicalEcSpki(spki)).toBe(true);
        const checked = checkLeafPublicKey(spki);
        expect(checked.info.kind).toBe("ecdsa");
        // The KeyObject is made on demand and is the same key.
        expect(Buffer.from(checked.key.export({ format: "der", type: "spki" })).equals(Buffer.from(spki))).toBe(true);

        const point = spki.subarray(spki.length - (1 + 2 * SIZE[curve]));
        expect(isPointOnCurve(curve, point)).toBe(true);
        expect(() => NOBLE[curve].Point.fromBytes(point).assertValidity()).not.toThrow();

        // y + 1: off the curve. Both OpenSSL and this check must refuse it.
        const off = Uint8Array.from(spki);
        off[off.length - 1]! ^= 1;
        expect(isPointOnCurve(curve, off.subarray(off.length - point.length))).toBe(false);
        expect(openSslAccepts(off)).toBe(false);
        expect(code(() => checkLeafPublicKey(off))).toBe("ERR_CA_PUBLIC_KEY_INVALID");
      }
    });

    it(`${curve}: refuses coordinates ≥ p and the all-zero point`, () => {
      const n = SIZE[curve];
      const spki = spkiOf(curve);
      const prefix = spki.subarray(0, spki.length - (1 + 2 * n));
      const ones = new Uint8Array(n).fill(0xff);
      if (curve === "P-521") ones[0] = 0x01; // 2^521 − 1 = p itself
      const y = spki.subarray(spki.length - n);
      for (const point of [Uint8Array.from([4, ...ones, ...y]), Uint8Array.from([4, ...new Uint8Array(2 * n)])]) {
        const bad = Uint8Array.from([...prefix, ...point]);
        expect(isPointOnCurve(curve, point)).toBe(false);
        expect(openSslAccepts(bad)).toBe(false);
        expect(code(() => checkLeafPublicKey(bad))).toBe("ERR_CA_PUBLIC_KEY_INVALID");
      }
    });
  }

  it("only the exact canonical layout takes the fast path", () => {
    const spki = spkiOf("P-256");
    expect(isCanonicalEcSpki(spki.subarray(0, spki.length - 1))).toBe(false);
    expect(isCanonicalEcSpki(Uint8Array.from([...spki, 0]))).toBe(false);
    const compressedTag = Uint8Array.from(spki);
    compressedTag[26] = 0x02;
    expect(isCanonicalEcSpki(compressedTag)).toBe(false);
    expect(code(() => checkLeafPublicKey(compressedTag))).toBe("ERR_CA_PUBLIC_KEY_INVALID");
    const rsa = new Uint8Array(generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "der", type: "spki" }));
    expect(isCanonicalEcSpki(rsa)).toBe(false);
    expect(checkLeafPublicKey(rsa).info.kind).toBe("rsa");
  });
});
