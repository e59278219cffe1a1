/**
 * Passkeys (W3C WebAuthn Level 3) for the portal's step-up, with @simplewebauthn/server doing the
 * ceremony checks. Challenges are 32 random bytes made and kept here, bound to the session, valid for
 * 5 minutes, and consumed by one DELETE … RETURNING before verification, so a challenge works at most
 * once even under concurrent submits (SECURITY.md G7–G9). User verification is always required.
 */
import { randomBytes } from "node:crypto";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { Prisma } from "../../generated/prisma/client.ts";
import type { Db } from "../../db.ts";
import { DomainError } from "../../errors.ts";
import { sha256, type Session, type SessionStore } from "./sessions.ts";

/** Challenge lifetime (W3C recommends 300–600 s). */
export const CHALLENGE_TTL_MS = 5 * 60 * 1000;
/** Largest credential id accepted (W3C WebAuthn §7.1 step 24 / SECURITY.md G7), in bytes. */
export const MAX_CREDENTIAL_ID_BYTES = 1023;
/** Largest credential response JSON looked at, in characters. */
export const MAX_RESPONSE_CHARS = 64 * 1024;
/** Passkeys per identity. */
export const MAX_PASSKEYS = 20;
/** COSE algorithms offered: ES256, EdDSA, RS256. */
const ALGORITHMS = [-7, -8, -257];

export interface RelyingParty {
  /** The portal's origin, e.g. `http://localhost:3000`: the only origin accepted in clientDataJSON. */
  readonly origin: string;
  /** The RP ID: the portal's host name. */
  readonly rpId: string;
  readonly rpName: string;
}

/** Derive the relying party from the portal's URL (SIGNET_WEB_URL). */
export function toRelyingParty(webUrl: string): RelyingParty {
  const url = new URL(webUrl);
  return { origin: url.origin, rpId: url.hostname, rpName: "Signet" };
}

/** A passkey as the portal lists it. */
export interface PasskeySummary {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly backedUp: boolean;
}

export interface PasskeyService {
  registrationOptions(session: Session): Promise<PublicKeyCredentialCreationOptionsJSON>;
  register(session: Session, response: unknown, name: string): Promise<PasskeySummary>;
  authenticationOptions(session: Session): Promise<PublicKeyCredentialRequestOptionsJSON>;
  verify(session: Session, response: unknown): Promise<void>;
  list(session: Session): Promise<PasskeySummary[]>;
  remove(session: Session, id: string): Promise<void>;
  /** True when this identity has at least one passkey (then signing needs a verified session). */
  hasPasskey(session: Session): Promise<boolean>;
}

type ChallengeKind = "registration" | "authentication";

function invalid(code: `ERR_AUTH_${string}`, message: string): DomainError {
  return new DomainError("UNAUTHORIZED", code, message);
}

/** The challenge a response claims, from its clientDataJSON; the library re-checks everything else. */
function readClientData(response: unknown): { challenge: string; framed: boolean } {
  // attacker-controlled: the whole credential response.
  const r = response as { response?: { clientDataJSON?: unknown } } | null;
  const cdj = r?.response?.clientDataJSON;
  if (typeof cdj !== "string" || cdj.length > 8192 || !/^[A-Za-z0-9_-]+={0,2}$/.test(cdj)) throw invalid("ERR_AUTH_WEBAUTHN_MALFORMED", "clientDataJSON is missing or malformed");
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(cdj, "base64url")));
  } catch {
    throw invalid("ERR_AUTH_WEBAUTHN_MALFORMED", "clientDataJSON is not JSON");
  }
  const cd = parsed as { challenge?: unknown; crossOrigin?: unknown; topOrigin?: unknown } | null;
  const challenge = cd?.challenge;
  if (typeof challenge !== "string" || !/^[A-Za-z0-9_-]{22,128}$/.test(challenge)) throw invalid("ERR_AUTH_CHALLENGE_INVALID", "the challenge is missing or malformed");
  // The portal never embeds the ceremony in a frame: crossOrigin or topOrigin means someone else's page (G7).
  return { challenge, framed: (cd!.crossOrigin !== undefined && cd!.crossOrigin !== false) || cd!.topOrigin !== undefined };
}

function checkResponseShape(response: unknown): void {
  // attacker-controlled: capped before the library parses anything.
  let text: string;
  try {
    text = JSON.stringify(response);
  } catch {
    throw invalid("ERR_AUTH_WEBAUTHN_MALFORMED", "the credential response is not JSON");
  }
  if (typeof response !== "object" || response === null || text.length > MAX_RESPONSE_CHARS) throw invalid("ERR_AUTH_WEBAUTHN_MALFORMED", "the credential response is malformed or too large");
  const id = (response as { id?: unknown }).id;
  if (typeof id !== "string" || !/^[A-Za-z0-9_-]{1,1400}$/.test(id) || Buffer.from(id, "base64url").length > MAX_CREDENTIAL_ID_BYTES) {
    throw invalid("ERR_AUTH_WEBAUTHN_MALFORMED", "the credential id is malformed or longer than 1023 bytes");
  }
}

