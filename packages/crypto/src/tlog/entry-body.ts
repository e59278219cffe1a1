/**
 * Rekor entry bodies (`canonicalizedBody`) and their binding to a bundle:
 * hashedrekord 0.0.1 (sigstore/rekor pkg/types/hashedrekord/v0.0.1),
 * hashedrekord 0.0.2 (sigstore/rekor-tiles; protobuf-specs rekor/v2),
 * dsse 0.0.1 and intoto 0.0.2 (sigstore/rekor pkg/types). The digest, the
 * signature and the key or certificate must all equal the bundle's
 * (SECURITY.md F4, D5).
 */
import { SignetCryptoError } from "../errors.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { bytesEqual, fromUtf8 } from "../encoding/bytes.ts";
import { fromBase64 } from "../encoding/base64.ts";
import { fromHex } from "../encoding/hex.ts";
import { ProtoJsonReader, type JsonObject } from "../bundle/protobuf-json.ts";
import { HASH_ALGORITHMS } from "../bundle/bundle.ts";
import type { HashName } from "../digest.ts";
import { parsePemBlocks } from "../pem.ts";

/** The signer a log entry names: a certificate (DER) or a public key (SPKI DER). */
export type EntryVerifier = { readonly kind: "certificate"; readonly der: Bytes } | { readonly kind: "publicKey"; readonly spki: Bytes };

/** A digest as a log entry records it. */
export interface EntryDigest {
  readonly algorithm: HashName;
  readonly value: Bytes;
}

/** The parts of a log entry body that must match the bundle. */
export type LogEntryBody =
  | {
      readonly kind: "hashedrekord";
      readonly version: "0.0.1" | "0.0.2";
      /** Digest of what was signed: the artifact, or the DSSE PAE. */
      readonly digest: EntryDigest;
      readonly signature: Bytes;
      readonly verifier: EntryVerifier;
    }
  | {
      readonly kind: "dsse" | "intoto";
      readonly version: "0.0.1" | "0.0.2";
      /** Digest of the DSSE payload. */
      readonly payloadHash: EntryDigest;
      readonly signatures: readonly { readonly signature: Bytes; readonly verifier: EntryVerifier }[];
      /** intoto 0.0.2 embeds the envelope: payload and type must match the bundle's too. */
      readonly envelope: { readonly payload: Bytes; readonly payloadType: string } | undefined;
    };

const r: ProtoJsonReader = new ProtoJsonReader("ERR_TLOG_BODY_MALFORMED");
const MAX_BODY_SIGNATURES = 32;
const REKOR_V1_HASHES: Record<string, HashName> = { sha256: "SHA-256", sha384: "SHA-384", sha512: "SHA-512" };

/** Rekor's intoto 0.0.2 double encoding: base64 of the base64 text. */
function b64b64(text: string, path: string): Bytes {
  let inner: string;
  try {
    inner = fromUtf8(b64(text, path));
  } catch (cause) {
    r.fail(path, "is not base64 of base64 text", cause);
  }
  return b64(inner, path);
}

function b64(text: string, path: string): Bytes {
  try {
    return fromBase64(text);
  } catch (cause) {
    r.fail(path, "is not standard base64", cause);
  }
}

/** `content` fields of Rekor v1 bodies: base64 of a PEM certificate or public key. */
function pemVerifier(b64Pem: string, path: string): EntryVerifier {
  let blocks: { label: string; der: Bytes }[];
  try {
    blocks = parsePemBlocks(fromUtf8(b64(b64Pem, path)));
  } catch (cause) {
    r.fail(path, "is not a PEM certificate or key", cause);
  }
  if (blocks.length !== 1) r.fail(path, "must hold exactly one PEM block");
  const { label, der } = blocks[0]!;
  if (label === "CERTIFICATE") return { kind: "certificate", der };
  if (label === "PUBLIC KEY") return { kind: "publicKey", spki: der };
  r.fail(path, `unexpected PEM label ${label}`);
}

