import { describe, expect, it } from "vitest";
import { createHealthService } from "./health.ts";

describe("health service", () => {
  it("is ok when every check answers", async () => {
    const r = await createHealthService({ database: async () => undefined, hsm: async () => ({ keys: 1 }) }).report();
    expect(r.status).toBe("ok");
    expect(r.checks.hsm?.detail).toEqual({ keys: 1 });
  });
  it("is degraded when a check throws or hangs", async () => {
    const r = await createHealthService(
      { database: async () => { throw new Error("down"); }, hsm: () => new Promise(() => {}) },
      50,
    ).report();
    expect(r.status).toBe("degraded");
    expect(r.checks.database?.status).toBe("unreachable");
    expect(r.checks.hsm?.status).toBe("unreachable");
  });
});
