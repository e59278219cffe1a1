import { describe, expect, it } from "vitest";
import { readCapped } from "./read-capped.ts";

function stream(chunks: number[], onCancel?: () => void): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < chunks.length) c.enqueue(new Uint8Array(chunks[i++]!).fill(i));
      else c.close();
    },
    cancel: () => onCancel?.(),
  });
}

describe("readCapped", () => {
  it("returns every byte up to and including the cap, empty for no body", async () => {
    expect((await readCapped(stream([3, 4, 3]), 10))?.length).toBe(10);
    expect(Array.from((await readCapped(stream([1, 2]), 3))!)).toEqual([1, 2, 2]);
    expect((await readCapped(null, 0))?.length).toBe(0);
  });

  it("answers undefined and cancels the stream at the first chunk past the cap", async () => {
    let cancelled = false;
    expect(await readCapped(stream([4, 4, 4, 4], () => (cancelled = true)), 10)).toBeUndefined();
    expect(cancelled).toBe(true);
  });
});
