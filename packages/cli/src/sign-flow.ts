/**
 * Keyless signing, end to end (DESIGN.md "Data flow: signing"): ephemeral key →
 * proof of possession → certificate → signature → log entry → RFC 3161
 * timestamp → bundle v0.3 → verification against the trusted root. Each step's
 * answer is checked before the next step uses it; the bundle is returned only
 * once @signet/crypto's verifyBundle accepts it.
 */
import {
  BundleVerificationError,
  INTOTO_PAYLOAD_TYPE,
  fromHex,
  parseStatement,
  sha256,
  toHex,
  verifyBundle,
  type Bytes,
  type EntryExpectation,
  type TrustedRoot,
  type UnverifiedBundle,
  type UnverifiedTlogEntry,
  type VerificationThresholds,
  type VerifiedBundle,
  type Certificate,
} from "@signet/crypto";
import type { Artifact } from "./artifact.ts";
import { createDsseBundle, createMessageSignatureBundle, dsseSigningInput, toBundleText, toEnvelopeJson } from "./bundle-assembly.ts";
import { createEphemeralSigner, type EphemeralSigner } from "./ephemeral-key.ts";
import { SignError } from "./errors.ts";
import { requestSigningCertificate, verifyIssuedCertificate } from "./fulcio-client.ts";
import type { Fetch } from "./http.ts";
import { readUnverifiedClaims } from "./identity-token.ts";
import type { SigningServices } from "./instance.ts";
import { createDsseEntry, createHashedRekordEntry, createLogEntry, verifyLoggedEntry, type ProposedEntry } from "./rekor-client.ts";
import { requestTimestamp } from "./tsa-client.ts";

/**
 * Where the certificate comes from when it is not Fulcio with an ID token: the portal gets its
 * certificate for the signed-in session. The chain it returns is checked exactly like Fulcio's.
 */
export interface CertificateSource {
  /** The OIDC issuer the certificate must name (OID 1.3.6.1.4.1.57264.1.8). */
  readonly issuer: string;
  /** The chain, leaf first, certifying `signer`'s key (unchecked: signArtifact verifies it). */
  requestChain(signer: EphemeralSigner): Promise<Certificate[]>;
}

/** Input of signArtifact. */
export interface SignInput {
  /** What to sign, read by readArtifact. */
  readonly artifact: Artifact;
  /** `message`: a messageSignature over the artifact; `in-toto`: the artifact is an in-toto Statement, signed as a DSSE envelope. */
  readonly mode: "message" | "in-toto";
  /** An OIDC ID token for Fulcio (the CLI); exactly one of this and `certificateSource` is given. */
  readonly identityToken?: string;
  /** Another way to obtain the certificate (the portal's session); `services.caUrl` is then unused. */
  readonly certificateSource?: CertificateSource;
  readonly services: SigningServices;
  /** What the result must verify against (the instance's trusted root, or a pinned one). */
  readonly trustedRoot: TrustedRoot;
  readonly fetch?: Fetch;
  /** One line per completed step, for people. */
  readonly progress?: (line: string) => void;
  /** Verification thresholds (default tlog 1, ctlog 1, timestamp 1, as sigstore-js). */
  readonly thresholds?: VerificationThresholds;
}

/** A signed, self-verified bundle. */
export interface SignResult {
  readonly bundle: UnverifiedBundle;
  /** The `.sigstore.json` text, exactly what was verified. */
  readonly bundleText: string;
  readonly verified: VerifiedBundle;
  /** The certificate's SAN and OIDC issuer. */
  readonly identity: string;
  readonly issuer: string;
  readonly tlogEntries: readonly { readonly logIndex: bigint; readonly url: string }[];
}

/** What will be signed, per mode. */
interface Payload {
  /** The bytes the signature covers: the artifact, or the DSSE PAE. */
  readonly signingInput: Bytes;
  /** For the self-check: the artifact digest (message) or the first in-toto subject's sha256. */
  readonly verifyDigest: Bytes;
  readonly statement: Bytes | undefined;
}

