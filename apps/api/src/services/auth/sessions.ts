/**
 * Server-side portal sessions (SECURITY.md G10, ASVS V7): a random 32-byte id per login, stored only
 * as its SHA-256; absolute lifetime 12 h, idle timeout 1 h; logout and expiry end it in the database.
 */
import { createHash, randomBytes } from "node:crypto";
import { Prisma } from "../../generated/prisma/client.ts";
import type { Db } from "../../db.ts";
import { DomainError } from "../../errors.ts";
import { SESSION_ID_PATTERN } from "./cookie.ts";

/** Absolute session lifetime (ASVS 7.3.2). */
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60 * 1000;
/** Idle timeout (ASVS 7.3.1). */
export const SESSION_IDLE_MS = 60 * 60 * 1000;
/** last_seen_at is rewritten at most this often, so reads do not turn into a write each. */
const LAST_SEEN_GRANULARITY_MS = 60 * 1000;

/** The identity a session belongs to: (issuer, subject), with the email the IdP vouched for. */
export interface SessionIdentity {
  readonly issuer: string;
  readonly subject: string;
  readonly email: string;
}

/** A live session as procedures see it. */
export interface Session {
  readonly idHash: Uint8Array;
  readonly identity: SessionIdentity;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly passkeyVerifiedAt: Date | null;
}

export interface SessionStore {
  /** Start a new session (always a new id, G10); refuses a nonce that already made one (A8). */
  create(identity: SessionIdentity, nonce: string): Promise<{ sessionId: string; expiresAt: Date }>;
  /** The live session for a cookie value, or undefined (unknown, expired, idle too long). */
  resolve(sessionId: string | undefined): Promise<Session | undefined>;
  /** End one session server-side; true when it existed. */
  end(sessionId: string): Promise<boolean>;
  /** End every other session of this identity (after a passkey change, ASVS 7.4.3); returns how many. */
  endOthers(session: Session): Promise<number>;
  /** Record a passed passkey assertion on this session. */
  markPasskeyVerified(session: Session): Promise<void>;
}

/** SHA-256 of a string or bytes. */
export function sha256(data: string | Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

/** Create the session store over the database; `clock` is injectable for timeout tests. */
export function createSessionStore(db: Db, clock: () => number = Date.now): SessionStore {
  return {
    async create(identity, nonce) {
      const sessionId = randomBytes(32).toString("base64url");
      const now = new Date(clock());
      const expiresAt = new Date(now.getTime() + SESSION_ABSOLUTE_MS);
      try {
        await db.authSession.create({
          data: {
            idHash: sha256(sessionId),
            issuer: identity.issuer,
            subject: identity.subject,
            email: identity.email,
            nonceHash: sha256(nonce),
            createdAt: now,
            expiresAt,
            lastSeenAt: now,
          },
        });
      } catch (e) {
        if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2002") {
          throw new DomainError("UNAUTHORIZED", "ERR_AUTH_NONCE_REPLAYED", "this sign-in was already used");
        }
        throw e;
      }
      return { sessionId, expiresAt };
    },

    async resolve(sessionId) {
      if (sessionId === undefined || !SESSION_ID_PATTERN.test(sessionId)) return undefined;
      const idHash = sha256(sessionId);
      const row = await db.authSession.findUnique({ where: { idHash } });
      if (row === null) return undefined;
      const now = clock();
      if (row.expiresAt.getTime() <= now || row.lastSeenAt.getTime() + SESSION_IDLE_MS <= now) {
        await db.authSession.deleteMany({ where: { idHash } });
        return undefined;
      }
      if (now - row.lastSeenAt.getTime() >= LAST_SEEN_GRANULARITY_MS) {
        await db.authSession.updateMany({ where: { idHash }, data: { lastSeenAt: new Date(now) } });
      }
      return {
        idHash,
        identity: { issuer: row.issuer, subject: row.subject, email: row.email },
        createdAt: row.createdAt,
        expiresAt: row.expiresAt,
        passkeyVerifiedAt: row.passkeyVerifiedAt,
      };
    },

    async end(sessionId) {
      if (!SESSION_ID_PATTERN.test(sessionId)) return false;
      const { count } = await db.authSession.deleteMany({ where: { idHash: sha256(sessionId) } });
      return count > 0;
    },

    async endOthers(session) {
      const { count } = await db.authSession.deleteMany({
        where: { issuer: session.identity.issuer, subject: session.identity.subject, NOT: { idHash: new Uint8Array(session.idHash) } },
      });
      return count;
    },

    async markPasskeyVerified(session) {
      await db.authSession.updateMany({ where: { idHash: new Uint8Array(session.idHash) }, data: { passkeyVerifiedAt: new Date(clock()) } });
    },
  };
}
