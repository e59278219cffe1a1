/**
 * Fulcio certificate extensions under 1.3.6.1.4.1.57264.1 (sigstore/fulcio
 * docs/oid-info.md): .1–.6 are deprecated raw strings, .8 onwards are DER
 * UTF8String, .7 is a SAN otherName.
 */
import { SignetCryptoError } from "../errors.ts";
import { fromUtf8 } from "../encoding/bytes.ts";
import { parseDer, readUtf8String } from "../asn1/der.ts";
import type { Certificate, GeneralName } from "./certificate.ts";

/** Names for the Fulcio OIDs, as in sigstore/fulcio docs/oid-info.md (INTEROP.md §1). */
export const FULCIO_OIDS = {
  issuerV1: "1.3.6.1.4.1.57264.1.1",
  githubWorkflowTrigger: "1.3.6.1.4.1.57264.1.2",
  githubWorkflowSha: "1.3.6.1.4.1.57264.1.3",
  githubWorkflowName: "1.3.6.1.4.1.57264.1.4",
  githubWorkflowRepository: "1.3.6.1.4.1.57264.1.5",
  githubWorkflowRef: "1.3.6.1.4.1.57264.1.6",
  otherNameSan: "1.3.6.1.4.1.57264.1.7",
  issuer: "1.3.6.1.4.1.57264.1.8",
  buildSignerUri: "1.3.6.1.4.1.57264.1.9",
  buildSignerDigest: "1.3.6.1.4.1.57264.1.10",
  runnerEnvironment: "1.3.6.1.4.1.57264.1.11",
  sourceRepositoryUri: "1.3.6.1.4.1.57264.1.12",
  sourceRepositoryDigest: "1.3.6.1.4.1.57264.1.13",
  sourceRepositoryRef: "1.3.6.1.4.1.57264.1.14",
  sourceRepositoryIdentifier: "1.3.6.1.4.1.57264.1.15",
  sourceRepositoryOwnerUri: "1.3.6.1.4.1.57264.1.16",
  sourceRepositoryOwnerIdentifier: "1.3.6.1.4.1.57264.1.17",
  buildConfigUri: "1.3.6.1.4.1.57264.1.18",
  buildConfigDigest: "1.3.6.1.4.1.57264.1.19",
  buildTrigger: "1.3.6.1.4.1.57264.1.20",
  runInvocationUri: "1.3.6.1.4.1.57264.1.21",
  sourceRepositoryVisibilityAtSigning: "1.3.6.1.4.1.57264.1.22",
  deploymentEnvironment: "1.3.6.1.4.1.57264.1.23",
  tokenSubject: "1.3.6.1.4.1.57264.1.24",
} as const;

/** A Fulcio extension name (keys of FULCIO_OIDS). */
export type FulcioExtensionName = keyof typeof FULCIO_OIDS;

const NAME_BY_OID = new Map<string, FulcioExtensionName>(
  (Object.entries(FULCIO_OIDS) as [FulcioExtensionName, string][]).map(([k, v]) => [v, k]),
);

const RAW_STRING_ARCS = new Set([1, 2, 3, 4, 5, 6]);

/**
 * Decode one Fulcio extension value: arcs .1–.6 are the raw bytes as text,
 * arcs ≥ .8 a DER UTF8String. Throws ERR_CERT_EXTENSION_MALFORMED.
 */
export function decodeFulcioExtension(oid: string, value: Uint8Array): string {
  const arc = Number(oid.slice(FULCIO_OIDS.issuerV1.length - 1));
  try {
    if (!oid.startsWith("1.3.6.1.4.1.57264.1.") || !Number.isInteger(arc)) throw new Error("not a Fulcio OID");
    if (RAW_STRING_ARCS.has(arc)) return fromUtf8(value);
    return readUtf8String(parseDer(value, { maxDepth: 1, maxNodes: 1 }), oid);
  } catch (cause) {
    throw new SignetCryptoError("ERR_CERT_EXTENSION_MALFORMED", `bad Fulcio extension ${oid}`, { cause });
  }
}

/** Every Fulcio extension present in a certificate, decoded and named. */
export function readFulcioExtensions(cert: Certificate): Partial<Record<FulcioExtensionName, string>> {
  const out: Partial<Record<FulcioExtensionName, string>> = {};
  for (const ext of cert.extensions) {
    const name = NAME_BY_OID.get(ext.oid);
    if (name === undefined || name === "otherNameSan") continue;
    out[name] = decodeFulcioExtension(ext.oid, ext.value);
  }
  return out;
}

/** The OIDC issuer: `.8` (UTF8String) if present, else the deprecated `.1` (raw). */
export function readFulcioIssuer(cert: Certificate): string | undefined {
  const v2 = cert.extensions.find((e) => e.oid === FULCIO_OIDS.issuer);
  if (v2 !== undefined) return decodeFulcioExtension(v2.oid, v2.value);
  const v1 = cert.extensions.find((e) => e.oid === FULCIO_OIDS.issuerV1);
  return v1 === undefined ? undefined : decodeFulcioExtension(v1.oid, v1.value);
}

/**
 * The signer identity: SAN URI first, then email, then the Fulcio otherName
 * username (the order sigstore-js `getSigner` uses).
 */
export function readSignerIdentity(cert: Certificate): string | undefined {
  const sans: readonly GeneralName[] = cert.subjectAltNames;
  const uri = sans.find((n) => n.kind === "uri");
  if (uri !== undefined) return uri.value;
  const email = sans.find((n) => n.kind === "email");
  if (email !== undefined) return email.value;
  const other = sans.find((n) => n.kind === "otherName" && n.typeId === FULCIO_OIDS.otherNameSan);
  return other?.kind === "otherName" ? other.value : undefined;
}