function toSummary(row: { id: bigint; name: string; createdAt: Date; lastUsedAt: Date | null; backedUp: boolean }): PasskeySummary {
  return { id: row.id.toString(), name: row.name, createdAt: row.createdAt.toISOString(), lastUsedAt: row.lastUsedAt?.toISOString() ?? null, backedUp: row.backedUp };
}

/** Create the passkey service for one relying party. */
export function createPasskeyService(db: Db, sessions: SessionStore, rp: RelyingParty, clock: () => number = Date.now): PasskeyService {
  const owner = (s: Session) => ({ issuer: s.identity.issuer, subject: s.identity.subject });

  async function issueChallenge(session: Session, kind: ChallengeKind): Promise<Uint8Array<ArrayBuffer>> {
    const challenge = new Uint8Array(randomBytes(32));
    await db.webauthnChallenge.deleteMany({ where: { expiresAt: { lt: new Date(clock()) } } });
    await db.webauthnChallenge.create({
      data: { challengeHash: sha256(Buffer.from(challenge).toString("base64url")), sessionIdHash: new Uint8Array(session.idHash), kind, expiresAt: new Date(clock() + CHALLENGE_TTL_MS) },
    });
    return challenge;
  }

  /** Consume the challenge atomically: only one caller gets the row (G9). */
  async function consumeChallenge(session: Session, kind: ChallengeKind, challenge: string): Promise<void> {
    const rows = await db.$queryRaw<{ n: number }[]>(Prisma.sql`
      DELETE FROM webauthn_challenges
       WHERE challenge_hash = ${sha256(challenge)} AND session_id_hash = ${new Uint8Array(session.idHash)} AND kind = ${kind}
         AND expires_at > ${new Date(clock())}
      RETURNING 1 AS n`);
    if (rows.length !== 1) throw invalid("ERR_AUTH_CHALLENGE_INVALID", "the challenge is unknown, expired or already used");
  }

  return {
    async registrationOptions(session) {
      const existing = await db.passkey.findMany({ where: owner(session), select: { credentialId: true, transports: true } });
      if (existing.length >= MAX_PASSKEYS) throw new DomainError("CONFLICT", "ERR_AUTH_PASSKEY_LIMIT", `at most ${MAX_PASSKEYS} passkeys`);
      const challenge = await issueChallenge(session, "registration");
      return generateRegistrationOptions({
        rpName: rp.rpName,
        rpID: rp.rpId,
        userName: session.identity.email,
        // A stable, opaque user handle: no email or subject inside (W3C §14.6.1).
        userID: sha256(`${session.identity.issuer}\n${session.identity.subject}`),
        challenge,
        timeout: CHALLENGE_TTL_MS,
        attestationType: "none",
        excludeCredentials: existing.map((c) => ({ id: Buffer.from(c.credentialId).toString("base64url"), transports: c.transports as AuthenticatorTransport[] })),
        authenticatorSelection: { residentKey: "preferred", userVerification: "required" },
        supportedAlgorithmIDs: ALGORITHMS,
      });
    },

    async register(session, response, name) {
      checkResponseShape(response);
      const { challenge, framed } = readClientData(response);
      await consumeChallenge(session, "registration", challenge);
      if (framed) throw invalid("ERR_AUTH_WEBAUTHN_INVALID", "the ceremony ran in a cross-origin frame");
      let result;
      try {
        result = await verifyRegistrationResponse({
          response: response as RegistrationResponseJSON,
          expectedChallenge: challenge,
          expectedOrigin: rp.origin,
          expectedRPID: rp.rpId,
          expectedType: "webauthn.create",
          requireUserPresence: true,
          requireUserVerification: true,
          supportedAlgorithmIDs: ALGORITHMS,
        });
      } catch {
        throw invalid("ERR_AUTH_WEBAUTHN_INVALID", "the passkey registration did not verify");
      }
      if (!result.verified || !result.registrationInfo) throw invalid("ERR_AUTH_WEBAUTHN_INVALID", "the passkey registration did not verify");
      const info = result.registrationInfo;
      const credentialId = Buffer.from(info.credential.id, "base64url");
      if (credentialId.length > MAX_CREDENTIAL_ID_BYTES) throw invalid("ERR_AUTH_WEBAUTHN_MALFORMED", "the credential id is longer than 1023 bytes");
      try {
        const row = await db.passkey.create({
          data: {
            ...owner(session),
            credentialId: new Uint8Array(credentialId),
            publicKey: new Uint8Array(info.credential.publicKey),
            signCount: BigInt(info.credential.counter),
            backupEligible: info.credentialDeviceType === "multiDevice",
            backedUp: info.credentialBackedUp,
            transports: (info.credential.transports ?? []).slice(0, 8),
            name,
          },
        });
        // Registering in this session is itself a verified ceremony with UV.
        await sessions.markPasskeyVerified(session);
        return toSummary(row);
      } catch (e) {
        if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2002") throw new DomainError("CONFLICT", "ERR_AUTH_CREDENTIAL_TAKEN", "this credential is already registered");
        throw e;
      }
    },

    async authenticationOptions(session) {
      const creds = await db.passkey.findMany({ where: owner(session), select: { credentialId: true, transports: true } });
      if (creds.length === 0) throw new DomainError("NOT_FOUND", "ERR_AUTH_NO_PASSKEY", "this account has no passkey");
      const challenge = await issueChallenge(session, "authentication");
      return generateAuthenticationOptions({
        rpID: rp.rpId,
        challenge,
        timeout: CHALLENGE_TTL_MS,
        userVerification: "required",
        allowCredentials: creds.map((c) => ({ id: Buffer.from(c.credentialId).toString("base64url"), transports: c.transports as AuthenticatorTransport[] })),
      });
    },

    async verify(session, response) {
      checkResponseShape(response);
      const { challenge, framed } = readClientData(response);
      await consumeChallenge(session, "authentication", challenge);
      if (framed) throw invalid("ERR_AUTH_WEBAUTHN_INVALID", "the ceremony ran in a cross-origin frame");
      const id = (response as { id: string }).id;
      // Only this identity's credentials count (allowCredentials, G8): another user's passkey is unknown here.
      const cred = await db.passkey.findFirst({ where: { ...owner(session), credentialId: new Uint8Array(Buffer.from(id, "base64url")) } });
      if (cred === null) throw invalid("ERR_AUTH_CREDENTIAL_UNKNOWN", "this passkey is not registered to this account");
      const userHandle = (response as { response?: { userHandle?: unknown } }).response?.userHandle;
      if (userHandle !== undefined && userHandle !== null) {
        const expected = Buffer.from(sha256(`${session.identity.issuer}\n${session.identity.subject}`)).toString("base64url");
        if (userHandle !== expected) throw invalid("ERR_AUTH_CREDENTIAL_UNKNOWN", "the user handle does not own this passkey");
      }
      let result;
      try {
        result = await verifyAuthenticationResponse({
          response: response as AuthenticationResponseJSON,
          expectedChallenge: challenge,
          expectedOrigin: rp.origin,
          expectedRPID: rp.rpId,
          expectedType: "webauthn.get",
          requireUserVerification: true,
          credential: {
            id: Buffer.from(cred.credentialId).toString("base64url"),
            publicKey: new Uint8Array(cred.publicKey),
            counter: Number(cred.signCount),
            transports: cred.transports as AuthenticatorTransport[],
          },
        });
      } catch {
        throw invalid("ERR_AUTH_WEBAUTHN_INVALID", "the passkey assertion did not verify");
      }
      if (!result.verified) throw invalid("ERR_AUTH_WEBAUTHN_INVALID", "the passkey assertion did not verify");
      const info = result.authenticationInfo;
      // G8: the backup-eligible bit is fixed at registration; a change means another authenticator.
      if ((info.credentialDeviceType === "multiDevice") !== cred.backupEligible) throw invalid("ERR_AUTH_WEBAUTHN_INVALID", "the backup-eligible flag changed");
      await db.passkey.update({ where: { id: cred.id }, data: { signCount: BigInt(info.newCounter), backedUp: info.credentialBackedUp, lastUsedAt: new Date(clock()) } });
      await sessions.markPasskeyVerified(session);
    },

    async list(session) {
      const rows = await db.passkey.findMany({ where: owner(session), orderBy: { createdAt: "asc" } });
      return rows.map(toSummary);
    },

    async remove(session, id) {
      if (!/^[0-9]{1,19}$/.test(id)) throw new DomainError("NOT_FOUND", "ERR_AUTH_PASSKEY_NOT_FOUND", "no such passkey");
      const { count } = await db.passkey.deleteMany({ where: { id: BigInt(id), ...owner(session) } });
      if (count === 0) throw new DomainError("NOT_FOUND", "ERR_AUTH_PASSKEY_NOT_FOUND", "no such passkey");
    },

    async hasPasskey(session) {
      return (await db.passkey.count({ where: owner(session) })) > 0;
    },
  };
}
