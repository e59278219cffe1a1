/**
 * tRPC set-up: context → init → error formatting → procedure tiers. Procedures stay thin: zod input
 * → service call → DTO with explicitly chosen fields.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { DomainError, type DomainKind } from "./errors.ts";
import type { Services } from "./services/index.ts";

export interface Context {
  services: Services;
  /** The caller's address, for rate limits. */
  clientAddress: string;
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
