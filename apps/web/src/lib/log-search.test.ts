import { describe, expect, it } from "vitest";
import { isSignetWebError } from "../errors.ts";
import { isLogIndex, parseSearch, type SearchMode } from "./log-search.ts";

const HEX = "ab".repeat(32);

describe("parseSearch", () => {
  it("maps each mode to its search input or navigation", () => {
    expect(parseSearch("digest", ` SHA256:${HEX.toUpperCase()} `.replace("SHA256", "sha256"))).toEqual({ kind: "search", input: { artifactDigest: `sha256:${HEX}` } });
    expect(parseSearch("digest", HEX)).toEqual({ kind: "search", input: { artifactDigest: `sha256:${HEX}` } });
    expect(parseSearch("identity", " alice@example.com ")).toEqual({ kind: "search", input: { identity: "alice@example.com" } });
    expect(parseSearch("identityPrefix", "https://github.com/org/")).toEqual({ kind: "search", input: { identityPrefix: "https://github.com/org/" } });
    expect(parseSearch("issuer", "https://idp.example")).toEqual({ kind: "search", input: { issuer: "https://idp.example" } });
    expect(parseSearch("index", "42")).toEqual({ kind: "index", index: "42" });
    expect(parseSearch("uuid", HEX.toUpperCase())).toEqual({ kind: "uuid", uuid: HEX });
    expect(parseSearch("uuid", `0123456789abcdef${HEX}`)).toEqual({ kind: "uuid", uuid: `0123456789abcdef${HEX}` });
  });

  it.each([
    ["digest", "sha256:abc"],
    ["digest", `sha512:${HEX}`],
    ["index", "-1"],
    ["index", "007"],
    ["index", "9223372036854775808"],
    ["uuid", "xyz"],
    ["identity", "   "],
    ["issuer", "x".repeat(1025)],
  ] as const)("refuses %s %j with a sentence", (mode, text) => {
    let code = "no error";
    try {
      parseSearch(mode as SearchMode, text);
    } catch (e) {
      code = isSignetWebError(e) ? e.code : "untyped";
    }
    expect(code).toBe("ERR_WEB_POLICY_INVALID");
  });

  it("recognises log indexes as the entry page does", () => {
    expect(isLogIndex("0")).toBe(true);
    expect(isLogIndex("9223372036854775807")).toBe(true);
    for (const bad of ["", "01", "1.0", "-0", "9223372036854775808", "../1", "1 "]) expect(isLogIndex(bad), bad).toBe(false);
  });
});
