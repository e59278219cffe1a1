/**
 * A log entry body decoded for the explorer: kind, version, digest, signature and signer (the
 * certificate's SAN, OIDC issuer and Fulcio extensions by name, or the public key). Bodies come
 * from the log and are attacker-controlled: every parse is capped and typed, and a body that does
 * not parse is shown raw, as text, with the reason.
 */
import { toBase64 } from "@signet/crypto/encoding/base64";
import { toHex } from "@signet/crypto/encoding/hex";
import { sha256 } from "@signet/crypto/digest";
import { isSignetCryptoError } from "@signet/crypto/errors";
import { parseSpki } from "@signet/crypto/keys";
import { parseLogEntryBody, type EntryVerifier } from "@signet/crypto/tlog/entry-body";
import { parseCertificate, type GeneralName } from "@signet/crypto/x509/certificate";
import { FULCIO_OIDS, decodeFulcioExtension, readFulcioIssuer } from "@signet/crypto/x509/fulcio-extensions";

/** Largest body the explorer decodes (the API caps entries far below this). */
export const MAX_DISPLAY_BODY_BYTES = 1024 * 1024;

/** A Fulcio extension, named as in sigstore/fulcio docs/oid-info.md. */
export interface NamedExtension {
  readonly name: string;
  readonly oid: string;
  /** The decoded value, or undefined when it did not decode. */
  readonly value: string | undefined;
}

export type SignerDescription =
  | {
      readonly kind: "certificate";
      readonly subjectAltNames: readonly { readonly type: string; readonly value: string }[];
      readonly oidcIssuer: string | undefined;
      readonly subject: string;
      readonly issuerName: string;
      readonly serialHex: string;
      readonly notBefore: number;
      readonly notAfter: number;
      readonly fingerprintHex: string;
      readonly fulcioExtensions: readonly NamedExtension[];
    }
  | { readonly kind: "publicKey"; readonly keyType: string; readonly fingerprintHex: string }
  | { readonly kind: "unreadable"; readonly what: "certificate" | "public key"; readonly code: string };

export interface EntryDescription {
  readonly kind: string;
  readonly version: string;
  /** hashedrekord: the signed artifact digest; dsse/intoto: the payload digest. */
  readonly digest: { readonly label: string; readonly value: string } | undefined;
  readonly signatures: readonly { readonly signatureBase64: string; readonly signer: SignerDescription }[];
  /** Set when the body did not parse as its kind: the page then shows it raw only. */
  readonly problem: { readonly code: string; readonly message: string } | undefined;
}

const OID_NAMES = new Map<string, string>(Object.entries(FULCIO_OIDS).map(([name, oid]) => [oid, name]));
const HASH_PREFIX: Record<string, string> = { "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512" };

function describeName(n: GeneralName): { type: string; value: string } {
  switch (n.kind) {
    case "email":
    case "dns":
    case "uri":
    case "ip":
    case "directoryName":
      return { type: n.kind === "dns" ? "DNS" : n.kind === "uri" ? "URI" : n.kind === "ip" ? "IP" : n.kind, value: n.value };
    case "otherName":
      return { type: n.typeId === FULCIO_OIDS.otherNameSan ? "username" : `otherName ${n.typeId}`, value: n.value ?? `(${n.raw.length} bytes)` };
    case "other":
      return { type: `tag ${n.tag}`, value: "" };
  }
}

