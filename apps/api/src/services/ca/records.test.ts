/**
 * The issued-certificate recorder's queue discipline, over an in-memory Sql double whose INSERTs finish
 * only when the test says so (records.integration.test.ts runs the same recorder on PostgreSQL).
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Sql } from "../../db.ts";
import type { CertificateRecord } from "./issue.ts";
import { createCertificateRecorder } from "./records.ts";

function record(): CertificateRecord {
  return {
    der: new Uint8Array(randomBytes(64)),
    serialNumber: randomBytes(20).toString("hex"),
    fingerprint: randomBytes(32).toString("hex"),
    identity: "dev@example.test",
    issuer: "https://accounts.example.test",
    subject: "account-1",
    notBefore: new Date(0),
    notAfter: new Date(600_000),
  };
}

/** A Sql whose every statement waits until `finish(i)` (or `fail(i)`); `serials[i]` are the rows of statement i. */
function heldSql() {
  const calls: { serials: string[]; done: (e?: Error) => void }[] = [];
  const sql: Sql = {
    query: <Rows extends unknown[]>(text: string, params: readonly unknown[]) => {
      expect(text).toMatch(/^\s*INSERT INTO issued_certificates/);
      return new Promise<Rows>((resolve, reject) => {
        calls.push({ serials: params[0] as string[], done: (e) => (e ? reject(e) : resolve([] as unknown[] as Rows)) });
      });
    },
  };
  return { sql, calls };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("createCertificateRecorder", () => {
  it("runs up to maxInFlight INSERTs at once and puts what arrives meanwhile into one more", async () => {
    const { sql, calls } = heldSql();
    const recordCertificate = createCertificateRecorder(sql, { maxInFlight: 2 });
    const rs = Array.from({ length: 5 }, record);
    const settled = new Set<number>();
    const promises = rs.map((r, i) => recordCertificate(r).then(() => settled.add(i)));
    await tick();
    // Records 0 and 1 each start an INSERT; 2–4 wait for a free one.
    expect(calls.map((c) => c.serials)).toEqual([[rs[0]!.serialNumber], [rs[1]!.serialNumber]]);
    calls[1]!.done();
    await tick();
    // Record 1 resolves only with its own INSERT committed; the freed loop takes all three waiting records.
    expect([...settled]).toEqual([1]);
    expect(calls[2]!.serials).toEqual(rs.slice(2).map((r) => r.serialNumber));
    calls[2]!.done();
    await tick();
    expect([...settled].sort()).toEqual([1, 2, 3, 4]);
    calls[0]!.done();
    await Promise.all(promises);
    expect(calls).toHaveLength(3);
  });

  it("with maxInFlight 1, a record never starts an INSERT while another is running", async () => {
    const { sql, calls } = heldSql();
    const recordCertificate = createCertificateRecorder(sql, { maxInFlight: 1 });
    const promises = [record(), record(), record()].map((r) => recordCertificate(r));
    await tick();
    expect(calls).toHaveLength(1);
    calls[0]!.done();
    await tick();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.serials).toHaveLength(2);
    calls[1]!.done();
    await Promise.all(promises);
  });

  it("rejects every record of a failed INSERT, none of another, and keeps working", async () => {
    const { sql, calls } = heldSql();
    const recordCertificate = createCertificateRecorder(sql, { maxInFlight: 1 });
    const first = recordCertificate(record());
    const batch = [recordCertificate(record()), recordCertificate(record())];
    await tick();
    calls[0]!.done();
    await tick();
    calls[1]!.done(new Error("unique violation"));
    await expect(first).resolves.toBeUndefined();
    const results = await Promise.allSettled(batch);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    const later = recordCertificate(record());
    await tick();
    calls[2]!.done();
    await expect(later).resolves.toBeUndefined();
  });

  it("refuses records beyond maxPending with ERR_CA_RECORD_BUSY (503)", async () => {
    const { sql, calls } = heldSql();
    const recordCertificate = createCertificateRecorder(sql, { maxInFlight: 2, maxPending: 2 });
    const running = [recordCertificate(record()), recordCertificate(record())];
    const queued = [recordCertificate(record()), recordCertificate(record())];
    const refused = await recordCertificate(record()).catch((e: unknown) => e as { code: string; kind: string });
    expect(refused).toMatchObject({ code: "ERR_CA_RECORD_BUSY", kind: "UNAVAILABLE" });
    await tick();
    calls[0]!.done();
    calls[1]!.done();
    await tick();
    for (const c of calls.slice(2)) c.done();
    await Promise.all([...running, ...queued]);
  });

  it("splits a long queue into INSERTs of at most maxBatch rows", async () => {
    const { sql, calls } = heldSql();
    const recordCertificate = createCertificateRecorder(sql, { maxInFlight: 1, maxBatch: 3 });
    const promises = Array.from({ length: 8 }, () => recordCertificate(record()));
    for (let i = 0; i < 4; i++) {
      await tick();
      calls[i]!.done();
    }
    await Promise.all(promises);
    expect(calls.map((c) => c.serials.length)).toEqual([1, 3, 3, 1]);
  });
});
