import { readdirSync } from "node:fs";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { startTestApi } from "./api.ts";

const sidecarDirs = () => new Set(readdirSync(os.tmpdir()).filter((d) => d.startsWith("signet-hsm-")));

describe("startTestApi", () => {
  it("cleans up the HSM sidecar and the database when the api fails to start", async () => {
    const before = sidecarDirs();
    await expect(startTestApi({ SIGNET_ISSUERS_FILE: "/nonexistent/issuers.json" })).rejects.toThrow();
    const leftover = [...sidecarDirs()].filter((d) => !before.has(d));
    expect(leftover).toEqual([]);
  });
});
