/**
 * Fulcio v2 client (sigstore/fulcio fulcio.proto CreateSigningCertificate;
 * INTEROP.md §1): a proof of possession over the token's challenge claim, and
 * checks on what comes back before anything is signed with it.
 */
import {
  OID,
  bytesEqual,
  isSelfIssued,
  parseCertificate,
  parsePem,
  readFulcioIssuer,
  readSignerIdentity,
  toBase64,
  utf8,
  verifyCertificateChain,
  type Certificate,
  type TrustedRoot,
} from "@signet/crypto";
import { SignError } from "./errors.ts";
import type { EphemeralSigner } from "./ephemeral-key.ts";
import { joinUrl, sendJson, type Fetch } from "./http.ts";

/** Most certificates accepted in a returned chain. */
const CHAIN_MAX = 10;

/** The request body of POST /api/v2/signingCert, proof-of-possession variant. */
export async function createSigningCertificateRequest(identityToken: string, signer: EphemeralSigner, challenge: string): Promise<Record<string, unknown>> {
  const proof = await signer.sign(utf8(challenge));
  return {
    credentials: { oidcIdentityToken: identityToken },
    publicKeyRequest: {
      // Fulcio ignores `algorithm` and infers it from the key; sigstore-js sends "ECDSA" too.
      publicKey: { algorithm: "ECDSA", content: signer.publicKeyPem },
      proofOfPossession: toBase64(proof),
    },
  };
}

function malformed(message: string, cause?: unknown): SignError {
  return new SignError("ERR_SIGN_RESPONSE_MALFORMED", `certificate authority: ${message}`, cause === undefined ? {} : { cause });
}

/** Parse a SigningCertificate response: the chain, leaf first. Throws ERR_SIGN_RESPONSE_MALFORMED. */
export function parseSigningCertificateResponse(json: unknown): Certificate[] {
  // attacker-controlled: shape checked field by field, counts capped, PEM and DER parsed strictly
  if (typeof json !== "object" || json === null) throw malformed("answer is not a JSON object");
  const o = json as Record<string, unknown>;
  if (o.signedCertificateDetachedSct !== undefined) {
    throw malformed("the certificate came with a detached SCT, which a v0.3 bundle cannot carry; the CA must embed its SCT");
  }
  const embedded = o.signedCertificateEmbeddedSct as { chain?: { certificates?: unknown } } | undefined;
  const list = embedded?.chain?.certificates;
  if (!Array.isArray(list)) throw malformed("no signedCertificateEmbeddedSct.chain.certificates");
  if (list.length < 2 || list.length > CHAIN_MAX) throw malformed(`chain has ${list.length} certificates (expected leaf … root, at most ${CHAIN_MAX})`);
  return list.map((pem, i) => {
    if (typeof pem !== "string") throw malformed(`certificate ${i} is not a PEM string`);
    try {
      return parseCertificate(parsePem(pem, "CERTIFICATE"));
    } catch (cause) {
      throw malformed(`certificate ${i} is not a valid PEM certificate`, cause);
    }
  });
}

/** What the CA certified, once checked. */
export interface IssuedCertificate {
  readonly leaf: Certificate;
  /** The signer identity: SAN URI, else email (what verifiers match). */
  readonly identity: string;
  /** The OIDC issuer recorded in the certificate (OID 1.3.6.1.4.1.57264.1.8). */
  readonly issuer: string;
}

/**
 * Check a returned chain before using it: the leaf certifies our key, names
 * the token's issuer and an identity, is not a CA, and chains (at its own
 * notBefore) to a CA of the trusted root whose root is the chain's last
 * certificate. Throws ERR_SIGN_CERT_KEY_MISMATCH / _ISSUER_MISMATCH / _UNTRUSTED.
 */
export async function verifyIssuedCertificate(
  chain: readonly Certificate[],
  expected: { spki: Uint8Array; issuer: string; trustedRoot: TrustedRoot },
): Promise<IssuedCertificate> {
  const leaf = chain[0]!;
  const root = chain[chain.length - 1]!;
  if (!bytesEqual(leaf.publicKey.spki, expected.spki)) throw new SignError("ERR_SIGN_CERT_KEY_MISMATCH", "the certificate is for another public key than ours");
  if (leaf.basicConstraints?.ca === true) throw new SignError("ERR_SIGN_CERT_UNTRUSTED", "the leaf certificate is a CA certificate");
  const issuer = readFulcioIssuer(leaf);
  if (issuer !== expected.issuer) {
    throw new SignError("ERR_SIGN_CERT_ISSUER_MISMATCH", `the certificate names issuer ${JSON.stringify(issuer)}, the token ${JSON.stringify(expected.issuer)}`);
  }
  const identity = readSignerIdentity(leaf);
  if (identity === undefined) throw new SignError("ERR_SIGN_CERT_UNTRUSTED", "the certificate has no email or URI subject alternative name");
  const trustedRoots = expected.trustedRoot.certificateAuthorities.map((a) => a.certChain[a.certChain.length - 1]!);
  if (!isSelfIssued(root) || !trustedRoots.some((t) => bytesEqual(t.der, root.der))) {
    throw new SignError("ERR_SIGN_CERT_UNTRUSTED", "the chain's root is not a certificate authority of the trusted root");
  }
  try {
    await verifyCertificateChain({ leaf, authorities: expected.trustedRoot.certificateAuthorities, times: [leaf.notBefore], requiredEku: OID.ekuCodeSigning });
  } catch (cause) {
    throw new SignError("ERR_SIGN_CERT_UNTRUSTED", `the certificate does not chain to the trusted root: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  return { leaf, identity, issuer };
}

/** POST /api/v2/signingCert with a proof of possession; returns the chain, leaf first (unchecked). */
export async function requestSigningCertificate(
  fetchFn: Fetch,
  caUrl: string,
  request: { identityToken: string; signer: EphemeralSigner; challenge: string },
): Promise<Certificate[]> {
  const json = await sendJson(fetchFn, {
    url: joinUrl(caUrl, "/api/v2/signingCert"),
    method: "POST",
    what: "certificate authority",
    maxBytes: 256 * 1024,
    okStatuses: [200, 201],
    json: await createSigningCertificateRequest(request.identityToken, request.signer, request.challenge),
  });
  return parseSigningCertificateResponse(json);
}
