import { describe, expect, it } from "vitest";
import { verifyCheckpoint } from "@signet/crypto/checkpoint/checkpoint";
import { createMemorySigner } from "@signet/hsm/signer";
import { canonicalize } from "@signet/crypto/json/canonical";
import { createLogKeys, setPayload, SignatureSelfCheckError, type LogSigner } from "./signing.ts";

const root = new Uint8Array(32).fill(7);

describe("createLogKeys: checkpoint self-check (B6)", () => {
  it("signs a checkpoint that verifies with the published key", async () => {
    const keys = await createLogKeys("log.example", createMemorySigner());
    const note = await keys.signCheckpoint(5n, root);
    const { checkpoint } = await verifyCheckpoint(note, [keys.noteVerifier], { origin: "log.example" });
    expect(checkpoint.size).toBe(5n);
  });

  it("refuses a checkpoint whose signature does not verify, even from a signer that claims it checked", async () => {
    const honest = createMemorySigner();
    // A faulty key holder (test double): a valid signature, but over other bytes.
    const liar: LogSigner = { publicKey: () => honest.publicKey(), sign: () => honest.sign(new TextEncoder().encode("something else")) };
    const keys = await createLogKeys("log.example", liar);
    await expect(keys.signCheckpoint(5n, root)).rejects.toBeInstanceOf(SignatureSelfCheckError);
  });

  it("refuses a signature by another key", async () => {
    const other = createMemorySigner();
    const published = createMemorySigner();
    const swapped: LogSigner = { publicKey: () => published.publicKey(), sign: (m) => other.sign(m) };
    const keys = await createLogKeys("log.example", swapped);
    await expect(keys.signCheckpoint(1n, root)).rejects.toBeInstanceOf(SignatureSelfCheckError);
  });
});

describe("createLogKeys: entry timestamp self-check (B6)", () => {
  const entry = { body: new TextEncoder().encode("{}"), integratedTime: 1765000000n, logIndex: 3n };

  it("verifies SETs made by the checkpoint signer when there is no separate entry signer", async () => {
    const honest = createMemorySigner();
    const keys = await createLogKeys("log.example", honest);
    const set = await keys.signEntryTimestamp(entry);
    expect(keys.verifyEntryTimestamp(entry, set)).toBe(true);
    // The same signer signing other bytes (a faulty key holder that claims it checked): refused.
    const liar: LogSigner = { publicKey: () => honest.publicKey(), sign: () => honest.sign(new TextEncoder().encode("something else")) };
    const lied = await createLogKeys("log.example", liar);
    await expect(lied.signEntryTimestamp(entry)).rejects.toBeInstanceOf(SignatureSelfCheckError);
  });

  it("takes a separate entry signer's SETs as they come (that signer checks its own) and checkpoints from the other", async () => {
    const key = createMemorySigner();
    let entrySigned = 0;
    const entrySigner: LogSigner = { publicKey: () => key.publicKey(), sign: (m) => (entrySigned++, key.sign(m)) };
    const keys = await createLogKeys("log.example", key, entrySigner);
    const set = await keys.signEntryTimestamp(entry);
    expect(entrySigned).toBe(1);
    expect(keys.verifyEntryTimestamp(entry, set)).toBe(true);
    await keys.signCheckpoint(4n, root);
    expect(entrySigned).toBe(1);
  });
});

describe("setPayload", () => {
  it("is exactly the RFC 8785 form of the SET fields", () => {
    const logId = "c0ffee".repeat(10) + "abcd";
    for (const [len, time, index] of [[0, 0n, 0n], [1, 1n, 1n], [2, 1765000000n, 999_999n], [1500, 1765000001n, 2n ** 53n - 1n], [3, 2n ** 53n, 2n ** 60n]] as const) {
      const body = new Uint8Array(len).map((_, i) => (i * 37 + 11) & 0xff);
      const expected = canonicalize({ body: Buffer.from(body).toString("base64"), integratedTime: Number(time), logID: logId, logIndex: Number(index) });
      expect(setPayload(logId, { body, integratedTime: time, logIndex: index }).toString()).toBe(expected);
      expect(setPayload(logId, { body: Buffer.from(body), integratedTime: time, logIndex: index }).toString()).toBe(expected);
    }
  });
});
