/**
 * Test-only builders: certificates (RFC 5280 §4.1) and RFC 3161 timestamp
 * responses signed with fresh WebCrypto P-256 keys, so unit tests can make
 * exactly the bad input they need. Not exported from the package barrel.
 */
import type { Bytes } from "../encoding/bytes.ts";
import { concatBytes, utf8 } from "../encoding/bytes.ts";
import { TAG, contextTag, ecdsaRawToDer, encodeTlv, encodeUnsignedInteger } from "../asn1/der.ts";
import { OID, encodeOidContent } from "../asn1/oid.ts";
import { digestSync } from "../digest.ts";

/** A P-256 key pair with its SPKI. */
export interface TestKey {
  readonly privateKey: CryptoKey;
  readonly spki: Bytes;
}

/** Generate a P-256 signing key. */
export async function generateTestKey(): Promise<TestKey> {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  return { privateKey: pair.privateKey, spki: new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey)) as Bytes };
}

/** ECDSA-SHA256 over `data`, DER-encoded. */
export async function signDer(key: TestKey, data: Uint8Array): Promise<Bytes> {
  const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.privateKey, Uint8Array.from(data)));
  return ecdsaRawToDer(raw);
}

const seq = (...parts: Uint8Array[]) => encodeTlv(TAG.SEQUENCE, concatBytes(...parts));
const set = (...parts: Uint8Array[]) => encodeTlv(TAG.SET, concatBytes(...parts));
const oid = (o: string) => encodeTlv(TAG.OID, encodeOidContent(o));
const octets = (b: Uint8Array) => encodeTlv(TAG.OCTET_STRING, b);
const utf8String = (s: string) => encodeTlv(TAG.UTF8_STRING, utf8(s));
const int = (n: number | Uint8Array) => encodeUnsignedInteger(typeof n === "number" ? Uint8Array.of(n) : n);
const ECDSA_SHA256 = seq(oid(OID.ecdsaWithSha256));

/** A Name with O and CN (either may be empty to omit it). */
export function testName(org: string, cn: string): Bytes {
  const rdns: Uint8Array[] = [];
  if (org) rdns.push(set(seq(oid("2.5.4.10"), utf8String(org))));
  if (cn) rdns.push(set(seq(oid("2.5.4.3"), utf8String(cn))));
  return seq(...rdns);
}

function time(ms: number): Bytes {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const body = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  const y = d.getUTCFullYear();
  return y < 2050 ? encodeTlv(TAG.UTC_TIME, utf8(`${p(y % 100)}${body}`)) : encodeTlv(TAG.GENERALIZED_TIME, utf8(`${p(y, 4)}${body}`));
}

/** One extension: OID, criticality and the DER of extnValue's content. */
export interface TestExtension {
  readonly oid: string;
  readonly critical?: boolean;
  readonly value: Uint8Array;
}

/** Extension value builders. */
export const ext = {
  basicConstraints: (ca: boolean, pathLen?: number): TestExtension => ({
    oid: OID.basicConstraints,
    critical: true,
    value: seq(...(ca ? [encodeTlv(TAG.BOOLEAN, Uint8Array.of(0xff))] : []), ...(pathLen === undefined ? [] : [int(pathLen)])),
  }),
  keyUsage: (bits: "leaf" | "ca"): TestExtension => ({
    oid: OID.keyUsage,
    critical: true,
    value: encodeTlv(TAG.BIT_STRING, bits === "leaf" ? Uint8Array.of(7, 0x80) : Uint8Array.of(1, 0x06)),
  }),
  eku: (oids: readonly string[], critical = false): TestExtension => ({ oid: OID.extKeyUsage, critical, value: seq(...oids.map(oid)) }),
  sanUri: (uri: string): TestExtension => ({ oid: OID.subjectAltName, critical: true, value: seq(encodeTlv(contextTag(6, false), utf8(uri))) }),
  sanEmail: (email: string): TestExtension => ({ oid: OID.subjectAltName, critical: true, value: seq(encodeTlv(contextTag(1, false), utf8(email))) }),
  fulcioIssuer: (issuer: string): TestExtension => ({ oid: "1.3.6.1.4.1.57264.1.8", value: utf8String(issuer) }),
  subjectKeyId: (spki: Uint8Array): TestExtension => ({ oid: OID.subjectKeyIdentifier, value: octets(digestSync("SHA-256", spki).subarray(0, 20)) }),
  authorityKeyId: (spki: Uint8Array): TestExtension => ({
    oid: OID.authorityKeyIdentifier,
    value: seq(encodeTlv(contextTag(0, false), digestSync("SHA-256", spki).subarray(0, 20))),
  }),
  raw: (o: string, value: Uint8Array, critical = false): TestExtension => ({ oid: o, critical, value }),
};

/** Input of buildTestCertificate. */
export interface TestCertificateSpec {
  readonly serial?: number;
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly spki: Uint8Array;
  readonly extensions: readonly TestExtension[];
  readonly signer: TestKey;
}

/** TBSCertificate DER for a spec (v3, ECDSA-SHA256). */
export function testTbs(spec: TestCertificateSpec): Bytes {
  const exts = spec.extensions.map((e) =>
    seq(oid(e.oid), ...(e.critical ? [encodeTlv(TAG.BOOLEAN, Uint8Array.of(0xff))] : []), octets(e.value)),
  );
  return seq(
    encodeTlv(contextTag(0, true), int(2)),
    int(spec.serial ?? 1),
    ECDSA_SHA256,
    spec.issuer,
    seq(time(spec.notBefore), time(spec.notAfter)),
    spec.subject,
    spec.spki,
    ...(exts.length > 0 ? [encodeTlv(contextTag(3, true), seq(...exts))] : []),
  );
}

