/**
 * Issued certificates, searchable by identity (newest first), so a person can notice a certificate
 * they did not ask for (/me in the portal) and monitors can watch an identity.
 */
import { z } from "zod";
import { DomainError } from "../errors.ts";
import { publicProcedure, router } from "../trpc.ts";

export const certificatesRouter = router({
  byIdentity: publicProcedure
    .input(
      z
        .object({
          identity: z.string().min(1).max(2048),
          limit: z.number().int().min(1).max(100).default(25),
          before: z.iso.datetime().optional(),
        })
        .strict(),
    )
    .query(async ({ ctx, input }) => {
      const db = ctx.services.db;
      if (!db) throw new DomainError("UNAVAILABLE", "ERR_CA_UNAVAILABLE", "certificate search is not available");
      const rows = await db.issuedCertificate.findMany({
        where: { identity: input.identity, ...(input.before ? { createdAt: { lt: new Date(input.before) } } : {}) },
        orderBy: { createdAt: "desc" },
        take: input.limit,
        select: { serial: true, fingerprint: true, identity: true, issuer: true, notBefore: true, notAfter: true, createdAt: true, der: true },
      });
      return rows.map((r) => ({
        serial: r.serial,
        fingerprint: r.fingerprint,
        identity: r.identity,
        issuer: r.issuer,
        notBefore: r.notBefore.toISOString(),
        notAfter: r.notAfter.toISOString(),
        issuedAt: r.createdAt.toISOString(),
        der: Buffer.from(r.der).toString("base64"),
      }));
    }),
});
