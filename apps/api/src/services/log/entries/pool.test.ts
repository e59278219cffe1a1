import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { getPriority } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { DomainError } from "../../../errors.ts";
import { createEntryPool, POOL_WORKER_NICE, type EntryPool } from "./pool.ts";
import { prepareRekorV1Entry } from "./prepare.ts";
import { v1Entry, v2Request } from "./test-support.ts";

const bytes = (o: unknown) => Buffer.from(JSON.stringify(o));
const pools: EntryPool[] = [];
const pool = (opts: Parameters<typeof createEntryPool>[0]) => {
  const p = createEntryPool(opts);
  pools.push(p);
  return p;
};
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

async function errorOf(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (e) {
    return e as DomainError;
  }
  throw new Error("expected a rejection");
}

describe.each([0, 2])("entry pool with %i worker threads", (workers) => {
  const p = pool({ workers });

  it("prepares the same entry as the inline code, with Buffers", async () => {
    const { entry } = v1Entry();
    const got = await p.prepareV1(bytes(entry));
    const want = prepareRekorV1Entry(bytes(entry));
    expect(Buffer.isBuffer(got.body) && Buffer.isBuffer(got.leafHash)).toBe(true);
    expect(got).toEqual(want);
    const v2 = await p.prepareV2(bytes(v2Request().request));
    expect(v2.apiVersion).toBe("0.0.2");
  });

  it("carries entry errors across with their code and status, and many tasks of one tick each get their own answer", async () => {
    const bad = await errorOf(p.prepareV1(Buffer.from('{"kind":"hashedrekord","kind":"x"}')));
    expect(bad).toBeInstanceOf(DomainError);
    expect([bad.code, bad.status]).toEqual(["ERR_ENTRY_MALFORMED", 400]);
    const tampered = v1Entry({ signature: Buffer.alloc(72, 1) }).entry;
    const results = await Promise.allSettled([...Array.from({ length: 20 }, (_, i) => p.prepareV1(bytes(v1Entry({ artifact: Buffer.from(`a${i}`) }).entry))), p.prepareV1(bytes(tampered))]);
    expect(results.slice(0, 20).every((r) => r.status === "fulfilled")).toBe(true);
    expect((results[20] as PromiseRejectedResult).reason).toMatchObject({ code: "ERR_ENTRY_SIGNATURE_INVALID" });
  });

  it("verifies ECDSA signatures, false for a wrong one or malformed input", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const spki = publicKey.export({ format: "der", type: "spki" });
    const data = Buffer.from("signed entry timestamp");
    const sig = sign("sha256", data, { key: privateKey, dsaEncoding: "der" });
    expect(await p.verifyEcdsa(spki, "sha256", data, sig)).toBe(true);
    expect(await p.verifyEcdsa(spki, "sha256", Buffer.from("other"), sig)).toBe(false);
    expect(await p.verifyEcdsa(Buffer.from("not a key"), "sha256", data, sig)).toBe(false);
    expect(await p.verifyEcdsa(spki, "sha256", data, createHash("sha256").digest())).toBe(false);
  });
});

describe("entry pool faults", () => {
  it("answers 503 for the tasks of a worker that died, starts another, and keeps serving", async () => {
    const lines: string[] = [];
    const p = pool({ workers: 1, workerModule: new URL("../../../testing/pool-crash-worker.ts", import.meta.url), log: (l) => lines.push(l) });
    const ok = bytes(v1Entry().entry);
    await expect(p.prepareV1(ok)).resolves.toMatchObject({ kind: "hashedrekord" });
    const crashed = await errorOf(p.prepareV1(Buffer.from("crash")));
    expect([crashed.code, crashed.status]).toEqual(["ERR_LOG_UNAVAILABLE", 503]);
    await expect(p.prepareV1(ok)).resolves.toMatchObject({ kind: "hashedrekord" });
    expect(lines.some((l) => l.includes("entry worker stopped"))).toBe(true);
  });

  it("refuses work after close", async () => {
    const p = createEntryPool({ workers: 1 });
    await p.close();
    await expect(p.prepareV1(bytes(v1Entry().entry))).rejects.toMatchObject({ code: "ERR_LOG_UNAVAILABLE" });
  });
});

describe.runIf(process.platform === "linux" && getPriority() === 0)("entry pool thread priority", () => {
  it("runs its worker threads at POOL_WORKER_NICE and leaves the calling thread's priority alone", async () => {
    const niceOfThreads = () =>
      readdirSync("/proc/self/task").map((tid) => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
        // Field 19 (nice) counted after the parenthesised command name, which may contain spaces.
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
      });
    const before = niceOfThreads().filter((n) => n === POOL_WORKER_NICE).length;
    const p = pool({ workers: 2 });
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const spki = publicKey.export({ type: "spki", format: "der" });
    const data = Buffer.from("warm both workers");
    const sig = sign("sha256", data, privateKey);
    await Promise.all(Array.from({ length: 8 }, () => p.verifyEcdsa(spki, "sha256", data, sig)));
    expect(niceOfThreads().filter((n) => n === POOL_WORKER_NICE).length).toBe(before + 2);
    expect(getPriority()).toBe(0);
  });
});