/** A signed certificate DER. */
export async function buildTestCertificate(spec: TestCertificateSpec): Promise<Bytes> {
  const tbs = testTbs(spec);
  const sig = await signDer(spec.signer, tbs);
  return seq(tbs, ECDSA_SHA256, encodeTlv(TAG.BIT_STRING, concatBytes(Uint8Array.of(0), sig)));
}

/** Input of buildTestTimestampResponse. */
export interface TestTimestampSpec {
  /** What is timestamped (Sigstore: the signature bytes). */
  readonly data: Uint8Array;
  readonly genTime: number;
  /** The TSA signing certificate's issuer Name DER and serial (for the SignerInfo sid). */
  readonly issuer: Uint8Array;
  readonly serial: number;
  readonly signer: TestKey;
  /** Override the messageDigest attribute (to test a mismatch). */
  readonly messageDigest?: Uint8Array;
  readonly status?: number;
}

/** A DER TimeStampResp (RFC 3161 §2.4.2) with one ECDSA SignerInfo. */
export async function buildTestTimestampResponse(spec: TestTimestampSpec): Promise<Bytes> {
  const sha256Alg = seq(oid(OID.sha256));
  const d = new Date(spec.genTime);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const gen = encodeTlv(
    TAG.GENERALIZED_TIME,
    utf8(`${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`),
  );
  const tstInfo = seq(int(1), oid("1.3.6.1.4.1.57264.2"), seq(sha256Alg, octets(digestSync("SHA-256", spec.data))), int(42), gen);
  const attrs = concatBytes(
    seq(oid(OID.contentType), set(oid(OID.tstInfo))),
    seq(oid(OID.messageDigest), set(octets(spec.messageDigest ?? digestSync("SHA-256", tstInfo)))),
  );
  const signature = await signDer(spec.signer, encodeTlv(TAG.SET, attrs));
  const signerInfo = seq(
    int(1),
    seq(spec.issuer, int(spec.serial)),
    sha256Alg,
    encodeTlv(contextTag(0, true), attrs),
    ECDSA_SHA256,
    octets(signature),
  );
  const signedData = seq(
    int(3),
    set(sha256Alg),
    seq(oid(OID.tstInfo), encodeTlv(contextTag(0, true), octets(tstInfo))),
    set(signerInfo),
  );
  const token = seq(oid(OID.signedData), encodeTlv(contextTag(0, true), signedData));
  return seq(seq(int(spec.status ?? 0)), token);
}

/** A three-level PKI (root → intermediate → leaf) with sensible defaults. */
export interface TestPki {
  readonly root: { key: TestKey; der: Bytes; name: Bytes };
  readonly intermediate: { key: TestKey; der: Bytes; name: Bytes };
  readonly leafKey: TestKey;
  /** Issue a leaf under the intermediate; overrides replace defaults. */
  leaf(overrides?: Partial<TestCertificateSpec>): Promise<Bytes>;
}

const HOUR = 3_600_000;

/** Build a root and an intermediate valid around `t0` (ms), like Fulcio's. */
export async function createTestPki(t0: number, opts: { intermediateNotAfter?: number; intermediateExtensions?: TestExtension[] } = {}): Promise<TestPki> {
  const rootKey = await generateTestKey();
  const interKey = await generateTestKey();
  const leafKey = await generateTestKey();
  const rootName = testName("signet.test", "test-root");
  const interName = testName("signet.test", "test-intermediate");
  const rootDer = await buildTestCertificate({
    issuer: rootName,
    subject: rootName,
    notBefore: t0 - 1000 * HOUR,
    notAfter: t0 + 1000 * HOUR,
    spki: rootKey.spki,
    extensions: [ext.basicConstraints(true, 1), ext.keyUsage("ca"), ext.subjectKeyId(rootKey.spki)],
    signer: rootKey,
  });
  const interDer = await buildTestCertificate({
    serial: 2,
    issuer: rootName,
    subject: interName,
    notBefore: t0 - 100 * HOUR,
    notAfter: opts.intermediateNotAfter ?? t0 + 100 * HOUR,
    spki: interKey.spki,
    extensions: opts.intermediateExtensions ?? [
      ext.basicConstraints(true, 0),
      ext.keyUsage("ca"),
      ext.eku([OID.ekuCodeSigning]),
      ext.subjectKeyId(interKey.spki),
      ext.authorityKeyId(rootKey.spki),
    ],
    signer: rootKey,
  });
  return {
    root: { key: rootKey, der: rootDer, name: rootName },
    intermediate: { key: interKey, der: interDer, name: interName },
    leafKey,
    leaf: (o = {}) =>
      buildTestCertificate({
        serial: 3,
        issuer: interName,
        subject: new Uint8Array([0x30, 0x00]),
        notBefore: t0 - 5 * 60_000,
        notAfter: t0 + 5 * 60_000,
        spki: leafKey.spki,
        extensions: [
          ext.keyUsage("leaf"),
          ext.eku([OID.ekuCodeSigning]),
          ext.sanUri("https://example.test/workflow"),
          ext.fulcioIssuer("https://issuer.example.test"),
          ext.authorityKeyId(interKey.spki),
        ],
        signer: interKey,
        ...o,
      }),
  };
}
