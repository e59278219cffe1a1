/**
 * Issued certificates, searchable by identity (newest first), so a person can notice a certificate
 * they did not ask for (/me in the portal) and monitors can watch an identity.
 */
import { z } from "zod";
import { DomainError } from "../errors.ts";
import { publicProcedure, router } from "../trpc.ts";
import { listIssuedCertificates } from "../services/ca/records.ts";

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
      return listIssuedCertificates(db, { identity: input.identity, limit: input.limit, withDer: true, ...(input.before ? { before: input.before } : {}) });
    }),
});
