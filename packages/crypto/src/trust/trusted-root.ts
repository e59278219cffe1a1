/**
 * TrustedRoot v0.1/v0.2 (sigstore/protobuf-specs sigstore_trustroot.proto;
 * INTEROP.md §7): the only source of trust material for verification
 * (SECURITY.md F9). validFor ranges are closed intervals and `start` is required.
 */
import { SignetCryptoError } from "../errors.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { bytesEqual } from "../encoding/bytes.ts";
import { ProtoJsonReader, type JsonObject } from "../bundle/protobuf-json.ts";
import { parseSpki, rsaPublicKeyToSpki, type PublicKeyInfo } from "../keys.ts";
import { parseCertificate, type Certificate } from "../x509/certificate.ts";
import { isWithin, parseRfc3339, type TimeRange } from "./time-range.ts";

/** Media types accepted (emit v0.2). */
export const TRUSTED_ROOT_MEDIA_TYPES = [
  "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  "application/vnd.dev.sigstore.trustedroot.v0.2+json",
] as const;

/** Caps on a trusted root (it is configuration, but still parsed defensively). */
export const TRUSTED_ROOT_LIMITS = { maxBytes: 4 * 1024 * 1024, instances: 256, chainLength: 8 } as const;

/** TransparencyLogInstance: a Rekor log or a CT log. */
export interface TransparencyLogInstance {
  readonly baseUrl: string;
  /** Host (with port) of baseUrl: what checkpoint key names and origins are matched against. */
  readonly host: string;
  readonly keyDetails: string;
  /** Undefined when the key type is not one Signet supports; such a log can verify nothing. */
  readonly publicKey: PublicKeyInfo | undefined;
  readonly validFor: TimeRange;
  readonly logId: Bytes;
  readonly checkpointKeyId: Bytes | undefined;
  readonly operator: string;
}

/** CertificateAuthority: a Fulcio CA or a timestamp authority. */
export interface CertificateAuthority {
  readonly subject: { readonly organization: string; readonly commonName: string };
  readonly uri: string;
  /** Issuing certificate first, root last (for TSAs: the signing certificate first). */
  readonly certChain: readonly Certificate[];
  readonly validFor: TimeRange;
  readonly operator: string;
}

/** A parsed trusted root. */
export interface TrustedRoot {
  readonly kind: "trusted-root";
  readonly mediaType: string;
  readonly tlogs: readonly TransparencyLogInstance[];
  readonly ctlogs: readonly TransparencyLogInstance[];
  readonly certificateAuthorities: readonly CertificateAuthority[];
  readonly timestampAuthorities: readonly CertificateAuthority[];
}

const r: ProtoJsonReader = new ProtoJsonReader("ERR_TRUSTED_ROOT_MALFORMED");

function parseValidFor(o: JsonObject | undefined, path: string): TimeRange {
  // A missing start is a malformed root, never "since the beginning of time"
  // (conformance trust-root-tlog-missing-validity-start_fail).
  if (o === undefined) r.fail(`${path}.validFor`, "is required");
  const vf = r.object(o, `${path}.validFor`, ["start", "end"]);
  if (vf.start === undefined || vf.start === null) r.fail(`${path}.validFor.start`, "is required");
  const start = parseRfc3339(vf.start, "ERR_TRUSTED_ROOT_MALFORMED");
  const end = vf.end === undefined || vf.end === null ? undefined : parseRfc3339(vf.end, "ERR_TRUSTED_ROOT_MALFORMED");
  if (end !== undefined && end < start) r.fail(`${path}.validFor`, "ends before it starts");
  return { start, end };
}

/** The host[:port] of a base URL; a scheme-less value is taken as the host itself. */
export function hostOf(baseUrl: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(baseUrl);
  return (m === null ? baseUrl.split("/")[0]! : m[1]!).toLowerCase();
}

function parseLogKey(raw: Bytes, keyDetails: string, path: string): PublicKeyInfo | undefined {
  try {
    // Old roots ship some RSA CT keys as a bare PKCS#1 RSAPublicKey (keyDetails PKCS1_RSA_*).
    return parseSpki(keyDetails.startsWith("PKCS1_RSA") ? rsaPublicKeyToSpki(raw) : raw);
  } catch (e) {
    if (e instanceof SignetCryptoError && e.code === "ERR_KEY_UNSUPPORTED") return undefined;
    r.fail(`${path}.publicKey`, "is not a valid public key", e);
  }
}

