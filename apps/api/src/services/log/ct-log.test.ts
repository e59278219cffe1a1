/**
 * The engine's CT log front (ct-log.ts) over a stand-in for the log service: the SCT is signed while the
 * leaf commits but answered only after the commit, never for a leaf whose commit failed.
 */
import { createHash, createPublicKey, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createMemorySigner } from "@signet/hsm/signer";
import type { Signer } from "@signet/hsm/signer";
import { sctSignatureInput } from "../ca/ct-log.ts";
import { createEngineCtLog } from "./ct-log.ts";
import type { LogService } from "./log-service.ts";

const submission = {
  tbsWithoutSct: Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01),
  issuerKeyHash: new Uint8Array(32).fill(7),
  precertificate: () => Promise.reject(new Error("the engine's CT log must not ask for the signed precertificate")),
  chain: [],
  search: { identity: "dev@example.test", issuer: "https://issuer.example.test" },
};

function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** A LogService stand-in whose commit settles when the test says so; it records what was committed. */
function pendingLog() {
  const commits: Array<{ body: Buffer; done: ReturnType<typeof deferred> }> = [];
  const log = {
    commit: (entry: { body: Buffer }) => {
      const done = deferred();
      commits.push({ body: entry.body, done });
      return done.promise;
    },
  } as unknown as LogService;
  return { log, commits };
}

/** A signer that counts its signatures. */
function counting(inner: Signer): Signer & { signed: number } {
  const s = { algorithm: inner.algorithm, publicKey: () => inner.publicKey(), signed: 0, sign: async (d: Uint8Array) => (s.signed++, inner.sign(d)) };
  return s;
}

describe("createEngineCtLog", () => {
  it("signs the SCT while the leaf commits, and answers it only after the commit", async () => {
    const { log, commits } = pendingLog();
    const signer = counting(createMemorySigner());
    const ct = await createEngineCtLog(log, signer, () => 1_700_000_000_000);
    let answered = false;
    const sct = ct.submitPrecertificate(submission).then((v) => ((answered = true), v));
    await new Promise((r) => setTimeout(r, 20));
    expect(commits).toHaveLength(1);
    expect(signer.signed).toBe(1); // already signed…
    expect(answered).toBe(false); // …but held back until the commit
    commits[0]!.done.resolve();
    const bytes = Buffer.from(await sct);
    // The SCT: v1, log ID, timestamp, no extensions, then a signature over the fields the leaf commits.
    expect(bytes[0]).toBe(0);
    expect(bytes.subarray(1, 33)).toEqual(ct.logId);
    expect(bytes.readBigUInt64BE(33)).toBe(1_700_000_000_000n);
    const der = bytes.subarray(33 + 8 + 2 + 4);
    const input = sctSignatureInput({ timestamp: 1_700_000_000_000, issuerKeyHash: submission.issuerKeyHash, tbs: submission.tbsWithoutSct });
    const key = createPublicKey({ key: ct.spki, format: "der", type: "spki" });
    expect(verify("sha256", input, { key, dsaEncoding: "der" }, der)).toBe(true);
    // The committed leaf is the same fields under the leaf's version and type.
    expect(commits[0]!.body.subarray(2)).toEqual(Buffer.from(input).subarray(2));
    expect(createHash("sha256").update(ct.spki).digest()).toEqual(ct.logId);
  });

  it("hands the signed SCT to the submitter before the commit, the same bytes it answers after it", async () => {
    const { log, commits } = pendingLog();
    const ct = await createEngineCtLog(log, createMemorySigner(), () => 1_700_000_000_000);
    const early: Uint8Array[] = [];
    let answered = false;
    const sct = ct.submitPrecertificate({ ...submission, sctSigned: (s) => void early.push(s) }).then((v) => ((answered = true), v));
    await new Promise((r) => setTimeout(r, 20));
    expect(early).toHaveLength(1);
    expect(answered).toBe(false);
    commits[0]!.done.resolve();
    expect(Buffer.from(await sct)).toEqual(Buffer.from(early[0]!));
    // A submitter whose callback throws still gets its SCT after the commit.
    const throwing = ct.submitPrecertificate({ ...submission, sctSigned: () => { throw new Error("submitter bug"); } });
    await new Promise((r) => setTimeout(r, 20));
    commits[1]!.done.resolve();
    expect((await throwing).length).toBeGreaterThan(40);
  });

  it("answers no SCT when the commit fails", async () => {
    const { log, commits } = pendingLog();
    const ct = await createEngineCtLog(log, createMemorySigner());
    const sct = ct.submitPrecertificate(submission);
    await new Promise((r) => setTimeout(r, 5));
    commits[0]!.done.reject(new Error("commit failed"));
    await expect(sct).rejects.toThrow("commit failed");
  });
});
