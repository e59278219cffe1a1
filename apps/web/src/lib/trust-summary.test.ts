import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { summarizeTrustedRoot } from "./trust-summary.ts";

const ROOTS = new URL("../../../../../shared/vectors/trusted-roots/", import.meta.url);

describe("summarizeTrustedRoot", () => {
  it("summarises Sigstore's public-good root", () => {
    const s = summarizeTrustedRoot(readFileSync(new URL("public-good-production.trusted_root.json", ROOTS), "utf8"));
    expect(s.kind).toBe("readable");
    if (s.kind !== "readable") return;
    expect(s.tlogHosts).toContain("rekor.sigstore.dev");
    expect(s.certificateAuthorities.length).toBeGreaterThan(0);
    expect(s.ctlogs).toBeGreaterThan(0);
  });

  it("reports a malformed root with its code instead of throwing", () => {
    expect(summarizeTrustedRoot("{}")).toMatchObject({ kind: "unreadable", code: "ERR_TRUSTED_ROOT_MALFORMED" });
    expect(summarizeTrustedRoot("not json")).toMatchObject({ kind: "unreadable", code: "ERR_TRUSTED_ROOT_MALFORMED" });
  });
});
