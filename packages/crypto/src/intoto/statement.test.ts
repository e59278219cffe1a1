import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { utf8 } from "../encoding/bytes.ts";
import { parseStatement } from "./statement.ts";

// Fixture: the in-toto statement of the sigstore-conformance corpus.
const vectors = new URL("../../../../../shared/vectors/", import.meta.url);
const statementBytes = readFileSync(new URL("sigstore-conformance/statement.json", vectors));
const malformed = expect.objectContaining({ code: "ERR_INTOTO_MALFORMED" });
const json = (v: unknown) => utf8(JSON.stringify(v));
const good = { _type: "https://in-toto.io/Statement/v1", subject: [{ name: "a", digest: { sha256: "AB".repeat(32) } }], predicateType: "https://slsa.dev/provenance/v1", predicate: {} };

describe("parseStatement", () => {
  it("parses the corpus statement", () => {
    const s = parseStatement(statementBytes);
    expect(s.subject.length).toBeGreaterThan(0);
    expect(s.predicateType).toMatch(/^https:\/\//);
  });
  it("normalises digests to lower case", () => {
    expect(parseStatement(json(good)).subject[0]!.digest.sha256).toBe("ab".repeat(32));
  });
  it.each([
    ["not JSON", utf8("{")],
    ["not UTF-8", Uint8Array.of(0xff)],
    ["an array", json([])],
    ["unknown _type", json({ ...good, _type: "x" })],
    ["no subjects", json({ ...good, subject: [] })],
    ["33 subjects (cap 32)", json({ ...good, subject: Array.from({ length: 33 }, () => good.subject[0]) })],
    ["non-hex digest", json({ ...good, subject: [{ name: "a", digest: { sha256: "zz" } }] })],
    ["digest not an object", json({ ...good, subject: [{ name: "a", digest: "ab" }] })],
    ["missing predicateType", json({ ...good, predicateType: undefined })],
  ])("rejects %s", (_n, bytes) => {
    expect(() => parseStatement(bytes)).toThrow(malformed);
  });
});
