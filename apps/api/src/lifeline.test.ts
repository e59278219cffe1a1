import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { stopWithParent } from "./lifeline.ts";

const tick = () => new Promise((r) => setImmediate(r));

describe("stopWithParent", () => {
  it("stops once, when stdin ends", async () => {
    const stdin = new PassThrough();
    let stops = 0;
    expect(stopWithParent("stdin", stdin, () => stops++)).toBe(true);
    stdin.write("ignored");
    await tick();
    expect(stops).toBe(0);
    stdin.end();
    await tick();
    await tick();
    expect(stops).toBe(1); // "end" then "close": still one stop
  });

  it("stops when stdin fails", async () => {
    const stdin = new PassThrough();
    let stops = 0;
    stopWithParent("stdin", stdin, () => stops++);
    stdin.destroy(new Error("EPIPE"));
    await tick();
    expect(stops).toBe(1);
  });

  it("does nothing without the lifeline", async () => {
    const stdin = new PassThrough();
    let stops = 0;
    expect(stopWithParent(undefined, stdin, () => stops++)).toBe(false);
    stdin.end();
    await tick();
    expect(stops).toBe(0);
  });
});
