import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromBase64 } from "../encoding/base64.ts";
import { findLogsById, hostOf, parseTrustedRoot } from "./trusted-root.ts";
import { isWithin, parseRfc3339 } from "./time-range.ts";

/** Fixture JSON is untyped: tests reach into it freely. */
type Json = ReturnType<typeof JSON.parse>;

// Fixtures: Sigstore public-good trusted roots (vectors/trusted-roots, from sigstore-python).
const vectors = new URL("../../../../../shared/vectors/", import.meta.url);
const prodJson = JSON.parse(readFileSync(new URL("trusted-roots/public-good-production.trusted_root.json", vectors), "utf8"));
const stagingText = readFileSync(new URL("trusted-roots/public-good-staging.trusted_root.json", vectors), "utf8");
const malformed = expect.objectContaining({ code: "ERR_TRUSTED_ROOT_MALFORMED" });

describe("parseTrustedRoot", () => {
  it("parses the production and staging roots", () => {
    const prod = parseTrustedRoot(prodJson);
    expect(prod.tlogs.map((t) => t.host)).toEqual(["rekor.sigstore.dev", "log2025-1.rekor.sigstore.dev"]);
    expect(prod.tlogs[1]!.publicKey?.kind).toBe("ed25519");
    expect(prod.certificateAuthorities[1]!.certChain).toHaveLength(2);
    expect(prod.ctlogs[0]!.validFor.end).toBe(Date.parse("2022-10-31T23:59:59.999Z"));
    const staging = parseTrustedRoot(stagingText);
    // The old staging CT key is a bare PKCS#1 RSAPublicKey: wrapped into an SPKI.
    expect(staging.ctlogs[0]!.publicKey).toMatchObject({ kind: "rsa" });
  });

  it("finds logs by ID and time, inclusive of validFor.end (INTEROP.md §7)", () => {
    const prod = parseTrustedRoot(prodJson);
    const id = fromBase64("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=");
    expect(findLogsById(prod.tlogs, id)).toHaveLength(1);
    expect(findLogsById(prod.tlogs, id, Date.parse("2021-01-12T11:53:26Z"))).toHaveLength(0);
    const ct = prod.ctlogs[0]!;
    expect(isWithin(ct.validFor, ct.validFor.end!)).toBe(true);
    expect(isWithin(ct.validFor, ct.validFor.end! + 1)).toBe(false);
  });

  const mutate = (f: (r: Json) => void) => {
    const r = structuredClone(prodJson);
    f(r);
    return r;
  };
  it.each([
    ["missing validFor.start (conformance trust-root-tlog-missing-validity-start_fail)", (r: Json) => delete r.tlogs[0].publicKey.validFor.start],
    ["missing validFor", (r: Json) => delete r.certificateAuthorities[0].validFor],
    ["end before start", (r: Json) => (r.tlogs[0].publicKey.validFor.end = "2020-01-01T00:00:00Z")],
    ["bad timestamp", (r: Json) => (r.tlogs[0].publicKey.validFor.start = "2021-13-01T00:00:00Z")],
    ["unknown media type", (r: Json) => (r.mediaType = "application/json")],
    ["bad certificate", (r: Json) => (r.certificateAuthorities[0].certChain.certificates[0].rawBytes = "AAAA")],
    ["empty chain", (r: Json) => (r.certificateAuthorities[0].certChain.certificates = [])],
    ["bad key", (r: Json) => (r.tlogs[0].publicKey.rawBytes = "AAAA")],
    ["unknown hash algorithm", (r: Json) => (r.tlogs[0].hashAlgorithm = "SHA1")],
    ["unknown field", (r: Json) => (r.tlogs[0].extra = 1)],
  ])("rejects %s", (_n, f) => {
    expect(() => parseTrustedRoot(mutate(f))).toThrow(malformed);
  });
});

describe("time ranges and hosts", () => {
  it("parses RFC 3339 with fractions and offsets", () => {
    expect(parseRfc3339("2022-10-31T23:59:59.999Z")).toBe(Date.UTC(2022, 9, 31, 23, 59, 59, 999));
    expect(parseRfc3339("2022-10-31T23:59:59.999000Z")).toBe(Date.UTC(2022, 9, 31, 23, 59, 59, 999));
    expect(parseRfc3339("2022-11-01T01:00:00+01:00")).toBe(Date.UTC(2022, 11 - 1, 1, 0, 0, 0));
  });
  it.each(["2022-02-30T00:00:00Z", "2022-10-31 23:59:59Z", "1667260799", 5, null])("rejects %j", (v) => {
    expect(() => parseRfc3339(v)).toThrow();
  });
  it("takes the host with port from a base URL", () => {
    expect(hostOf("https://rekor.sigstore.dev")).toBe("rekor.sigstore.dev");
    expect(hostOf("http://localhost:8000/api")).toBe("localhost:8000");
    expect(hostOf("log2025-1.rekor.sigstore.dev")).toBe("log2025-1.rekor.sigstore.dev");
  });
});