function parseLog(v: unknown, path: string): TransparencyLogInstance {
  const o = r.object(v, path, ["baseUrl", "hashAlgorithm", "publicKey", "logId", "checkpointKeyId", "operator"]);
  const hashAlgorithm = r.string(o, "hashAlgorithm", path, 32);
  if (hashAlgorithm !== "SHA2_256") r.fail(`${path}.hashAlgorithm`, "must be SHA2_256");
  const pk = r.requiredObject(o, "publicKey", path, ["rawBytes", "keyDetails", "validFor"]);
  const raw = r.requiredBytes(pk, "rawBytes", `${path}.publicKey`, 16 * 1024);
  const keyDetails = r.string(pk, "keyDetails", `${path}.publicKey`, 64);
  const cp = r.optionalObject(o, "checkpointKeyId", path, ["keyId"]);
  const baseUrl = r.requiredString(o, "baseUrl", path, 2048);
  return {
    baseUrl,
    host: hostOf(baseUrl),
    keyDetails,
    publicKey: parseLogKey(raw, keyDetails, path),
    validFor: parseValidFor(r.optionalObject(pk, "validFor", `${path}.publicKey`, ["start", "end"]), `${path}.publicKey`),
    logId: r.requiredBytes(r.requiredObject(o, "logId", path, ["keyId"]), "keyId", `${path}.logId`, 128),
    checkpointKeyId: cp === undefined ? undefined : r.requiredBytes(cp, "keyId", `${path}.checkpointKeyId`, 128),
    operator: r.string(o, "operator", path, 256),
  };
}

function parseAuthority(v: unknown, path: string): CertificateAuthority {
  const o = r.object(v, path, ["subject", "uri", "certChain", "validFor", "operator"]);
  const subject = r.optionalObject(o, "subject", path, ["organization", "commonName"]);
  const chain = r.requiredObject(o, "certChain", path, ["certificates"]);
  const certs = r.array(chain, "certificates", `${path}.certChain`, TRUSTED_ROOT_LIMITS.chainLength);
  if (certs.length === 0) r.fail(`${path}.certChain.certificates`, "is empty");
  const certChain = certs.map((c, i) => {
    const p = `${path}.certChain.certificates[${i}]`;
    try {
      return parseCertificate(r.requiredBytes(r.object(c, p, ["rawBytes"]), "rawBytes", p, 64 * 1024));
    } catch (e) {
      if (e instanceof SignetCryptoError && e.code === "ERR_TRUSTED_ROOT_MALFORMED") throw e;
      r.fail(p, "is not a valid certificate", e);
    }
  });
  return {
    subject: {
      organization: subject === undefined ? "" : r.string(subject, "organization", `${path}.subject`, 256),
      commonName: subject === undefined ? "" : r.string(subject, "commonName", `${path}.subject`, 256),
    },
    uri: r.string(o, "uri", path, 2048),
    certChain,
    validFor: parseValidFor(r.optionalObject(o, "validFor", path, ["start", "end"]), path),
    operator: r.string(o, "operator", path, 256),
  };
}

/**
 * Parse a TrustedRoot from JSON text, bytes or a parsed value
 * (sigstore_trustroot.proto). Throws ERR_TRUSTED_ROOT_MALFORMED.
 */
export function parseTrustedRoot(input: unknown): TrustedRoot {
  const json = r.parseJson(input, TRUSTED_ROOT_LIMITS.maxBytes, "trustedRoot");
  const o = r.object(json, "trustedRoot", ["mediaType", "tlogs", "certificateAuthorities", "ctlogs", "timestampAuthorities"]);
  const mediaType = r.requiredString(o, "mediaType", "trustedRoot", 128);
  if (!(TRUSTED_ROOT_MEDIA_TYPES as readonly string[]).includes(mediaType)) r.fail("trustedRoot.mediaType", `unsupported ${JSON.stringify(mediaType)}`);
  const max = TRUSTED_ROOT_LIMITS.instances;
  return {
    kind: "trusted-root",
    mediaType,
    tlogs: r.array(o, "tlogs", "trustedRoot", max).map((v, i) => parseLog(v, `tlogs[${i}]`)),
    ctlogs: r.array(o, "ctlogs", "trustedRoot", max).map((v, i) => parseLog(v, `ctlogs[${i}]`)),
    certificateAuthorities: r.array(o, "certificateAuthorities", "trustedRoot", max).map((v, i) => parseAuthority(v, `certificateAuthorities[${i}]`)),
    timestampAuthorities: r.array(o, "timestampAuthorities", "trustedRoot", max).map((v, i) => parseAuthority(v, `timestampAuthorities[${i}]`)),
  };
}

/**
 * The logs whose log ID (or checkpoint key ID) equals `logId`, optionally
 * restricted to those whose key is valid at `time` (ms, inclusive).
 */
export function findLogsById(logs: readonly TransparencyLogInstance[], logId: Uint8Array, time?: number): TransparencyLogInstance[] {
  return logs.filter(
    (l) =>
      (bytesEqual(l.logId, logId) || (l.checkpointKeyId !== undefined && bytesEqual(l.checkpointKeyId, logId))) &&
      (time === undefined || isWithin(l.validFor, time)),
  );
}
