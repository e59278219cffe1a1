/**
 * Portal sign-in over tRPC: login (server to server from the portal's OIDC callback), the session,
 * logout, passkeys, and the signed-in person's own certificates. Every procedure checks its own
 * authorisation (SECURITY.md G4) and every state change is a mutation (G2).
 */
import { z } from "zod";
import { DomainError } from "../errors.ts";
import { loginWithIdToken, readSessionCookie } from "../services/auth/index.ts";
import type { AuthServices } from "../services/index.ts";
import { protectedProcedure, publicProcedure, router, type Context } from "../trpc.ts";
import { listIssuedCertificates } from "../services/ca/records.ts";

function authOf(ctx: Context): AuthServices {
  if (!ctx.services.auth) throw new DomainError("UNAVAILABLE", "ERR_AUTH_UNAVAILABLE", "sign-in is not available");
  return ctx.services.auth;
}

const credentialResponse = z.looseObject({ id: z.string().max(1400), type: z.literal("public-key") });
const endOthers = z.boolean().default(false);

export const authRouter = router({
  /** Verify the portal's ID token and nonce and start a session; the portal sets the cookie. */
  createSession: publicProcedure
    .input(z.object({ idToken: z.string().max(16 * 1024), nonce: z.string().max(64) }).strict())
    .mutation(async ({ ctx, input }) => {
      const auth = authOf(ctx);
      auth.limit?.(`login:${ctx.clientAddress}`);
      const r = await loginWithIdToken(input, { issuers: auth.loginIssuers, sessions: auth.sessions, ...(auth.verify ? { verify: auth.verify } : {}) });
      return { sessionId: r.sessionId, expiresAt: r.expiresAt.toISOString(), email: r.identity.email };
    }),

  /** Who is signed in, and whether signing needs (or has had) a passkey check. */
  session: publicProcedure.query(async ({ ctx }) => {
    const auth = ctx.services.auth;
    if (!auth) return { signedIn: false as const };
    const session = await auth.sessions.resolve(readSessionCookie(ctx.cookie, auth.allowPlainCookie));
    if (!session) return { signedIn: false as const };
    const requiresPasskey = await auth.passkeys.hasPasskey(session);
    return {
      signedIn: true as const,
      email: session.identity.email,
      issuer: session.identity.issuer,
      subject: session.identity.subject,
      expiresAt: session.expiresAt.toISOString(),
      requiresPasskey,
      passkeyVerified: session.passkeyVerifiedAt !== null,
    };
  }),

  /** End this session server-side (the portal's /auth/logout also clears the cookie). */
  logout: protectedProcedure.mutation(async ({ ctx }) => {
    await ctx.auth.sessions.end(ctx.sessionId);
    return { ok: true as const };
  }),

  /** End every other session of this identity (offered after a passkey change, ASVS 7.4.3). */
  logoutOthers: protectedProcedure.mutation(async ({ ctx }) => ({ ended: await ctx.auth.sessions.endOthers(ctx.session) })),

  passkeyRegistrationOptions: protectedProcedure.mutation(async ({ ctx }) => {
    ctx.auth.limit?.(`webauthn:${ctx.clientAddress}`);
    return ctx.auth.passkeys.registrationOptions(ctx.session);
  }),

  registerPasskey: protectedProcedure
    .input(z.object({ response: credentialResponse, name: z.string().trim().min(1).max(64).default("Passkey"), signOutOthers: endOthers }).strict())
    .mutation(async ({ ctx, input }) => {
      ctx.auth.limit?.(`webauthn:${ctx.clientAddress}`);
      const passkey = await ctx.auth.passkeys.register(ctx.session, input.response, input.name);
      const ended = input.signOutOthers ? await ctx.auth.sessions.endOthers(ctx.session) : 0;
      return { passkey, endedSessions: ended };
    }),

  passkeyAuthenticationOptions: protectedProcedure.mutation(async ({ ctx }) => {
    ctx.auth.limit?.(`webauthn:${ctx.clientAddress}`);
    return ctx.auth.passkeys.authenticationOptions(ctx.session);
  }),

  verifyPasskey: protectedProcedure.input(z.object({ response: credentialResponse }).strict()).mutation(async ({ ctx, input }) => {
    ctx.auth.limit?.(`webauthn:${ctx.clientAddress}`);
    await ctx.auth.passkeys.verify(ctx.session, input.response);
    return { passkeyVerified: true as const };
  }),

  listPasskeys: protectedProcedure.query(async ({ ctx }) => ctx.auth.passkeys.list(ctx.session)),

  removePasskey: protectedProcedure
    .input(z.object({ id: z.string().regex(/^[0-9]{1,19}$/), signOutOthers: endOthers }).strict())
    .mutation(async ({ ctx, input }) => {
      await ctx.auth.passkeys.remove(ctx.session, input.id);
      const ended = input.signOutOthers ? await ctx.auth.sessions.endOthers(ctx.session) : 0;
      return { endedSessions: ended };
    }),

  /** Certificates issued to the signed-in identity (its email from its issuer), newest first. */
  myCertificates: protectedProcedure
    .input(z.object({ limit: z.number().int().min(1).max(100).default(25), before: z.iso.datetime().optional() }).strict().default({ limit: 25 }))
    .query(async ({ ctx, input }) => {
      const db = ctx.services.db;
      if (!db) throw new DomainError("UNAVAILABLE", "ERR_CA_UNAVAILABLE", "certificate search is not available");
      return listIssuedCertificates(db, {
        identity: ctx.session.identity.email,
        issuer: ctx.session.identity.issuer,
        limit: input.limit,
        ...(input.before ? { before: input.before } : {}),
      });
    }),
});
