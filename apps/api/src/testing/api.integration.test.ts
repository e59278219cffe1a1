import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startTestApi } from "./api.ts";

describe("startTestApi", () => {
  it("cleans up the HSM sidecar and the database when the api fails to start", async () => {
    // A private temporary directory: other test files start sidecars in the shared one meanwhile.
    const tmp = mkdtempSync(path.join(os.tmpdir(), "signet-cleanup-"));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      expect(os.tmpdir()).toBe(tmp);
      await expect(startTestApi({ SIGNET_ISSUERS_FILE: "/nonexistent/issuers.json" })).rejects.toThrow();
      // Threads of the half-built api may still be finishing for a moment; a leak is what stays.
      const sidecars = () => readdirSync(tmp).filter((d) => d.startsWith("signet-hsm-"));
      for (let i = 0; i < 20 && sidecars().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(sidecars()).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
