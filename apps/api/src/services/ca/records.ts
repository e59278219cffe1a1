/**
 * The CA's records of issued certificates: the writer the CA calls before it answers (group-committed
 * inserts), and, newest first, one query and one DTO shape for every listing (public search by
 * identity, and the signed-in person's own certificates).
 */
import type { Db } from "../../db.ts";
import { DomainError } from "../../errors.ts";
import type { CertificateRecord } from "./issue.ts";

export interface CertificateRecorderOptions {
  /** Most records in one INSERT. */
  maxBatch?: number;
  /** Records waiting beyond this are refused (503) rather than queued without bound (SECURITY.md G-A2). */
  maxPending?: number;
}

interface PendingRecord {
  record: CertificateRecord;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * `recordCertificate` for createCertificateAuthority: stores each issued certificate in
 * issued_certificates and resolves only once its row is committed. Records that arrive while an
 * insert is in flight go together into the next one (one multi-row INSERT, one commit): a Prisma
 * `create` per certificate cost ~0.44 ms of api CPU, a batched row ~0.05 ms. A failed insert fails
 * every issuance in it (none is answered without its record).
 */
export function createCertificateRecorder(db: Db, options: CertificateRecorderOptions = {}): (record: CertificateRecord) => Promise<void> {
  const maxBatch = options.maxBatch ?? 512;
  const maxPending = options.maxPending ?? 8192;
  let queue: PendingRecord[] = [];
  let writing = false;

  async function insert(batch: readonly CertificateRecord[]): Promise<void> {
    await db.$executeRaw`
      INSERT INTO issued_certificates (serial, fingerprint, identity, issuer, not_before, not_after, der)
      SELECT * FROM unnest(
        ${batch.map((r) => r.serialNumber)}::text[], ${batch.map((r) => r.fingerprint)}::text[],
        ${batch.map((r) => r.identity)}::text[], ${batch.map((r) => r.issuer)}::text[],
        ${batch.map((r) => r.notBefore)}::timestamptz[], ${batch.map((r) => r.notAfter)}::timestamptz[],
        ${batch.map((r) => Buffer.from(r.der.buffer, r.der.byteOffset, r.der.byteLength))}::bytea[])`;
  }

  async function drain(): Promise<void> {
    writing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
        queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
        try {
          await insert(batch.map((p) => p.record));
          for (const p of batch) p.resolve();
        } catch (e) {
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      writing = false;
    }
  }

  return (record) => {
    if (queue.length >= maxPending) {
      return Promise.reject(new DomainError("UNAVAILABLE", "ERR_CA_RECORD_BUSY", "too many certificates waiting to be recorded; retry shortly", 1));
    }
    return new Promise<void>((resolve, reject) => {
      queue.push({ record, resolve, reject });
      // Start now when idle; otherwise the running drain picks this up with everything queued meanwhile.
      if (!writing) void drain();
    });
  };
}

export interface IssuedCertificateDto {
  serial: string;
  fingerprint: string;
  identity: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  issuedAt: string;
  /** base64 DER, when asked for. */
  der?: string;
}

export async function listIssuedCertificates(
  db: Db,
  q: { identity: string; issuer?: string; before?: string; limit: number; withDer?: boolean },
): Promise<IssuedCertificateDto[]> {
  const rows = await db.issuedCertificate.findMany({
    where: { identity: q.identity, ...(q.issuer !== undefined ? { issuer: q.issuer } : {}), ...(q.before ? { createdAt: { lt: new Date(q.before) } } : {}) },
    orderBy: { createdAt: "desc" },
    take: q.limit,
    select: { serial: true, fingerprint: true, identity: true, issuer: true, notBefore: true, notAfter: true, createdAt: true, der: q.withDer === true },
  });
  return rows.map((r) => ({
    serial: r.serial,
    fingerprint: r.fingerprint,
    identity: r.identity,
    issuer: r.issuer,
    notBefore: r.notBefore.toISOString(),
    notAfter: r.notAfter.toISOString(),
    issuedAt: r.createdAt.toISOString(),
    ...(q.withDer && r.der ? { der: Buffer.from(r.der).toString("base64") } : {}),
  }));
}
