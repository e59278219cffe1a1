/**
 * Certificates for the portal's signed-in person (docs/signing.md): the same CA as Fulcio's
 * CreateSigningCertificate (INTEROP.md §1), but the identity is the session's, not an ID token's.
 * The proof of possession signs the session's email, as Fulcio's signs an email token's challenge.
 */
import { createPublicKey } from "node:crypto";
import { z } from "zod";
import { FULCIO_OIDS } from "@signet/crypto/x509/fulcio-extensions";
import { DomainError } from "../errors.ts";
import { SIGNET_PASSKEY_OID, validateSubjectAltName } from "../services/ca/certificate.ts";
import type { CertificateAuthority } from "../services/ca/issue.ts";
import type { Session } from "../services/auth/index.ts";
import type { VerifiedIdentity } from "../services/oidc/identity.ts";
import { protectedProcedure, router, type Context } from "../trpc.ts";

/** The value of SIGNET_PASSKEY_OID in a certificate issued to a passkey-verified session. */
export const PASSKEY_EXTENSION_VALUE = "passkey";

const issueInput = z
  .object({
    // attacker-controlled: both capped here, then parsed strictly below
    publicKey: z.string().min(1).max(16 * 1024),
    proofOfPossession: z.string().min(1).max(4096),
  })
  .strict();

function caOf(ctx: Context): CertificateAuthority {
  if (!ctx.services.ca) throw new DomainError("UNAVAILABLE", "ERR_CA_UNAVAILABLE", "the certificate authority is not available");
  return ctx.services.ca;
}

/** SPKI DER from a `PUBLIC KEY` PEM (the form Fulcio's publicKeyRequest carries). */
function spkiFromPem(pem: string): Uint8Array {
  if (!pem.includes("-----BEGIN PUBLIC KEY-----")) throw new DomainError("BAD_REQUEST", "ERR_CA_BAD_PUBLIC_KEY", "publicKey is not a PEM public key");
  try {
    return new Uint8Array(createPublicKey(pem).export({ format: "der", type: "spki" }));
  } catch {
    throw new DomainError("BAD_REQUEST", "ERR_CA_BAD_PUBLIC_KEY", "publicKey is not a PEM public key");
  }
}

function strictBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new DomainError("BAD_REQUEST", "ERR_CA_BAD_REQUEST", "proofOfPossession is not standard base64");
  return new Uint8Array(Buffer.from(text, "base64"));
}

/**
 * The identity a session's certificate binds: its email as SAN and its login issuer in the Fulcio
 * issuer extensions (.1 and .8, as toVerifiedIdentity builds them for an email issuer), plus Signet's
 * passkey extension when the session passed a passkey check. The challenge is the email.
 */
export function toSessionIdentity(session: Session): VerifiedIdentity {
  const { email, issuer, subject } = session.identity;
  const san = { kind: "email", value: email } as const;
  try {
    validateSubjectAltName(san);
  } catch (e) {
    throw new DomainError("BAD_REQUEST", "ERR_OIDC_IDENTITY_INVALID", e instanceof Error ? e.message : "identity cannot be certified");
  }
  return {
    issuer,
    subject,
    san,
    challenge: email,
    claims: {},
    extensions: {
      [FULCIO_OIDS.issuerV1]: issuer,
      [FULCIO_OIDS.issuer]: issuer,
      ...(session.passkeyVerifiedAt !== null ? { [SIGNET_PASSKEY_OID]: PASSKEY_EXTENSION_VALUE } : {}),
    },
  };
}

export const caRouter = router({
  /**
   * A signing certificate for the signed-in person (Fulcio v2 SigningCertificate shape, chain as PEM,
   * leaf first). Refused with FORBIDDEN ERR_AUTH_PASSKEY_REQUIRED while a passkey check is owed.
   */
  issueForSession: protectedProcedure.input(issueInput).mutation(async ({ ctx, input }) => {
    ctx.auth.limit?.(`ca:${ctx.clientAddress}`);
    ctx.auth.limit?.(`ca:${ctx.session.identity.issuer} ${ctx.session.identity.subject}`);
    const ca = caOf(ctx);
    if (ctx.session.passkeyVerifiedAt === null && (await ctx.auth.passkeys.hasPasskey(ctx.session))) {
      throw new DomainError("FORBIDDEN", "ERR_AUTH_PASSKEY_REQUIRED", "this account has a passkey: pass the passkey check before signing");
    }
    const issued = await ca.issue({
      identity: toSessionIdentity(ctx.session),
      publicKey: spkiFromPem(input.publicKey),
      proof: { kind: "challenge", signature: strictBase64(input.proofOfPossession) },
    });
    return { signedCertificateEmbeddedSct: { chain: { certificates: [...issued.chainPem] } } };
  }),
});