function payloadFor(input: SignInput): Payload {
  if (input.mode === "message") return { signingInput: input.artifact.bytes, verifyDigest: input.artifact.sha256, statement: undefined };
  let subjectDigest: string | undefined;
  try {
    subjectDigest = parseStatement(input.artifact.bytes).subject.find((s) => /^[0-9a-f]{64}$/.test(s.digest.sha256 ?? ""))?.digest.sha256;
  } catch (cause) {
    throw new SignError("ERR_SIGN_STATEMENT_MALFORMED", `not an in-toto statement: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  if (subjectDigest === undefined) throw new SignError("ERR_SIGN_STATEMENT_MALFORMED", "the in-toto statement has no subject with a sha256 digest");
  return { signingInput: dsseSigningInput(input.artifact.bytes), verifyDigest: fromHex(subjectDigest), statement: input.artifact.bytes };
}

/** Fulcio with the ID token (proof of possession over its challenge claim), or the injected source. */
function certificateSourceFor(input: SignInput, fetchFn: Fetch): CertificateSource {
  if (input.certificateSource !== undefined) {
    if (input.identityToken !== undefined) throw new SignError("ERR_SIGN_TOKEN_MALFORMED", "give either an identity token or a certificate source, not both");
    return input.certificateSource;
  }
  if (input.identityToken === undefined) throw new SignError("ERR_SIGN_TOKEN_MALFORMED", "no identity token");
  const identityToken = input.identityToken;
  // Read first so a bad token fails before a key is made.
  const claims = readUnverifiedClaims(identityToken);
  return {
    issuer: claims.iss,
    requestChain: (signer) => requestSigningCertificate(fetchFn, input.services.caUrl, { identityToken, signer, challenge: claims.challenge }),
  };
}

/**
 * Sign one artifact keylessly against the given services and return a
 * Sigstore bundle v0.3 that verifies against `trustedRoot` for the
 * certificate's identity and the token's issuer. The private key is
 * non-extractable and dropped when this returns. Throws SignError.
 */
export async function signArtifact(input: SignInput): Promise<SignResult> {
  const fetchFn: Fetch = input.fetch ?? ((url, init) => fetch(url, init));
  const progress = input.progress ?? (() => {});
  const source = certificateSourceFor(input, fetchFn);
  const payload = payloadFor(input);

  // 1–3: key, proof of possession, certificate (checked the same way whatever its source).
  const signer = await createEphemeralSigner();
  const chain = await source.requestChain(signer);
  const issued = await verifyIssuedCertificate(chain, { spki: signer.spki, issuer: source.issuer, trustedRoot: input.trustedRoot });
  progress(`certificate: ${issued.identity} (issuer ${issued.issuer}), valid until ${new Date(issued.leaf.notAfter).toISOString()}, chains to the trusted root`);

  // 4: the signature (WebCrypto r‖s → DER inside the signer).
  const signature = await signer.sign(payload.signingInput);
  const verifier = { kind: "certificate" as const, der: issued.leaf.der };
  let proposed: ProposedEntry;
  let expectation: EntryExpectation;
  if (payload.statement === undefined) {
    proposed = createHashedRekordEntry({ digest: input.artifact.sha256, signature, certificateDer: issued.leaf.der });
    expectation = { signedDigest: { algorithm: "SHA-256", value: input.artifact.sha256 }, dsse: undefined, signature, verifier };
    progress(`signature: ECDSA P-256 over sha256:${toHex(input.artifact.sha256)}`);
  } else {
    const envelope = { payload: payload.statement, payloadType: INTOTO_PAYLOAD_TYPE, signatures: [{ sig: signature, keyid: "" }] };
    proposed = createDsseEntry({ envelopeJson: toEnvelopeJson(envelope), certificateDer: issued.leaf.der });
    expectation = {
      signedDigest: { algorithm: "SHA-256", value: sha256(payload.signingInput) },
      dsse: { payloadDigest: { algorithm: "SHA-256", value: sha256(payload.statement) }, payload: payload.statement, payloadType: INTOTO_PAYLOAD_TYPE },
      signature,
      verifier,
    };
    progress(`signature: DSSE over the in-toto statement (subject sha256:${toHex(payload.verifyDigest)})`);
  }

  // 5: the log entry, checked (binding, SET, checkpoint, inclusion) before use.
  const tlogEntries: UnverifiedTlogEntry[] = [];
  const logged: { logIndex: bigint; url: string }[] = [];
  for (const rekorUrl of input.services.rekorUrls) {
    const entry = await createLogEntry(fetchFn, rekorUrl, proposed);
    await verifyLoggedEntry(entry, expectation, input.trustedRoot);
    tlogEntries.push(entry.entry);
    logged.push({ logIndex: entry.entry.logIndex, url: entry.url });
    progress(`log: entry ${entry.entry.logIndex} in ${rekorUrl}, integrated ${new Date(Number(entry.entry.integratedTime) * 1000).toISOString()}; SET, checkpoint and inclusion proof verified`);
  }

  // 6: RFC 3161 timestamps over the signature bytes.
  const timestamps: Bytes[] = [];
  for (const tsaUrl of input.services.tsaUrls) {
    const ts = await requestTimestamp(fetchFn, tsaUrl, signature, input.trustedRoot);
    timestamps.push(ts.response);
    progress(`timestamp: ${new Date(ts.verified.genTime).toISOString()} from ${tsaUrl}`);
  }

  // 7: the bundle (leaf certificate only).
  const parts = { certificate: issued.leaf.der, tlogEntries, rfc3161Timestamps: timestamps };
  const bundle =
    payload.statement === undefined
      ? createMessageSignatureBundle({ ...parts, digest: input.artifact.sha256, signature })
      : createDsseBundle({ ...parts, envelope: { payload: payload.statement, payloadType: INTOTO_PAYLOAD_TYPE, signatures: [{ sig: signature, keyid: "" }] } });
  const bundleText = toBundleText(bundle);

  // 8: verify exactly the text that will be written, as any verifier would.
  let verified: VerifiedBundle;
  try {
    verified = await verifyBundle({
      bundle: bundleText,
      ...(payload.statement === undefined ? { artifact: input.artifact.bytes } : { digest: payload.verifyDigest }),
      trustedRoot: input.trustedRoot,
      policy: { identity: { subjectAlternativeName: issued.identity, issuer: source.issuer } },
      ...(input.thresholds === undefined ? {} : { thresholds: input.thresholds }),
    });
  } catch (cause) {
    const detail = cause instanceof BundleVerificationError ? `${cause.code} (${cause.check}): ${cause.message}` : String(cause);
    throw new SignError("ERR_SIGN_BUNDLE_UNVERIFIED", `the assembled bundle does not verify against the trusted root: ${detail}`, { cause });
  }
  progress(`verified: ${verified.timestamps.length} trusted time(s), ${verified.tlogEntries.length} log entr${verified.tlogEntries.length === 1 ? "y" : "ies"}, identity ${issued.identity}`);
  return { bundle, bundleText, verified, identity: issued.identity, issuer: issued.issuer, tlogEntries: logged };
}
