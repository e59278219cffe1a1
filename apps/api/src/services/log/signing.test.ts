import { describe, expect, it } from "vitest";
import { verifyCheckpoint } from "@signet/crypto/checkpoint/checkpoint";
import { createMemorySigner } from "@signet/hsm/signer";
import { createLogKeys, SignatureSelfCheckError, type LogSigner } from "./signing.ts";

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
