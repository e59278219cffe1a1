/**
 * tRPC set-up: context → init → error formatting → procedure tiers. Procedures stay thin: zod input
 * → service call → DTO with explicitly chosen fields.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { DomainError, type DomainKind } from "./errors.ts";
import type { Services } from "./services/index.ts";
import { readSessionCookie, type Session } from "./services/auth/index.ts";

export interface Context {
  services: Services;
  /** The caller's address, for rate limits. */
  clientAddress: string;
  /** The request's `cookie` header, where the portal's session cookie travels (forwarded by the portal). */
  cookie?: string | undefined;
}

/** A context without HTTP, for router tests through createCaller. */
export function createContextInner(opts: Context): Context {
  return opts;
}

const TRPC_CODE: Record<DomainKind, TRPC_ERROR_CODE_KEY> = {
  BAD_REQUEST: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  PUSHBACK: "TOO_MANY_REQUESTS",
  UNAVAILABLE: "SERVICE_UNAVAILABLE",
};

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const domain = error.cause instanceof DomainError ? error.cause : undefined;
    // Never send stacks or internal messages to clients.
    const internal = error.code === "INTERNAL_SERVER_ERROR" && !domain;
    const { stack: _stack, ...data } = shape.data;
    return {
      ...shape,
      message: internal ? "internal error" : shape.message,
      data: { ...data, signetCode: domain?.code ?? (error.code === "BAD_REQUEST" ? "ERR_BAD_REQUEST" : internal ? "ERR_INTERNAL" : `ERR_${error.code}`) },
    };
  },
});

/** Map DomainErrors thrown by services to tRPC errors with the matching code. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DomainError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: TRPC_CODE[cause.kind], message: cause.message, cause });
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(domainErrors);

/**
 * Procedures that need a signed-in person: the session is resolved from the cookie on every call,
 * in the procedure itself, never trusted from a proxy or middleware header (SECURITY.md G4).
 */
export const protectedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const auth = ctx.services.auth;
  if (!auth) throw new DomainError("UNAVAILABLE", "ERR_AUTH_UNAVAILABLE", "sign-in is not available");
  const sessionId = readSessionCookie(ctx.cookie, auth.allowPlainCookie);
  const session: Session | undefined = await auth.sessions.resolve(sessionId);
  if (!session) throw new DomainError("UNAUTHORIZED", "ERR_AUTH_NO_SESSION", "sign in first");
  return next({ ctx: { ...ctx, auth, session, sessionId: sessionId! } });
});
