import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodeBase64Strict, decodeDigestHex, decodePemBlock, toPem } from "./encoding.ts";
import { isPointOnCurve } from "./keys.ts";
import { codeOf, key, pem } from "./test-support.ts";

describe("decodeBase64Strict", () => {
  it("accepts exactly the canonical standard padded form", () => {
    for (let n = 0; n < 8; n++) {
      const bytes = crypto.randomBytes(n);
      expect(decodeBase64Strict(bytes.toString("base64"), "x", 16).equals(bytes)).toBe(true);
    }
  });

  it.each([
    ["missing padding", "QQ"],
    ["url-safe alphabet", "-_8="],
    ["whitespace", "QUJD RA=="],
    ["newline", "QUJD\nRA=="],
    ["non-zero trailing bits", "QR=="],
    ["padding in the middle", "QQ==QUJD"],
    ["non-ASCII", "QUJDé==="],
    ["too long for the cap", "QUJDRA=="],
  ])("rejects %s", (_, text) => {
    expect(codeOf(() => decodeBase64Strict(text, "x", 3))).toBe("ERR_ENTRY_MALFORMED");
  });
});

describe("decodePemBlock and toPem", () => {
  const der = key("P-256").spki;

  it("round-trips with Go's pem.Encode layout and accepts other line layouts", () => {
    const canonical = toPem(der, "PUBLIC KEY");
    expect(canonical).toBe(pem(der, "PUBLIC KEY"));
    const b64 = der.toString("base64");
    for (const text of [canonical, canonical.replace(/\n/g, "\r\n"), `-----BEGIN PUBLIC KEY-----\n${b64}\n-----END PUBLIC KEY-----`, `\n  ${canonical}\n\n`]) {
      const { label, der: out } = decodePemBlock(Buffer.from(text), "x");
      expect(label).toBe("PUBLIC KEY");
      expect(out.equals(der)).toBe(true);
    }
  });

  it.each([
    ["no armour", (p: string) => p.split("\n").slice(1, -2).join("\n")],
    ["mismatched END label", (p: string) => p.replace("END PUBLIC KEY", "END CERTIFICATE")],
    ["text before the block", (p: string) => "hello\n" + p],
    ["a second block", (p: string) => p + p],
    ["an encapsulated header", (p: string) => p.replace("-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n")],
    ["a non-ASCII byte", (p: string) => p.replace("M", "\u00e9")],
    ["an empty body", () => "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"],
  ])("rejects %s", (_, mutate) => {
    expect(codeOf(() => decodePemBlock(Buffer.from(mutate(pem(der, "PUBLIC KEY"))), "x"))).toBe("ERR_ENTRY_MALFORMED");
  });

  it("refuses labels other than CERTIFICATE and PUBLIC KEY with ERR_ENTRY_KEY_UNSUPPORTED", () => {
    for (const label of ["EC PUBLIC KEY", "RSA PUBLIC KEY", "PRIVATE KEY", "X509 CRL"]) {
      const text = pem(der, "PUBLIC KEY").replace(/PUBLIC KEY/g, label);
      expect(codeOf(() => decodePemBlock(Buffer.from(text), "x"))).toBe("ERR_ENTRY_KEY_UNSUPPORTED");
    }
  });
});

describe("decodeDigestHex", () => {
  it("takes only lower-case hex of the exact length", () => {
    const d = crypto.randomBytes(32);
    expect(decodeDigestHex(d.toString("hex"), "x", 32).equals(d)).toBe(true);
    for (const bad of [d.toString("hex").toUpperCase(), d.toString("hex").slice(1), d.toString("hex") + "0", " " + d.toString("hex").slice(1), "g".repeat(64)]) {
      expect(codeOf(() => decodeDigestHex(bad, "x", 32))).toBe("ERR_ENTRY_DIGEST_INVALID");
    }
  });
});

describe("isPointOnCurve", () => {
  it.each(["P-256", "P-384", "P-521"] as const)("accepts real %s keys and refuses any single-bit change", (curve) => {
    for (let i = 0; i < 5; i++) {
      const spki = crypto.generateKeyPairSync("ec", { namedCurve: curve }).publicKey.export({ type: "spki", format: "der" });
      const size = { "P-256": 65, "P-384": 97, "P-521": 133 }[curve];
      const point = spki.subarray(spki.length - size);
      expect(isPointOnCurve(curve, point)).toBe(true);
      const flipped = Buffer.from(point);
      flipped[1 + ((i * 7) % (size - 1))]! ^= 1 << i;
      expect(isPointOnCurve(curve, flipped)).toBe(false);
    }
  });

  it("refuses coordinates ≥ p, compressed forms and wrong lengths", () => {
    const p256 = Buffer.concat([Buffer.of(4), Buffer.alloc(64, 0xff)]);
    expect(isPointOnCurve("P-256", p256)).toBe(false);
    const spki = key("P-256").spki;
    const point = spki.subarray(spki.length - 65);
    expect(isPointOnCurve("P-256", Buffer.concat([Buffer.of(2), point.subarray(1, 33)]))).toBe(false);
    expect(isPointOnCurve("P-384", point)).toBe(false);
  });
});
