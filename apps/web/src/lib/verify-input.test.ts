import { describe, expect, it } from "vitest";
import { isSignetWebError } from "../errors.ts";
import { escapeRegex, parseDigestInput, toVerificationPolicy } from "./verify-input.ts";

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isSignetWebError(e) ? e.code : "untyped";
  }
  return undefined;
}

const HEX = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

describe("parseDigestInput", () => {
  it("accepts sha256:<hex> with spaces around and upper-case hex", () => {
    expect(parseDigestInput(`  sha256:${HEX.toUpperCase()} `)).toHaveLength(32);
    expect(Buffer.from(parseDigestInput(`sha256:${HEX}`)).toString("hex")).toBe(HEX);
  });

  it.each([
    ["bare hex", HEX],
    ["another algorithm", `sha512:${HEX}`],
    ["a short digest", `sha256:${HEX.slice(2)}`],
    ["a long digest", `sha256:${HEX}00`],
    ["non-hex", `sha256:${HEX.slice(1)}g`],
    ["an inner space", `sha256: ${HEX}`],
    ["empty", ""],
    ["huge input", `sha256:${HEX}${" ".repeat(10_000)}`],
  ])("rejects %s with ERR_WEB_DIGEST_MALFORMED", (_label, text) => {
    expect(code(() => parseDigestInput(text))).toBe("ERR_WEB_DIGEST_MALFORMED");
  });
});

describe("toVerificationPolicy", () => {
  it("builds exact and regex identity matchers", () => {
    expect(
      toVerificationPolicy({ mode: "identity", identity: { value: " alice@example.com ", match: "exact" }, issuer: { value: "https://idp\\.example/.*", match: "regex" } }),
    ).toEqual({ identity: { subjectAlternativeName: { exact: "alice@example.com" }, issuer: { regex: "https://idp\\.example/.*" } } });
  });

  it("passes a PEM key through for a managed-key bundle", () => {
    const pem = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n";
    expect(toVerificationPolicy({ mode: "key", publicKeyPem: pem })).toEqual({ publicKey: pem });
  });

  it.each([
    ["an empty identity", { mode: "identity", identity: { value: " ", match: "exact" }, issuer: { value: "x", match: "exact" } }],
    ["an empty issuer", { mode: "identity", identity: { value: "a", match: "exact" }, issuer: { value: "", match: "regex" } }],
    ["a regex that does not compile", { mode: "identity", identity: { value: "(", match: "regex" }, issuer: { value: "x", match: "exact" } }],
    ["a too long identity", { mode: "identity", identity: { value: "a".repeat(1025), match: "exact" }, issuer: { value: "x", match: "exact" } }],
    ["a key that is not PEM", { mode: "key", publicKeyPem: "MFkwEwYHKoZIzj0CAQ" }],
  ] as const)("rejects %s with ERR_WEB_POLICY_INVALID", (_label, form) => {
    expect(code(() => toVerificationPolicy(form))).toBe("ERR_WEB_POLICY_INVALID");
  });

  it("escapes literals for use in a pattern", () => {
    const literal = "https://github.com/o/r/.github/workflows/a.yml@refs/heads/main";
    expect(new RegExp(`^${escapeRegex(literal)}$`, "u").test(literal)).toBe(true);
    expect(new RegExp(`^${escapeRegex("a.b")}$`, "u").test("axb")).toBe(false);
  });
});
