/**
 * The CA's records of issued certificates, newest first: one query and one DTO shape for every
 * listing (public search by identity, and the signed-in person's own certificates).
 */
import type { Db } from "../../db.ts";

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
