/**
 * The issued-certificate recorder on a real PostgreSQL: every record the CA waits for is committed
 * when its promise resolves, concurrent records share inserts, and a failed insert fails every
 * issuance in it (none is answered without its row).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, sqlOf, type Db, type Sql } from "../../db.ts";
import { migrate } from "../../db/migrate.ts";
import { createTestDatabase } from "../../testing/database.ts";
import type { CertificateRecord } from "./issue.ts";
import { createCertificateRecorder, listIssuedCertificates } from "./records.ts";

function record(identity = "dev@example.test", serialNumber = randomBytes(20).toString("hex")): CertificateRecord {
  const now = Math.floor(Date.now() / 1000) * 1000;
  return {
    der: new Uint8Array(randomBytes(600 + randomBytes(1)[0]!)), // lengths differ, as real certificates do
    serialNumber,
    fingerprint: randomBytes(32).toString("hex"),
    identity,
    issuer: "https://accounts.example.test",
    subject: "account-1",
    notBefore: new Date(now),
    notAfter: new Date(now + 600_000),
  };
}

describe("createCertificateRecorder (PostgreSQL)", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase("records");
    await migrate(database.url);
    db = createDb(database.url);
  });
  afterAll(async () => {
    await db?.$disconnect();
    await database?.drop();
  });

  it("commits a record, byte for byte, before it resolves", async () => {
    const r = record("one@example.test");
    await createCertificateRecorder(db)(r);
    const [row] = await listIssuedCertificates(db, { identity: "one@example.test", limit: 10, withDer: true });
    expect(row).toMatchObject({
      serial: r.serialNumber,
      fingerprint: r.fingerprint,
      identity: r.identity,
      issuer: r.issuer,
      notBefore: r.notBefore.toISOString(),
      notAfter: r.notAfter.toISOString(),
      der: Buffer.from(r.der).toString("base64"),
    });
  });

  it("groups concurrent records into few inserts and resolves each only once it is stored", async () => {
    const statements: string[] = [];
    const sql = sqlOf(db);
    const counting: Sql = {
      query: (text, params) => {
        statements.push(text);
        return sql.query(text, params);
      },
    };
    const recordCertificate = createCertificateRecorder(counting, { maxBatch: 64 });
    const rs = Array.from({ length: 200 }, () => record("many@example.test"));
    await Promise.all(
      rs.map(async (r) => {
        await recordCertificate(r);
        const rows = await db.issuedCertificate.findMany({ where: { serial: r.serialNumber }, select: { serial: true } });
        expect(rows).toHaveLength(1);
      }),
    );
    expect(await db.issuedCertificate.count({ where: { identity: "many@example.test" } })).toBe(200);
    // Each row holds its own certificate, byte for byte (the DERs of a batch travel as one parameter).
    const stored = new Map((await listIssuedCertificates(db, { identity: "many@example.test", limit: 500, withDer: true })).map((row) => [row.serial, row.der]));
    for (const r of rs) expect(stored.get(r.serialNumber)).toBe(Buffer.from(r.der).toString("base64"));
    // The first two inserts start alone (two in flight); the other 198 wait and go in ⌈198/64⌉ = 4 more.
    expect(statements.length).toBeLessThanOrEqual(6);
  });

  it("fails every record of a failed insert and stores none of them", async () => {
    // One INSERT at a time, so that the three records below share the one after the blocker.
    const recordCertificate = createCertificateRecorder(db, { maxInFlight: 1 });
    const existing = record("dup@example.test");
    await recordCertificate(existing);
    // A serial collision makes the whole multi-row insert fail.
    const batch = [record("dup@example.test", existing.serialNumber), record("dup@example.test"), record("dup@example.test")];
    const blocker = recordCertificate(record("dup@example.test"));
    const results = await Promise.allSettled(batch.map((r) => recordCertificate(r)));
    await blocker;
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(await db.issuedCertificate.count({ where: { identity: "dup@example.test" } })).toBe(2);
    // The recorder keeps working after a failure.
    await recordCertificate(record("dup@example.test"));
    expect(await db.issuedCertificate.count({ where: { identity: "dup@example.test" } })).toBe(3);
  });

  it("refuses records beyond maxPending with a 503 instead of queueing without bound", async () => {
    const recordCertificate = createCertificateRecorder(db, { maxPending: 2, maxInFlight: 1 });
    const first = recordCertificate(record("busy@example.test")); // in flight
    const queued = [recordCertificate(record("busy@example.test")), recordCertificate(record("busy@example.test"))];
    const refused = await recordCertificate(record("busy@example.test")).catch((e: unknown) => e as { code: string; kind: string });
    expect(refused).toMatchObject({ code: "ERR_CA_RECORD_BUSY", kind: "UNAVAILABLE" });
    await Promise.all([first, ...queued]);
    expect(await db.issuedCertificate.count({ where: { identity: "busy@example.test" } })).toBe(3);
  });
});
