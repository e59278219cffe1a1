/**
 * Test-only helpers: real keys from node:crypto, small real X.509 certificates built with
 * @signet/crypto's DER encoder (Fulcio-shaped: critical SAN, issuer OID .1.8), and request builders.
 * Nothing here is imported by product code.
 */
import crypto, { type KeyObject } from "node:crypto";
import { TAG, contextTag, encodeTlv, encodeUnsignedInteger } from "@signet/crypto/asn1/der";
import { concatBytes, utf8 } from "@signet/crypto/encoding/bytes";
import { encodeOidContent } from "@signet/crypto/asn1/oid";
import { preAuthEncoding } from "@signet/crypto/dsse/pae";

export type TestKeyKind = "P-256" | "P-384" | "P-521" | "RSA-2048" | "RSA-3072" | "RSA-4096" | "Ed25519" | "RSA-1024";

export interface TestKey {
  kind: TestKeyKind;
  privateKey: KeyObject;
  publicKey: KeyObject;
  spki: Buffer;
}

const cache = new Map<TestKeyKind, TestKey>();

/** A fresh key pair of the given kind. */
export function newKey(kind: TestKeyKind): TestKey {
  let pair: { privateKey: KeyObject; publicKey: KeyObject };
  if (kind === "Ed25519") pair = crypto.generateKeyPairSync("ed25519");
  else if (kind.startsWith("RSA-")) pair = crypto.generateKeyPairSync("rsa", { modulusLength: Number(kind.slice(4)) });
  else pair = crypto.generateKeyPairSync("ec", { namedCurve: kind });
  return { kind, ...pair, spki: pair.publicKey.export({ type: "spki", format: "der" }) };
}

/** One key per kind for the whole test file (RSA generation is slow). */
export function key(kind: TestKeyKind): TestKey {
  let k = cache.get(kind);
  if (k === undefined) {
    k = newKey(kind);
    cache.set(kind, k);
  }
  return k;
}

const seq = (...parts: Uint8Array[]) => encodeTlv(TAG.SEQUENCE, concatBytes(...parts));
const oid = (o: string) => encodeTlv(TAG.OID, encodeOidContent(o));
const utc = (d: Date) => encodeTlv(TAG.UTC_TIME, utf8(d.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z"));

export interface CertOptions {
  /** The subject key (SPKI DER) the certificate binds. */
  spki: Uint8Array;
  san?: { kind: "uri" | "email"; value: string };
  /** Fulcio issuer, OID 1.3.6.1.4.1.57264.1.8 as a DER UTF8String. */
  issuer?: string;
  /** Deprecated Fulcio issuer, OID 1.3.6.1.4.1.57264.1.1 as raw bytes. */
  issuerV1?: string;
  /** Raw extension value for .1.8 (to build malformed ones). */
  issuerRaw?: Uint8Array;
}

const CA = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });

/** A v3 certificate for `spki`, issued (signed) by a throwaway P-256 CA with ecdsa-with-SHA256. */
export function makeCertificate(opts: CertOptions): Buffer {
  const exts: Uint8Array[] = [];
  if (opts.san) {
    const name = encodeTlv(contextTag(opts.san.kind === "uri" ? 6 : 1, false), utf8(opts.san.value));
    exts.push(seq(oid("2.5.29.17"), encodeTlv(TAG.BOOLEAN, Uint8Array.of(0xff)), encodeTlv(TAG.OCTET_STRING, seq(name))));
  }
  if (opts.issuerV1 !== undefined) exts.push(seq(oid("1.3.6.1.4.1.57264.1.1"), encodeTlv(TAG.OCTET_STRING, utf8(opts.issuerV1))));
  if (opts.issuer !== undefined || opts.issuerRaw !== undefined) {
    const value = opts.issuerRaw ?? encodeTlv(TAG.UTF8_STRING, utf8(opts.issuer!));
    exts.push(seq(oid("1.3.6.1.4.1.57264.1.8"), encodeTlv(TAG.OCTET_STRING, value)));
  }
  const alg = seq(oid("1.2.840.10045.4.3.2"));
  const caName = seq(encodeTlv(TAG.SET, seq(oid("2.5.4.3"), encodeTlv(TAG.UTF8_STRING, utf8("signet test CA")))));
  const now = Date.now();
  const tbs = seq(
    encodeTlv(contextTag(0, true), encodeUnsignedInteger(Uint8Array.of(2))),
    encodeUnsignedInteger(crypto.randomBytes(16)),
    alg,
    caName,
    seq(utc(new Date(now - 60_000)), utc(new Date(now + 600_000))),
    seq(),
    opts.spki,
    ...(exts.length ? [encodeTlv(contextTag(3, true), seq(...exts))] : []),
  );
  const sig = crypto.sign("sha256", tbs, CA.privateKey);
  return Buffer.from(seq(tbs, alg, encodeTlv(TAG.BIT_STRING, concatBytes(Uint8Array.of(0), sig))));
}

/** A Fulcio-like certificate for a test key. */
export function certFor(k: TestKey, identity = "dev@example.test", issuer = "http://localhost:8081"): Buffer {
  return makeCertificate({ spki: k.spki, san: { kind: identity.includes("://") ? "uri" : "email", value: identity }, issuer });
}

/** PEM with 64-character lines (RFC 7468). */
export function pem(der: Uint8Array, label: "CERTIFICATE" | "PUBLIC KEY"): string {
  const b64 = Buffer.from(der).toString("base64");
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}

export const b64 = (b: Uint8Array | string) => Buffer.from(b).toString("base64");

