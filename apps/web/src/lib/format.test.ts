import { describe, expect, it } from "vitest";
import { formatBytes, formatRate, formatUtc, hasInvisible, revealInvisible, shortHex, truncateText } from "./format.ts";

describe("formatBytes / formatRate / formatUtc", () => {
  it("uses binary units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(5 * 1024 ** 3)).toBe("5.0 GiB");
    expect(formatBytes(-1)).toBe("?");
    expect(formatBytes(Number.NaN)).toBe("?");
  });

  it("gives a rate only once time has passed", () => {
    expect(formatRate(1024 * 1024, 1000)).toBe("1.0 MiB/s");
    expect(formatRate(10, 0)).toBe("—");
  });

  it("formats UTC to the second and refuses nonsense", () => {
    expect(formatUtc(Date.UTC(2025, 10, 25, 12, 50, 3))).toBe("2025-11-25 12:50:03 UTC");
    expect(formatUtc(Number.POSITIVE_INFINITY)).toBe("?");
    expect(formatUtc(8.64e15 + 1)).toBe("?");
  });
});

describe("revealInvisible (SECURITY.md G6)", () => {
  it("makes bidi overrides, zero-width and control characters visible", () => {
    const spoof = "alice\u202Emoc.live@\u200Bx\u0007";
    expect(hasInvisible(spoof)).toBe(true);
    expect(revealInvisible(spoof)).toBe("alice⟨U+202E⟩moc.live@⟨U+200B⟩x⟨U+0007⟩");
    // Repeated calls give the same answer (no global-regex state leaks between calls).
    expect(hasInvisible(spoof)).toBe(true);
    expect(hasInvisible(spoof)).toBe(true);
  });

  it("leaves ordinary text, markup and non-Latin scripts alone", () => {
    for (const text of ["<img src=x onerror=alert(1)>", "ünïcødé", "名前@例え.jp", "a\nb\tc"]) {
      expect(hasInvisible(text)).toBe(false);
      expect(revealInvisible(text)).toBe(text);
    }
  });
});

describe("truncateText / shortHex", () => {
  it("cuts by code point, never inside a surrogate pair", () => {
    expect(truncateText("abc", 3)).toEqual({ shown: "abc", truncated: false, length: 3 });
    const emoji = "😀😀😀";
    expect(truncateText(emoji, 2)).toEqual({ shown: "😀😀", truncated: true, length: 3 });
    expect(truncateText("x".repeat(1_000_000), 10).shown).toHaveLength(10);
  });

  it("shortens hashes", () => {
    expect(shortHex("0123456789abcdef", 4)).toBe("0123…");
    expect(shortHex("01", 4)).toBe("01");
  });
});
