import { publicProcedure, router } from "../trpc.ts";

export const healthRouter = router({
  /** The api's own view of its dependencies (database, HSM sidecar). */
  status: publicProcedure.query(({ ctx }) => ctx.services.health.report()),
});
