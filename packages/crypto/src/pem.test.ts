import { describe, expect, it } from "vitest";
import { parsePem, parsePemBlocks, toPem } from "./pem.ts";

const malformed = expect.objectContaining({ code: "ERR_PEM_MALFORMED" });
const der = Uint8Array.from({ length: 100 }, (_, i) => i);

describe("PEM (RFC 7468)", () => {
  it("round-trips with 64-column lines and CRLF input", () => {
    const pem = toPem(der, "CERTIFICATE");
    expect(pem.split("\n")[1]).toHaveLength(64);
    expect(parsePem(pem, "CERTIFICATE")).toEqual(der);
    expect(parsePem(pem.replace(/\n/g, "\r\n"), "CERTIFICATE")).toEqual(der);
    expect(parsePemBlocks(`text before\n${pem}${toPem(der, "PUBLIC KEY")}`).map((b) => b.label)).toEqual(["CERTIFICATE", "PUBLIC KEY"]);
  });
  it.each([
    ["unterminated block", "-----BEGIN CERTIFICATE-----\nAAAA\n"],
    ["mismatched END label", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END PUBLIC KEY-----\n"],
    ["bad base64", "-----BEGIN CERTIFICATE-----\nA*AA\n-----END CERTIFICATE-----\n"],
    ["encapsulated headers", "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\nAAAA\n-----END CERTIFICATE-----\n"],
    ["binary garbage", "\u0000\u0001"],
  ])("rejects %s", (_n, text) => {
    expect(() => parsePemBlocks(text)).toThrow(malformed);
  });
  it("needs exactly one block of the asked label, and caps the size", () => {
    expect(() => parsePem(toPem(der, "CERTIFICATE"), "PUBLIC KEY")).toThrow(malformed);
    expect(() => parsePem(toPem(der, "CERTIFICATE").repeat(2), "CERTIFICATE")).toThrow(malformed);
    expect(() => parsePem("", "CERTIFICATE")).toThrow(malformed);
    expect(() => parsePemBlocks("A".repeat(300 * 1024))).toThrow(malformed);
  });
});
