import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { toHex } from "@signet/crypto/encoding/hex";
import { HASH_READ_BUFFER_BYTES, hashStream, type HashProgress } from "./hash-stream.ts";
import { readAndHash } from "./read-and-hash.ts";

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
  });
}

describe("hashStream (FIPS 180-4 SHA-256, streaming)", () => {
  it("matches the known answer for 'abc' split across chunks", async () => {
    const { digest, bytes } = await hashStream(streamOf([new TextEncoder().encode("a"), new TextEncoder().encode("bc")]));
    expect(toHex(digest)).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(bytes).toBe(3);
  });

  it("hashes the empty stream", async () => {
    expect(toHex((await hashStream(streamOf([]))).digest)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("agrees with Node's SHA-256 on 5 MiB in uneven chunks and reports throttled progress", async () => {
    const data = new Uint8Array(5 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
    const chunks: Uint8Array[] = [];
    for (let off = 0; off < data.length; off += 65_537) chunks.push(data.subarray(off, off + 65_537));
    let clock = 0;
    const seen: HashProgress[] = [];
    const result = await hashStream(streamOf(chunks), { total: data.length, onProgress: (p) => seen.push(p), progressIntervalMs: 100, now: () => (clock += 30) });
    expect(toHex(result.digest)).toBe(createHash("sha256").update(data).digest("hex"));
    expect(result.bytes).toBe(data.length);
    // One report per 100 ms of (fake) time, not one per chunk, and always a final one.
    expect(seen.length).toBeLessThan(chunks.length);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.at(-1)).toMatchObject({ bytes: data.length, total: data.length });
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.bytes).toBeGreaterThanOrEqual(seen[i - 1]!.bytes);
  });

  it("stops when aborted and cancels the stream", async () => {
    const controller = new AbortController();
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new Uint8Array(1024));
        controller.abort(new Error("stop"));
      },
      cancel() {
        cancelled = true;
      },
    });
    await expect(hashStream(stream, { signal: controller.signal })).rejects.toThrow("stop");
    expect(cancelled).toBe(true);
  });

  it("passes a stream error on", async () => {
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        c.error(new Error("disk gone"));
      },
    });
    await expect(hashStream(stream)).rejects.toThrow("disk gone");
  });

  it("reads a byte stream (Blob.stream()) into one reused buffer and agrees with Node's SHA-256", async () => {
    const data = new Uint8Array(2 * HASH_READ_BUFFER_BYTES + 12_345).map((_, i) => (i * 7 + 3) & 0xff);
    const bufferSizes: number[] = [];
    let pulls = 0;
    // A byte stream that records which buffers it was handed to fill.
    const stream = new ReadableStream({
      type: "bytes",
      pull(controller) {
        const req = controller.byobRequest!;
        const view = req.view! as Uint8Array;
        bufferSizes.push(view.buffer.byteLength);
        const n = Math.min(view.byteLength, 300_000, data.length - pulls);
        if (n === 0) {
          controller.close();
          req.respond(0);
          return;
        }
        view.set(data.subarray(pulls, pulls + n));
        pulls += n;
        req.respond(n);
      },
    }) as ReadableStream<Uint8Array>;
    const result = await hashStream(stream);
    expect(toHex(result.digest)).toBe(createHash("sha256").update(data).digest("hex"));
    expect(result.bytes).toBe(data.length);
    // Every pull filled the one 1 MiB buffer (transferred back and forth, never reallocated per chunk).
    expect(bufferSizes.length).toBeGreaterThan(8);
    for (const size of bufferSizes) expect(size).toBe(HASH_READ_BUFFER_BYTES);
    expect((await hashStream(new Blob([data]).stream())).digest).toEqual(result.digest);
  });

  it("readAndHash without keeping bytes notices a file whose size changed", async () => {
    const liar = new Blob(["abcdef"]);
    Object.defineProperty(liar, "size", { value: 5 });
    await expect(readAndHash(liar, { keepBytes: false })).rejects.toMatchObject({ code: "ERR_SIGN_ARTIFACT_CHANGED" });
    const ok = await readAndHash(new Blob(["abc"]), { keepBytes: false });
    expect(ok.content).toBeUndefined();
    expect(toHex(ok.digest)).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
