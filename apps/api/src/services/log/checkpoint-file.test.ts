import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCheckpointFile } from "./checkpoint-file.ts";

const { SLOT } = createRequire(import.meta.url)("./checkpoint-writer.cjs") as { SLOT: number };
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
    expect(f.read()).toBe("note 49\n");
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

  it("keeps two slots, writes the one not holding the newest note, and survives either slot being torn", () => {
    const file = path.join(dir, "d", "log.checkpoint");
    const f = createCheckpointFile(file);
    f.write("note 1\n");
    f.write("note 2\n");
    f.write("note 3\n");
    expect(statSync(file).size).toBe(2 * SLOT);
    const text = readFileSync(file, "utf8");
    // Both slots readable as text: note 3 replaced note 1, note 2 is still there.
    expect(text).toContain("note 3\n");
    expect(text).toContain("note 2\n");
    expect(text).not.toContain("note 1\n");
    expect(f.read()).toBe("note 3\n");

    // A power cut in the middle of the next write spoils the slot being written (the one with note 2):
    // the newest intact note is still note 3.
    const newestAt = text.indexOf("note 3\n") < SLOT ? 0 : 1;
    const tear = (slot: number, at: number) => {
      const fd = openSync(file, "r+");
      writeSync(fd, Buffer.from("\0\0garbage"), 0, 9, slot * SLOT + at);
      closeSync(fd);
    };
    tear(1 - newestAt, 40);
    expect(f.read()).toBe("note 3\n");
    // The next write goes to the spoilt slot, never over note 3.
    f.write("note 4\n");
    expect(f.read()).toBe("note 4\n");
    expect(readFileSync(file, "utf8")).toContain("note 3\n");
    // A torn header of the first slot still leaves a readable second slot.
    tear(0, 0);
    expect(f.read()).toMatch(/^note [34]\n$/);
  });

  it("refuses a slotted file with no intact slot, and reads and upgrades the single-note format", () => {
    const file = path.join(dir, "e.checkpoint");
    const f = createCheckpointFile(file);
    f.write("note 1\n");
    f.write("note 2\n");
    const fd = openSync(file, "r+");
    // One byte of each slot's digest changed: both slots fail their check.
    writeSync(fd, Buffer.from("x"), 0, 1, 40);
    writeSync(fd, Buffer.from("x"), 0, 1, SLOT + 40);
    closeSync(fd);
    expect(() => f.read()).toThrow(/neither checkpoint slot is intact/);

    const legacy = path.join(dir, "f.checkpoint");
    writeFileSync(legacy, "legacy note\n");
    const g = createCheckpointFile(legacy);
    expect(g.read()).toBe("legacy note\n");
    g.write("new note\n");
    expect(statSync(legacy).size).toBe(2 * SLOT);
    expect(g.read()).toBe("new note\n");
  });

  it("refuses a note that does not fit a slot", () => {
    const f = createCheckpointFile(path.join(dir, "g.checkpoint"));
    expect(() => f.write("x".repeat(5000))).toThrow(/does not fit/);
  });
});
