/**
 * A first look at a dropped bundle, before anything is verified: what kind of bundle it is, and the
 * identity its certificate claims. Everything returned here is UNVERIFIED and is shown only as a
 * suggestion the person must confirm; verification never reads it.
 */
import { parseBundle } from "@signet/crypto/bundle/parse";
import { isSignetCryptoError } from "@signet/crypto/errors";
import { toHex } from "@signet/crypto/encoding/hex";
import { sha256 } from "@signet/crypto/digest";
import { parseCertificate } from "@signet/crypto/x509/certificate";
import { readFulcioIssuer } from "@signet/crypto/x509/fulcio-extensions";
import { sanValues } from "@signet/crypto/verify/policy";

/** What the bundle claims about its signer, unverified. */
export interface UnverifiedSignerHint {
  readonly kind: "certificate";
  /** SAN values a policy could match (URI, email, DNS, Fulcio username), as the certificate lists them. */
  readonly unverifiedIdentities: readonly string[];
  /** The Fulcio OIDC issuer extension (…57264.1.8, else .1), when present and readable. */
  readonly unverifiedIssuer: string | undefined;
  readonly unverifiedSubject: string;
  readonly unverifiedIssuerName: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** A bundle's shape, as parsed (no signature, chain or proof checked). */
export type BundleInspection =
  | {
      readonly kind: "readable";
      readonly mediaType: string;
      readonly version: string;
      readonly content: "messageSignature" | "dsseEnvelope";
      /** messageSignature only: the digest the bundle says was signed, as `sha256:<hex>` etc. */
      readonly unverifiedMessageDigest: string | undefined;
      readonly tlogEntries: number;
      readonly rfc3161Timestamps: number;
      readonly signer: UnverifiedSignerHint | { readonly kind: "publicKey"; readonly hint: string } | { readonly kind: "unreadable-certificate"; readonly code: string };
    }
  | { readonly kind: "unreadable"; readonly code: string; readonly message: string };

const ALGORITHM_PREFIX: Record<string, string> = { "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512" };

/** Parse a bundle for display and identity suggestions; never throws. */
export function inspectBundle(text: string): BundleInspection {
  let bundle;
  try {
    // attacker-controlled: parseBundle caps sizes and counts before decoding
    bundle = parseBundle(text);
  } catch (e) {
    return { kind: "unreadable", code: isSignetCryptoError(e) ? e.code : "ERR_BUNDLE_MALFORMED", message: e instanceof Error ? e.message : String(e) };
  }
  let signer: Extract<BundleInspection, { kind: "readable" }>["signer"];
  const der = bundle.key.kind === "certificate" ? bundle.key.certificate : bundle.key.kind === "x509CertificateChain" ? bundle.key.certificates[0] : undefined;
  if (bundle.key.kind === "publicKey") {
    signer = { kind: "publicKey", hint: bundle.key.hint };
  } else if (der === undefined) {
    signer = { kind: "unreadable-certificate", code: "ERR_BUNDLE_MALFORMED" };
  } else {
    try {
      const cert = parseCertificate(der);
      let issuer: string | undefined;
      try {
        issuer = readFulcioIssuer(cert);
      } catch {
        issuer = undefined;
      }
      signer = {
        kind: "certificate",
        unverifiedIdentities: sanValues(cert),
        unverifiedIssuer: issuer,
        unverifiedSubject: cert.subjectName,
        unverifiedIssuerName: cert.issuerName,
        notBefore: cert.notBefore,
        notAfter: cert.notAfter,
      };
    } catch (e) {
      signer = { kind: "unreadable-certificate", code: isSignetCryptoError(e) ? e.code : "ERR_CERT_MALFORMED" };
    }
  }
  const md = bundle.content.kind === "messageSignature" ? bundle.content.messageDigest : undefined;
  return {
    kind: "readable",
    mediaType: bundle.mediaType,
    version: bundle.version,
    content: bundle.content.kind,
    unverifiedMessageDigest: md === undefined ? undefined : `${ALGORITHM_PREFIX[md.algorithm] ?? md.algorithm}:${toHex(md.digest)}`,
    tlogEntries: bundle.tlogEntries.length,
    rfc3161Timestamps: bundle.rfc3161Timestamps.length,
    signer,
  };
}

/** Does the bundle claim to sign this SHA-256 digest? Used only to word a failure, never to pass one. */
export function bundleClaimsDigest(text: string, digest: Uint8Array): boolean | undefined {
  try {
    const bundle = parseBundle(text);
    const hex = toHex(digest);
    if (bundle.content.kind === "messageSignature") {
      const md = bundle.content.messageDigest;
      return md === undefined || md.algorithm !== "SHA-256" ? undefined : toHex(md.digest) === hex;
    }
    // A DSSE bundle names its artifacts as in-toto subjects; the payload is JSON.
    const payload = new TextDecoder("utf-8", { fatal: true }).decode(bundle.content.envelope.payload);
    if (payload.length > 4 * 1024 * 1024) return undefined;
    const statement = JSON.parse(payload) as { subject?: unknown };
    if (!Array.isArray(statement.subject)) return undefined;
    return statement.subject.some((s: unknown) => typeof s === "object" && s !== null && (s as { digest?: { sha256?: unknown } }).digest?.sha256 === hex);
  } catch {
    return undefined;
  }
}

/** SHA-256 fingerprint of DER bytes as lower-case hex (the explorer's certificate fingerprint). */
export function fingerprintHex(der: Uint8Array): string {
  return toHex(sha256(der));
}
