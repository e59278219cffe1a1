import { describe, expect, it } from "vitest";
import { SIGNING_CONFIG_MEDIA_TYPE, parseSigningConfig, selectServices } from "./signing-config.ts";

const svc = (url: string, major: number, start: string, operator: string, end?: string) => ({ url, majorApiVersion: major, validFor: { start, ...(end ? { end } : {}) }, operator });
const config = {
  mediaType: SIGNING_CONFIG_MEDIA_TYPE,
  caUrls: [svc("https://fulcio.example", 1, "2023-01-01T00:00:00Z", "example")],
  oidcUrls: [svc("https://oauth2.example/auth", 1, "2023-01-01T00:00:00Z", "example")],
  rekorTlogUrls: [
    svc("https://rekor.example", 1, "2021-01-01T00:00:00Z", "example"),
    svc("https://log2025-1.rekor.example", 2, "2025-09-01T00:00:00Z", "example"),
    svc("https://log2025-0.rekor.example", 2, "2025-03-01T00:00:00Z", "example", "2025-09-30T00:00:00Z"),
    svc("https://rekor.other.example", 2, "2025-01-01T00:00:00Z", "other"),
  ],
  rekorTlogConfig: { selector: "ANY" },
  tsaUrls: [svc("https://tsa.example/api/v1/timestamp", 1, "2024-01-01T00:00:00Z", "example")],
  tsaConfig: { selector: "ANY" },
};
const now = Date.parse("2025-09-15T00:00:00Z");

describe("SigningConfig v0.2", () => {
  it("selects the newest valid service with the highest supported version", () => {
    const sc = parseSigningConfig(JSON.stringify(config));
    expect(selectServices(sc.rekorTlogUrls, { now, supportedApiVersions: [1, 2] }).map((s) => s.url)).toEqual(["https://log2025-1.rekor.example"]);
    expect(selectServices(sc.rekorTlogUrls, { now, supportedApiVersions: [1] }).map((s) => s.url)).toEqual(["https://rekor.example"]);
  });
  it("keeps at most one service per operator", () => {
    const sc = parseSigningConfig(config);
    const all = selectServices(sc.rekorTlogUrls, { now, supportedApiVersions: [2], config: { selector: "ALL", count: 0 } });
    expect(all.map((s) => s.operator)).toEqual(["example", "other"]);
    expect(selectServices(sc.rekorTlogUrls, { now, supportedApiVersions: [2], config: { selector: "EXACT", count: 2 } })).toHaveLength(2);
    expect(() => selectServices(sc.rekorTlogUrls, { now, supportedApiVersions: [2], config: { selector: "EXACT", count: 3 } })).toThrow(
      expect.objectContaining({ code: "ERR_SIGNING_CONFIG_NO_SERVICE" }),
    );
  });
  it("finds nothing outside validity", () => {
    const sc = parseSigningConfig(config);
    expect(() => selectServices(sc.caUrls, { now: Date.parse("2020-01-01T00:00:00Z"), supportedApiVersions: [1] })).toThrow(
      expect.objectContaining({ code: "ERR_SIGNING_CONFIG_NO_SERVICE" }),
    );
  });
  it.each([
    ["wrong media type", { ...config, mediaType: "x" }],
    ["string API version", { ...config, caUrls: [{ ...config.caUrls[0], majorApiVersion: "1" }] }],
    ["non-http URL", { ...config, caUrls: [{ ...config.caUrls[0], url: "file:///etc/passwd" }] }],
    ["unknown selector", { ...config, tsaConfig: { selector: "SOME" } }],
    ["EXACT without count", { ...config, tsaConfig: { selector: "EXACT" } }],
    ["missing validFor", { ...config, caUrls: [{ url: "https://x", majorApiVersion: 1, operator: "" }] }],
  ])("rejects %s", (_n, c) => {
    expect(() => parseSigningConfig(c)).toThrow(expect.objectContaining({ code: "ERR_SIGNING_CONFIG_MALFORMED" }));
  });
});
