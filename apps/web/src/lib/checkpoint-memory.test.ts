import { describe, expect, it } from "vitest";
import { EMPTY_ROOT } from "@signet/crypto/merkle/rfc6962";
import {
  checkpointStorageKey,
  forgetRememberedCheckpoint,
  loadRememberedCheckpoint,
  parseRememberedCheckpoint,
  saveRememberedCheckpoint,
  serializeRememberedCheckpoint,
  type RememberedCheckpoint,
} from "./checkpoint-memory.ts";
import { memoryStorage } from "./test-support.ts";

const ORIGIN = "log.signet.test";
const CP: RememberedCheckpoint = { origin: ORIGIN, size: 42n, rootHash: new Uint8Array(32).fill(7), note: "note text", seenAt: 1_700_000_000_000 };

describe("remembered checkpoint storage (SECURITY.md E9)", () => {
  it("round-trips per origin", () => {
    const storage = memoryStorage();
    expect(loadRememberedCheckpoint(storage, ORIGIN)).toEqual({ kind: "none" });
    expect(saveRememberedCheckpoint(storage, CP)).toBe(true);
    expect(loadRememberedCheckpoint(storage, ORIGIN)).toEqual({ kind: "remembered", checkpoint: CP });
    // Another log's origin has its own slot.
    expect(loadRememberedCheckpoint(storage, "other.example")).toEqual({ kind: "none" });
    expect([...storage.map.keys()]).toEqual([checkpointStorageKey(ORIGIN)]);
    forgetRememberedCheckpoint(storage, ORIGIN);
    expect(loadRememberedCheckpoint(storage, ORIGIN)).toEqual({ kind: "none" });
  });

  it("stores sizes beyond 2^53 exactly", () => {
    const big = { ...CP, size: (1n << 62n) + 1n };
    expect(parseRememberedCheckpoint(serializeRememberedCheckpoint(big), ORIGIN)?.size).toBe((1n << 62n) + 1n);
  });

  it.each([
    ["not JSON", "{"],
    ["another version", JSON.stringify({ v: 2, origin: ORIGIN, size: "1", rootHash: "AA==" })],
    ["another origin", serializeRememberedCheckpoint({ ...CP, origin: "evil.example" })],
    ["a negative size", JSON.stringify({ v: 1, origin: ORIGIN, size: "-1", rootHash: Buffer.alloc(32).toString("base64") })],
    ["a leading zero", JSON.stringify({ v: 1, origin: ORIGIN, size: "01", rootHash: Buffer.alloc(32).toString("base64") })],
    ["a numeric size", JSON.stringify({ v: 1, origin: ORIGIN, size: 1, rootHash: Buffer.alloc(32).toString("base64") })],
    ["a size of 2^63", JSON.stringify({ v: 1, origin: ORIGIN, size: (1n << 63n).toString(), rootHash: Buffer.alloc(32).toString("base64") })],
    ["a 31-byte root", JSON.stringify({ v: 1, origin: ORIGIN, size: "1", rootHash: Buffer.alloc(31).toString("base64") })],
    ["bad base64", JSON.stringify({ v: 1, origin: ORIGIN, size: "1", rootHash: "!!!" })],
    ["null", "null"],
    ["a huge record", JSON.stringify({ v: 1, origin: ORIGIN, size: "1", rootHash: Buffer.alloc(32).toString("base64"), note: "x".repeat(300_000) })],
  ])("treats %s as unreadable, never as a checkpoint", (_label, raw) => {
    const storage = memoryStorage();
    storage.setItem(checkpointStorageKey(ORIGIN), raw);
    expect(loadRememberedCheckpoint(storage, ORIGIN)).toEqual({ kind: "unreadable" });
  });

  it("reads the empty tree", () => {
    const empty = { ...CP, size: 0n, rootHash: EMPTY_ROOT };
    expect(parseRememberedCheckpoint(serializeRememberedCheckpoint(empty), ORIGIN)).toEqual(empty);
  });

  it("survives storage that throws (disabled or full)", () => {
    const broken = {
      getItem: () => {
        throw new Error("SecurityError");
      },
      setItem: () => {
        throw new Error("QuotaExceededError");
      },
      removeItem: () => {
        throw new Error("SecurityError");
      },
    };
    expect(loadRememberedCheckpoint(broken, ORIGIN)).toEqual({ kind: "none" });
    expect(saveRememberedCheckpoint(broken, CP)).toBe(false);
    expect(() => forgetRememberedCheckpoint(broken, ORIGIN)).not.toThrow();
  });
});
