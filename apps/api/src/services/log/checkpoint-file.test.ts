import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCheckpointFile } from "./checkpoint-file.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "signet-cpfile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("checkpoint file", () => {
  it("writes synchronously and reads back; absent reads as undefined", () => {
    const f = createCheckpointFile(path.join(dir, "a", "log.checkpoint"));
    expect(f.read()).toBeUndefined();
    f.write("note 1\n");
    expect(f.read()).toBe("note 1\n");
  });

  it("publishes on the writer thread; notes handed in meanwhile collapse into the newest and all resolve", async () => {
    const f = createCheckpointFile(path.join(dir, "b", "log.checkpoint"));
    const done = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => f.publish(`note ${i}\n`)));
    expect(done.every((d) => d.status === "fulfilled")).toBe(true);
    expect(readFileSync(f.path, "utf8")).toBe("note 49\n");
    await f.publish("note 50\n");
    expect(f.read()).toBe("note 50\n");
  });

  it("rejects the publications a failed write covered, and writes again afterwards", async () => {
    const blocker = path.join(dir, "c");
    writeFileSync(blocker, "a file where the directory should be");
    const f = createCheckpointFile(path.join(blocker, "log.checkpoint"));
    await expect(f.publish("note\n")).rejects.toThrow(/ENOTDIR|EEXIST/);
    rmSync(blocker);
    await f.publish("note again\n");
    expect(f.read()).toBe("note again\n");
  });
});
