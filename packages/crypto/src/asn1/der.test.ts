import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../encoding/hex.ts";
import {
  TAG,
  ecdsaDerToRaw,
  ecdsaRawToDer,
  encodeTlv,
  encodeUnsignedInteger,
  parseDer,
  readBigInteger,
  readOid,
  readTime,
  readUnsignedInteger,
} from "./der.ts";
import { decodeOidContent, encodeOidContent } from "./oid.ts";

const malformed = expect.objectContaining({ code: "ERR_DER_MALFORMED" });

describe("parseDer accepts DER", () => {
  it("parses nested structures and keeps raw offsets", () => {
    const der = fromHex("3009020101300404020000");
    const root = parseDer(der);
    expect(root.tag).toBe(TAG.SEQUENCE);
    expect(root.children).toHaveLength(2);
    expect(readUnsignedInteger(root.children[0])).toEqual(Uint8Array.of(1));
    expect(root.children[1]!.children[0]!.tag).toBe(TAG.OCTET_STRING);
  });
  it("reads long-form lengths", () => {
    const content = new Uint8Array(300);
    const der = encodeTlv(TAG.OCTET_STRING, content);
    expect(toHex(der.subarray(0, 4))).toBe("0482012c");
    expect(parseDer(der).end).toBe(304);
  });
  it("reads signed integers", () => {
    expect(readBigInteger(parseDer(fromHex("0201ff")))).toBe(-1n);
    expect(readBigInteger(parseDer(fromHex("02020080")))).toBe(128n);
  });
});

describe("parseDer rejects non-DER and hostile input (SECURITY.md F10)", () => {
  it.each([
    ["indefinite length", "3080020101 0000"],
    ["non-minimal long length", "30 81 03 020101"],
    ["leading zero in length", "04 82 0001 00"],
    ["trailing bytes", "020101 00"],
    ["truncated content", "3005 0201"],
    ["truncated header", "30"],
    ["child overruns parent", "3003 020201"],
    ["BOOLEAN 0x01", "010101"],
    ["BOOLEAN of two bytes", "0102ffff"],
    ["BIT STRING with 8 unused bits", "03020800"],
    ["BIT STRING with non-zero padding", "03020101"],
    ["empty BIT STRING with unused bits", "030101"],
    ["non-minimal INTEGER (0x00 pad)", "02020001"],
    ["non-minimal INTEGER (0xff pad)", "0202ff80"],
    ["empty INTEGER", "0200"],
    ["NULL with content", "050100"],
    ["constructed OCTET STRING (BER)", "2403 040100"],
    ["primitive SEQUENCE", "1000"],
    ["high tag number form", "1f2200"],
    ["length over 4 bytes", "04 85 0000000001 00"],
    ["OID arc with leading 0x80", "0603 2a8001"],
    ["empty OID", "0600"],
    ["truncated OID arc", "0602 2a86"],
  ])("%s", (_name, hex) => {
    expect(() => parseDer(fromHex(hex.replace(/ /g, "")))).toThrow(malformed);
  });

  it("rejects an OID arc ≥ 2^32", () => {
    // 1.2.4294967296: arc 2^32 = 0x10 0x80 0x80 0x80 0x00 in base 128
    expect(() => parseDer(fromHex("0607 2a 9080808000".replace(/ /g, "")))).toThrow(malformed);
    expect(decodeOidContent(fromHex("2a8fffffff7f"))).toBe("1.2.4294967295");
  });

  it("accepts a 128-bit UUID arc only directly under 2.25 (ITU-T X.667), and nothing larger", () => {
    const uuidOid = "2.25.149194864563520997185944822368741744203";
    const encoded = encodeOidContent(uuidOid);
    expect(decodeOidContent(encoded)).toBe(uuidOid);
    expect(decodeOidContent(encodeOidContent(`${uuidOid}.7`))).toBe(`${uuidOid}.7`);
    const max = `2.25.${(1n << 128n) - 1n}`;
    expect(decodeOidContent(encodeOidContent(max))).toBe(max);
    expect(() => encodeOidContent(`2.25.${1n << 128n}`)).toThrow();
    // 2^128 under 2.25: 19 base-128 groups; the decoder refuses it.
    const tooBig = Uint8Array.from([0x69, 0x84, ...new Array(17).fill(0x80), 0x00]);
    expect(() => decodeOidContent(tooBig)).toThrow(malformed);
    // The same big arc elsewhere (under 2.26, or as the fourth arc under 2.25) is still refused.
    const elsewhere = Uint8Array.from([0x6a, ...encoded.subarray(1)]);
    expect(() => decodeOidContent(elsewhere)).toThrow(malformed);
    expect(() => decodeOidContent(Uint8Array.from([0x69, 0x01, ...encoded.subarray(1)]))).toThrow(malformed);
  });

  it("rejects 1000-deep nesting without a stack overflow", () => {
    let der: Uint8Array = encodeTlv(TAG.NULL, new Uint8Array());
    for (let i = 0; i < 1000; i++) der = encodeTlv(TAG.SEQUENCE, der);
    expect(() => parseDer(der)).toThrow(malformed);
    expect(() => parseDer(der, { maxDepth: 2000, maxNodes: 5000 })).not.toThrow();
  });

  it("caps the number of elements", () => {
    const many = new Uint8Array(2 * 30_000); // 30 000 empty OCTET STRINGs
    for (let i = 0; i < many.length; i += 2) many[i] = 0x04;
    expect(() => parseDer(encodeTlv(TAG.SEQUENCE, many))).toThrow(malformed);
  });

  it("rejects a 10k-arc OID before building it", () => {
    const content = new Uint8Array(10_000).fill(0x01);
    expect(() => decodeOidContent(content)).toThrow(malformed);
  });
});