function v1Digest(o: JsonObject, path: string): EntryDigest {
  const algorithm = REKOR_V1_HASHES[r.requiredString(o, "algorithm", path, 16)];
  if (algorithm === undefined) r.fail(`${path}.algorithm`, "unsupported hash algorithm");
  const hex = r.requiredString(o, "value", path, 128);
  if (!/^[0-9a-f]+$/.test(hex)) r.fail(`${path}.value`, "must be lower-case hex");
  const value = fromHex(hex);
  if (value.length !== { "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 }[algorithm]) r.fail(`${path}.value`, "has the wrong length");
  return { algorithm, value };
}

function hashedrekordV001(spec: JsonObject): LogEntryBody {
  const data = r.requiredObject(spec, "data", "spec", ["hash"]);
  const hash = r.requiredObject(data, "hash", "spec.data", ["algorithm", "value"]);
  const sig = r.requiredObject(spec, "signature", "spec", ["content", "format", "publicKey"]);
  const format = r.string(sig, "format", "spec.signature", 16);
  if (format !== "" && format !== "x509") r.fail("spec.signature.format", "unsupported signature format");
  const pk = r.requiredObject(sig, "publicKey", "spec.signature", ["content"]);
  return {
    kind: "hashedrekord",
    version: "0.0.1",
    digest: v1Digest(hash, "spec.data.hash"),
    signature: b64(r.requiredString(sig, "content", "spec.signature", 16 * 1024), "spec.signature.content"),
    verifier: pemVerifier(r.requiredString(pk, "content", "spec.signature.publicKey", 64 * 1024), "spec.signature.publicKey.content"),
  };
}

function hashedrekordV002(spec: JsonObject): LogEntryBody {
  const inner = r.requiredObject(spec, "hashedRekordV002", "spec", ["data", "signature"]);
  const data = r.requiredObject(inner, "data", "spec.hashedRekordV002", ["algorithm", "digest"]);
  const algorithm = HASH_ALGORITHMS[r.requiredString(data, "algorithm", "spec.hashedRekordV002.data", 32)];
  if (algorithm === undefined) r.fail("spec.hashedRekordV002.data.algorithm", "unsupported hash algorithm");
  const sig = r.requiredObject(inner, "signature", "spec.hashedRekordV002", ["content", "verifier"]);
  const ver = r.requiredObject(sig, "verifier", "spec.hashedRekordV002.signature", ["x509Certificate", "publicKey", "keyDetails"]);
  const cert = r.optionalObject(ver, "x509Certificate", "verifier", ["rawBytes"]);
  const key = r.optionalObject(ver, "publicKey", "verifier", ["rawBytes"]);
  if ((cert === undefined) === (key === undefined)) r.fail("spec.hashedRekordV002.signature.verifier", "needs exactly one of x509Certificate, publicKey");
  const verifier: EntryVerifier =
    cert !== undefined
      ? { kind: "certificate", der: r.requiredBytes(cert, "rawBytes", "verifier.x509Certificate", 64 * 1024) }
      : { kind: "publicKey", spki: r.requiredBytes(key!, "rawBytes", "verifier.publicKey", 16 * 1024) };
  return {
    kind: "hashedrekord",
    version: "0.0.2",
    digest: { algorithm, value: r.requiredBytes(data, "digest", "spec.hashedRekordV002.data", 128) },
    signature: r.requiredBytes(sig, "content", "spec.hashedRekordV002.signature", 16 * 1024),
    verifier,
  };
}

function dsseV001(spec: JsonObject): LogEntryBody {
  const payloadHash = v1Digest(r.requiredObject(spec, "payloadHash", "spec", ["algorithm", "value"]), "spec.payloadHash");
  r.optionalObject(spec, "envelopeHash", "spec", ["algorithm", "value"]);
  const signatures = r.array(spec, "signatures", "spec", MAX_BODY_SIGNATURES).map((s, i) => {
    const path = `spec.signatures[${i}]`;
    const o = r.object(s, path, ["signature", "verifier"]);
    return {
      signature: b64(r.requiredString(o, "signature", path, 16 * 1024), `${path}.signature`),
      verifier: pemVerifier(r.requiredString(o, "verifier", path, 64 * 1024), `${path}.verifier`),
    };
  });
  return { kind: "dsse", version: "0.0.1", payloadHash, signatures, envelope: undefined };
}

function intotoV002(spec: JsonObject): LogEntryBody {
  const content = r.requiredObject(spec, "content", "spec", ["envelope", "hash", "payloadHash"]);
  const payloadHash = v1Digest(r.requiredObject(content, "payloadHash", "spec.content", ["algorithm", "value"]), "spec.content.payloadHash");
  r.optionalObject(content, "hash", "spec.content", ["algorithm", "value"]);
  const env = r.requiredObject(content, "envelope", "spec.content", ["payload", "payloadType", "signatures"]);
  // Rekor's intoto 0.0.2 double-encodes: payload and sig are base64 of the base64 text.
  const payloadText = r.string(env, "payload", "spec.content.envelope", 16 * 1024 * 1024);
  const payload = payloadText === "" ? undefined : b64b64(payloadText, "spec.content.envelope.payload");
  const signatures = r.array(env, "signatures", "spec.content.envelope", MAX_BODY_SIGNATURES).map((s, i) => {
    const path = `spec.content.envelope.signatures[${i}]`;
    const o = r.object(s, path, ["sig", "publicKey", "keyid"]);
    return {
      signature: b64b64(r.requiredString(o, "sig", path, 16 * 1024), `${path}.sig`),
      verifier: pemVerifier(r.requiredString(o, "publicKey", path, 64 * 1024), `${path}.publicKey`),
    };
  });
  const payloadType = r.string(env, "payloadType", "spec.content.envelope", 256);
  return {
    kind: "intoto",
    version: "0.0.2",
    payloadHash,
    signatures,
    envelope: payload === undefined ? undefined : { payload, payloadType },
  };
}

/**
 * Parse a canonicalized body, dispatching on (kind, apiVersion) from the body
 * itself, which must equal the bundle's kindVersion (SECURITY.md D5).
 * Throws ERR_TLOG_BODY_MALFORMED or ERR_TLOG_KIND_MISMATCH / ERR_TLOG_KIND_UNSUPPORTED.
 */
export function parseLogEntryBody(canonicalizedBody: Uint8Array, kindVersion: { kind: string; version: string }): LogEntryBody {
  // attacker-controlled: the body bytes come from the bundle
  const json = r.parseJson(canonicalizedBody, 16 * 1024 * 1024, "canonicalizedBody");
  const body = r.object(json, "body", ["apiVersion", "kind", "spec"]);
  const kind = r.requiredString(body, "kind", "body", 64);
  const version = r.requiredString(body, "apiVersion", "body", 64);
  if (kind !== kindVersion.kind || version !== kindVersion.version) {
    throw new SignetCryptoError("ERR_TLOG_KIND_MISMATCH", `body is ${kind}/${version} but kindVersion says ${kindVersion.kind}/${kindVersion.version}`);
  }
  const key = `${kind}/${version}`;
  switch (key) {
    case "hashedrekord/0.0.1":
      return hashedrekordV001(r.requiredObject(body, "spec", "body", ["data", "signature"]));
    case "hashedrekord/0.0.2":
      return hashedrekordV002(r.requiredObject(body, "spec", "body", ["hashedRekordV002"]));
    case "dsse/0.0.1":
      return dsseV001(r.requiredObject(body, "spec", "body", ["envelopeHash", "payloadHash", "signatures"]));
    case "intoto/0.0.2":
      return intotoV002(r.requiredObject(body, "spec", "body", ["content"]));
    default:
      throw new SignetCryptoError("ERR_TLOG_KIND_UNSUPPORTED", `unsupported log entry kind ${key}`);
  }
}

/** What the bundle says was signed, for comparison with a log entry. */
export interface EntryExpectation {
  /** Message signature: digest of the artifact. DSSE: digest of the PAE. */
  readonly signedDigest: EntryDigest;
  /** DSSE only: digest of the payload, and the envelope itself. */
  readonly dsse: { readonly payloadDigest: EntryDigest; readonly payload: Bytes; readonly payloadType: string } | undefined;
  readonly signature: Bytes;
  readonly verifier: EntryVerifier;
}

function sameVerifier(a: EntryVerifier, b: EntryVerifier): boolean {
  if (a.kind === "certificate" && b.kind === "certificate") return bytesEqual(a.der, b.der);
  if (a.kind === "publicKey" && b.kind === "publicKey") return bytesEqual(a.spki, b.spki);
  return false;
}

function sameDigest(a: EntryDigest, b: EntryDigest): boolean {
  return a.algorithm === b.algorithm && bytesEqual(a.value, b.value);
}

function mismatch(what: string): never {
  throw new SignetCryptoError("ERR_TLOG_BODY_MISMATCH", `log entry ${what} does not match the bundle`);
}

/**
 * Check that a log entry records exactly what the bundle claims: the digest,
 * the signature and the signer (certificate or key) must all be equal.
 * Throws ERR_TLOG_BODY_MISMATCH naming the first field that differs.
 */
export function verifyLogEntryBinding(body: LogEntryBody, expected: EntryExpectation): void {
  if (body.kind === "hashedrekord") {
    if (!sameDigest(body.digest, expected.signedDigest)) mismatch("digest");
    if (!bytesEqual(body.signature, expected.signature)) mismatch("signature");
    if (!sameVerifier(body.verifier, expected.verifier)) mismatch("certificate or public key");
    return;
  }
  if (expected.dsse === undefined) mismatch("kind (a DSSE entry for a message signature)");
  if (!sameDigest(body.payloadHash, expected.dsse.payloadDigest)) mismatch("payload hash");
  if (body.signatures.length !== 1) mismatch("signature count");
  const [sig] = body.signatures;
  if (!bytesEqual(sig!.signature, expected.signature)) mismatch("signature");
  if (!sameVerifier(sig!.verifier, expected.verifier)) mismatch("certificate or public key");
  if (body.envelope !== undefined) {
    if (!bytesEqual(body.envelope.payload, expected.dsse.payload)) mismatch("envelope payload");
    if (body.envelope.payloadType !== expected.dsse.payloadType) mismatch("envelope payload type");
  }
}