/** Decode the signer a body names; never throws. */
export function describeSigner(verifier: EntryVerifier): SignerDescription {
  if (verifier.kind === "publicKey") {
    try {
      const key = parseSpki(verifier.spki);
      const keyType = key.kind === "ecdsa" ? `ECDSA ${key.curve}` : key.kind === "rsa" ? `RSA ${key.modulusBits}` : "Ed25519";
      return { kind: "publicKey", keyType, fingerprintHex: toHex(sha256(verifier.spki)) };
    } catch (e) {
      return { kind: "unreadable", what: "public key", code: isSignetCryptoError(e) ? e.code : "ERR_KEY_MALFORMED" };
    }
  }
  try {
    // attacker-controlled: parseCertificate caps size, depth and counts
    const cert = parseCertificate(verifier.der);
    let oidcIssuer: string | undefined;
    try {
      oidcIssuer = readFulcioIssuer(cert);
    } catch {
      oidcIssuer = undefined;
    }
    const fulcioExtensions: NamedExtension[] = [];
    for (const ext of cert.extensions) {
      const name = OID_NAMES.get(ext.oid);
      if (name === undefined || name === "otherNameSan") continue;
      let value: string | undefined;
      try {
        value = decodeFulcioExtension(ext.oid, ext.value);
      } catch {
        value = undefined;
      }
      fulcioExtensions.push({ name, oid: ext.oid, value });
    }
    return {
      kind: "certificate",
      subjectAltNames: cert.subjectAltNames.map(describeName),
      oidcIssuer,
      subject: cert.subjectName,
      issuerName: cert.issuerName,
      serialHex: toHex(cert.serialNumber),
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      fingerprintHex: toHex(sha256(verifier.der)),
      fulcioExtensions,
    };
  } catch (e) {
    return { kind: "unreadable", what: "certificate", code: isSignetCryptoError(e) ? e.code : "ERR_CERT_MALFORMED" };
  }
}

/** Decode an entry body of the given kind and API version for display; never throws. */
export function describeEntryBody(body: Uint8Array, kindVersion: { readonly kind: string; readonly version: string }): EntryDescription {
  const base = { kind: kindVersion.kind, version: kindVersion.version };
  if (body.length > MAX_DISPLAY_BODY_BYTES) {
    return { ...base, digest: undefined, signatures: [], problem: { code: "ERR_WEB_BODY_TOO_LARGE", message: "the body is too large to decode here" } };
  }
  let parsed;
  try {
    parsed = parseLogEntryBody(body, kindVersion);
  } catch (e) {
    return {
      ...base,
      digest: undefined,
      signatures: [],
      problem: { code: isSignetCryptoError(e) ? e.code : "ERR_TLOG_BODY_MALFORMED", message: e instanceof Error ? e.message : String(e) },
    };
  }
  if (parsed.kind === "hashedrekord") {
    return {
      ...base,
      digest: { label: "Artifact digest", value: `${HASH_PREFIX[parsed.digest.algorithm] ?? parsed.digest.algorithm}:${toHex(parsed.digest.value)}` },
      signatures: [{ signatureBase64: toBase64(parsed.signature), signer: describeSigner(parsed.verifier) }],
      problem: undefined,
    };
  }
  return {
    ...base,
    digest: { label: "Payload digest", value: `${HASH_PREFIX[parsed.payloadHash.algorithm] ?? parsed.payloadHash.algorithm}:${toHex(parsed.payloadHash.value)}` },
    signatures: parsed.signatures.map((s) => ({ signatureBase64: toBase64(s.signature), signer: describeSigner(s.verifier) })),
    problem: undefined,
  };
}

/** The body as text for the raw view: pretty-printed JSON when it parses, else the UTF-8 text (lossy). */
export function bodyAsText(body: Uint8Array): string {
  const capped = body.length > MAX_DISPLAY_BODY_BYTES ? body.subarray(0, MAX_DISPLAY_BODY_BYTES) : body;
  const text = new TextDecoder("utf-8", { fatal: false }).decode(capped);
  if (capped !== body) return text;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** A one-line signer label for lists: the first SAN, or the key's fingerprint. */
export function signerLabel(description: EntryDescription): string {
  const signer = description.signatures[0]?.signer;
  if (signer === undefined) return description.problem !== undefined ? "(body not readable)" : "—";
  if (signer.kind === "certificate") return signer.subjectAltNames[0]?.value ?? signer.subject ?? "(no identity)";
  if (signer.kind === "publicKey") return `${signer.keyType} key sha256:${signer.fingerprintHex.slice(0, 16)}…`;
  return `(unreadable ${signer.what})`;
}
