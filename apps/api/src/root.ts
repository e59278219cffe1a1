import { createCallerFactory, router } from "./trpc.ts";
import { healthRouter } from "./routers/health.ts";
import { logRouter } from "./routers/log.ts";
import { certificatesRouter } from "./routers/certificates.ts";
import { authRouter } from "./routers/auth.ts";
import { caRouter } from "./routers/ca.ts";

export const appRouter = router({
  health: healthRouter,
  log: logRouter,
  certificates: certificatesRouter,
  auth: authRouter,
  ca: caRouter,
});

/** The router type the web app imports (types only). */
export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