export type DigestName = "sha256" | "sha384" | "sha512";

/** Sign an artifact the way a hashedrekord signer does: over the artifact (hashed with `alg`). */
export function signArtifact(k: TestKey, artifact: Uint8Array, alg: DigestName = "sha256"): Buffer {
  return crypto.sign(alg, artifact, k.privateKey);
}

export interface V1Options {
  key?: TestKey;
  /** Certificate DER; by default a certificate for `key`. Pass null for a bare public key. */
  cert?: Buffer | null;
  artifact?: Uint8Array;
  alg?: DigestName;
  signature?: Buffer;
}

/** A valid Rekor v1 hashedrekord 0.0.1 ProposedEntry (as a plain object) and its parts. */
export function v1Entry(o: V1Options = {}) {
  const k = o.key ?? key("P-256");
  const artifact = o.artifact ?? Buffer.from("hello, signet");
  const alg = o.alg ?? "sha256";
  const digest = crypto.hash(alg, artifact, "buffer");
  const signature = o.signature ?? signArtifact(k, artifact, alg);
  const cert = o.cert === undefined ? certFor(k) : o.cert;
  const pemText = cert ? pem(cert, "CERTIFICATE") : pem(k.spki, "PUBLIC KEY");
  const entry = {
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: {
      data: { hash: { algorithm: alg as string, value: digest.toString("hex") } },
      signature: { content: b64(signature), publicKey: { content: b64(pemText) } },
    },
  };
  return { entry, key: k, cert, digest, signature, pemText };
}

const KEY_DETAILS: Record<string, string> = {
  "P-256": "PKIX_ECDSA_P256_SHA_256",
  "P-384": "PKIX_ECDSA_P384_SHA_384",
  "P-521": "PKIX_ECDSA_P521_SHA_512",
  "RSA-2048": "PKIX_RSA_PKCS1V15_2048_SHA256",
  "RSA-3072": "PKIX_RSA_PKCS1V15_3072_SHA256",
  "RSA-4096": "PKIX_RSA_PKCS1V15_4096_SHA256",
};
const V2_HASH: Record<string, DigestName> = { "P-256": "sha256", "P-384": "sha384", "P-521": "sha512" };

/** A valid Rekor v2 CreateEntryRequest (hashedrekord 0.0.2) and its parts. */
export function v2Request(o: { key?: TestKey; cert?: Buffer | null; artifact?: Uint8Array; keyDetails?: string } = {}) {
  const k = o.key ?? key("P-256");
  const artifact = o.artifact ?? Buffer.from("hello, signet v2");
  const alg = V2_HASH[k.kind] ?? "sha256";
  const digest = crypto.hash(alg, artifact, "buffer");
  const signature = signArtifact(k, artifact, alg);
  const cert = o.cert === undefined ? certFor(k) : o.cert;
  const verifier = cert ? { x509Certificate: { rawBytes: b64(cert) } } : { publicKey: { rawBytes: b64(k.spki) } };
  const request = {
    hashedRekordRequestV002: {
      digest: b64(digest),
      signature: { content: b64(signature), verifier: { ...verifier, keyDetails: o.keyDetails ?? KEY_DETAILS[k.kind] ?? "PKIX_ED25519" } },
    },
  };
  return { request, key: k, cert, digest, signature, alg };
}

/** Sign a DSSE envelope over the PAE (DSSE protocol.md) with each key (Rekor dsse verifies with SHA-256). */
export function signDsse(payloadType: string, payload: Uint8Array, keys: TestKey[]): { envelope: string; sigs: string[] } {
  const pae = preAuthEncoding(payloadType, payload);
  const sigs = keys.map((k) => b64(crypto.sign(k.kind === "Ed25519" ? null : "sha256", pae, k.privateKey)));
  const envelope = JSON.stringify({ payload: b64(payload), payloadType, signatures: sigs.map((sig) => ({ keyid: "", sig })) });
  return { envelope, sigs };
}

/** An in-toto Statement v1 about one artifact. */
export function statement(artifact: Uint8Array, name = "artifact.bin"): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name, digest: { sha256: crypto.hash("sha256", artifact, "hex") } }],
      predicateType: "https://slsa.dev/provenance/v1",
      predicate: { buildDefinition: { buildType: "test" } },
    }),
  );
}

/** A valid dsse 0.0.1 ProposedEntry signed by `keys` (each with its own certificate unless bare). */
export function dsseEntry(o: { keys?: TestKey[]; bare?: boolean; payloadType?: string; payload?: Uint8Array } = {}) {
  const keys = o.keys ?? [key("P-256")];
  const payloadType = o.payloadType ?? "application/vnd.in-toto+json";
  const payload = o.payload ?? statement(Buffer.from("hello, dsse"));
  const { envelope, sigs } = signDsse(payloadType, payload, keys);
  const certs = keys.map((k) => (o.bare ? null : certFor(k)));
  const verifiers = keys.map((k, i) => b64(certs[i] ? pem(certs[i]!, "CERTIFICATE") : pem(k.spki, "PUBLIC KEY")));
  const entry = { apiVersion: "0.0.1", kind: "dsse", spec: { proposedContent: { envelope, verifiers } } };
  return { entry, envelope, sigs, certs, verifiers, payload, payloadType, keys };
}

/** Expect `f` to throw a DomainError with `code` and HTTP status 400; returns the error. */
export function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    const err = e as { code?: unknown; status?: unknown; name?: unknown };
    if (err.name !== "DomainError" || err.status !== 400) throw e;
    return String(err.code);
  }
  return "no error";
}