describe("OIDs", () => {
  it.each(["1.2.840.10045.4.3.2", "2.5.29.17", "1.3.6.1.4.1.57264.1.8", "2.999.1", "0.39"])("round-trips %s", (o) => {
    expect(readOid(parseDer(encodeTlv(TAG.OID, encodeOidContent(o))))).toBe(o);
  });
  it.each(["1.40", "3.1", "1", "1..2", "1.2.4294967296"])("refuses to encode %s", (o) => {
    expect(() => encodeOidContent(o)).toThrow(expect.objectContaining({ code: "ERR_OID_MALFORMED" }));
  });
});

describe("times (RFC 5280 §4.1.2.5)", () => {
  const utc = (s: string) => parseDer(encodeTlv(TAG.UTC_TIME, new TextEncoder().encode(s)));
  const gen = (s: string) => parseDer(encodeTlv(TAG.GENERALIZED_TIME, new TextEncoder().encode(s)));
  it("parses UTCTime with the 1950 pivot and GeneralizedTime with fractions", () => {
    expect(readTime(utc("230712155635Z"))).toBe(Date.UTC(2023, 6, 12, 15, 56, 35));
    expect(readTime(utc("500101000000Z"))).toBe(Date.UTC(1950, 0, 1));
    expect(readTime(gen("20250612120220Z"))).toBe(Date.UTC(2025, 5, 12, 12, 2, 20));
    expect(readTime(gen("20250612120220.25Z"))).toBe(Date.UTC(2025, 5, 12, 12, 2, 20, 250));
  });
  it.each(["2307121556Z", "230712155635", "230712155635+0100", "231312155635Z", "230230155635Z", "23071215563aZ"])("rejects UTCTime %s", (s) => {
    expect(() => readTime(utc(s))).toThrow(malformed);
  });
  it.each(["20250612120220.50Z", "20250612120220.Z", "2025061212022Z"])("rejects GeneralizedTime %s", (s) => {
    expect(() => readTime(gen(s))).toThrow(malformed);
  });
});

describe("ECDSA signature encodings (SECURITY.md C1)", () => {
  it("round-trips raw r‖s through DER, including high-bit and short values", () => {
    const raw = new Uint8Array(64);
    raw[0] = 0x80;
    raw[31] = 1;
    raw[63] = 7;
    const der = ecdsaRawToDer(raw);
    expect(toHex(der.subarray(0, 4))).toBe("30260221");
    expect(ecdsaDerToRaw(der, 32)).toEqual(raw);
  });
  it.each([
    ["non-minimal r", "3007 02020001 020101"],
    ["negative s", "3006 020101 0201ff"],
    ["zero r", "3006 020100 020101"],
    ["trailing data", "3006 020101 020101 00"],
    ["three integers", "3009 020101 020101 020101"],
    ["long-form length on short data", "308106 020101 020101"],
  ])("rejects %s", (_n, hex) => {
    expect(() => ecdsaDerToRaw(fromHex(hex.replace(/ /g, "")), 32)).toThrow(expect.objectContaining({ code: "ERR_SIGNATURE_MALFORMED" }));
  });
  it("rejects r wider than the field", () => {
    const der = encodeTlv(TAG.SEQUENCE, new Uint8Array([...encodeUnsignedInteger(new Uint8Array(33).fill(1)), ...encodeUnsignedInteger(Uint8Array.of(1))]));
    expect(() => ecdsaDerToRaw(der, 32)).toThrow(expect.objectContaining({ code: "ERR_SIGNATURE_MALFORMED" }));
  });
});
