/**
 * Parse and validate a Sigstore bundle from protobuf-JSON
 * (sigstore/protobuf-specs sigstore_bundle.proto; INTEROP.md §6).
 */
import type { Bytes } from "../encoding/bytes.ts";
import { ProtoJsonReader, type JsonObject } from "./protobuf-json.ts";
import {
  BUNDLE_LIMITS,
  BUNDLE_MEDIA_TYPES,
  HASH_ALGORITHMS,
  type DsseEnvelope,
  type UnverifiedBundle,
  type UnverifiedBundleContent,
  type UnverifiedInclusionProof,
  type UnverifiedKeyMaterial,
  type UnverifiedTlogEntry,
} from "./bundle.ts";

const r: ProtoJsonReader = new ProtoJsonReader("ERR_BUNDLE_MALFORMED");
const unsupported: ProtoJsonReader = new ProtoJsonReader("ERR_BUNDLE_UNSUPPORTED_VERSION");

function parseKeyMaterial(vm: JsonObject, version: string): UnverifiedKeyMaterial {
  const present = ["certificate", "x509CertificateChain", "publicKey"].filter((k) => vm[k] !== undefined && vm[k] !== null);
  if (present.length !== 1) r.fail("verificationMaterial", "needs exactly one of certificate, x509CertificateChain, publicKey");
  const which = present[0]!;
  if (which === "publicKey") {
    const pk = r.requiredObject(vm, "publicKey", "verificationMaterial", ["hint"]);
    return { kind: "publicKey", hint: r.string(pk, "hint", "verificationMaterial.publicKey", 1024) };
  }
  if (which === "certificate") {
    if (version !== "0.3") r.fail("verificationMaterial.certificate", "is only defined for v0.3 bundles");
    const c = r.requiredObject(vm, "certificate", "verificationMaterial", ["rawBytes"]);
    return { kind: "certificate", certificate: r.requiredBytes(c, "rawBytes", "verificationMaterial.certificate", 128 * 1024) };
  }
  // v0.3 keyless bundles carry a single leaf, never a chain (INTEROP.md, last section).
  if (version === "0.3") r.fail("verificationMaterial.x509CertificateChain", "is not allowed in v0.3 bundles");
  const chain = r.requiredObject(vm, "x509CertificateChain", "verificationMaterial", ["certificates"]);
  const list = r.array(chain, "certificates", "verificationMaterial.x509CertificateChain", BUNDLE_LIMITS.certificates);
  if (list.length === 0) r.fail("verificationMaterial.x509CertificateChain.certificates", "is empty");
  const certificates = list.map((c, i) => {
    const path = `verificationMaterial.x509CertificateChain.certificates[${i}]`;
    return r.requiredBytes(r.object(c, path, ["rawBytes"]), "rawBytes", path, 128 * 1024);
  });
  return { kind: "x509CertificateChain", certificates };
}

function parseInclusionProof(o: JsonObject, path: string): UnverifiedInclusionProof {
  const hashes = r.array(o, "hashes", path, BUNDLE_LIMITS.proofHashes).map((h, i) => {
    if (typeof h !== "string") r.fail(`${path}.hashes[${i}]`, "must be a base64 string");
    return r.requiredBytes({ h }, "h", `${path}.hashes[${i}]`, 64);
  });
  const cp = r.optionalObject(o, "checkpoint", path, ["envelope"]);
  const checkpoint = cp === undefined ? undefined : r.requiredString(cp, "envelope", `${path}.checkpoint`, BUNDLE_LIMITS.checkpointBytes);
  return {
    logIndex: r.uint63(o, "logIndex", path),
    rootHash: r.bytes(o, "rootHash", path, 128),
    treeSize: r.uint63(o, "treeSize", path),
    hashes,
    checkpoint,
  };
}

function parseTlogEntry(v: unknown, i: number, version: string): UnverifiedTlogEntry {
  const path = `verificationMaterial.tlogEntries[${i}]`;
  const e = r.object(v, path, ["logIndex", "logId", "kindVersion", "integratedTime", "inclusionPromise", "inclusionProof", "canonicalizedBody"]);
  const logId = r.requiredBytes(r.requiredObject(e, "logId", path, ["keyId"]), "keyId", `${path}.logId`, 128);
  const kv = r.requiredObject(e, "kindVersion", path, ["kind", "version"]);
  const kindVersion = { kind: r.requiredString(kv, "kind", `${path}.kindVersion`, 64), version: r.requiredString(kv, "version", `${path}.kindVersion`, 64) };
  const promise = r.optionalObject(e, "inclusionPromise", path, ["signedEntryTimestamp"]);
  const inclusionPromise = promise === undefined ? undefined : { signedEntryTimestamp: r.requiredBytes(promise, "signedEntryTimestamp", `${path}.inclusionPromise`, 1024) };
  const proofObj = r.optionalObject(e, "inclusionProof", path, ["logIndex", "rootHash", "treeSize", "hashes", "checkpoint"]);
  const inclusionProof = proofObj === undefined ? undefined : parseInclusionProof(proofObj, `${path}.inclusionProof`);
  // v0.1 bundles promise inclusion with a SET; v0.2+ must prove it (sigstore-js bundle/validate.ts).
  if (version === "0.1" && inclusionPromise === undefined) r.fail(path, "v0.1 bundles need an inclusionPromise");
  if (version !== "0.1" && inclusionProof === undefined) r.fail(path, "v0.2+ bundles need an inclusionProof");
  if (inclusionProof !== undefined && inclusionProof.checkpoint === undefined) r.fail(`${path}.inclusionProof`, "needs a checkpoint");
  return {
    logIndex: r.uint63(e, "logIndex", path),
    logId,
    kindVersion,
    integratedTime: r.uint63(e, "integratedTime", path),
    inclusionPromise,
    inclusionProof,
    canonicalizedBody: r.requiredBytes(e, "canonicalizedBody", path, BUNDLE_LIMITS.maxBytes),
  };
}

function parseContent(b: JsonObject): UnverifiedBundleContent {
  const hasMessage = b.messageSignature !== undefined && b.messageSignature !== null;
  const hasDsse = b.dsseEnvelope !== undefined && b.dsseEnvelope !== null;
  if (hasMessage === hasDsse) r.fail("bundle", "needs exactly one of messageSignature, dsseEnvelope");
  if (hasMessage) {
    const m = r.requiredObject(b, "messageSignature", "bundle", ["messageDigest", "signature"]);
    const d = r.optionalObject(m, "messageDigest", "messageSignature", ["algorithm", "digest"]);
    let messageDigest: { algorithm: (typeof HASH_ALGORITHMS)[string]; digest: Bytes } | undefined;
    if (d !== undefined) {
      const name = r.requiredString(d, "algorithm", "messageSignature.messageDigest", 32);
      const algorithm = HASH_ALGORITHMS[name];
      if (algorithm === undefined) r.fail("messageSignature.messageDigest.algorithm", `unsupported ${JSON.stringify(name)}`);
      const digest = r.requiredBytes(d, "digest", "messageSignature.messageDigest", 128);
      const expected = { "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 }[algorithm];
      if (digest.length !== expected) r.fail("messageSignature.messageDigest.digest", "has the wrong length for its algorithm");
      messageDigest = { algorithm, digest };
    }
    return { kind: "messageSignature", messageDigest, signature: r.requiredBytes(m, "signature", "messageSignature", 16 * 1024) };
  }
  const env = r.requiredObject(b, "dsseEnvelope", "bundle", ["payload", "payloadType", "signatures"]);
  const signatures = r.array(env, "signatures", "dsseEnvelope", BUNDLE_LIMITS.dsseSignatures).map((s, i) => {
    const path = `dsseEnvelope.signatures[${i}]`;
    const o = r.object(s, path, ["sig", "keyid"]);
    return { sig: r.requiredBytes(o, "sig", path, 16 * 1024), keyid: r.string(o, "keyid", path, 1024) };
  });
  // Sigstore bundles carry exactly one DSSE signature (sigstore-js bundle/validate.ts).
  if (signatures.length !== 1) r.fail("dsseEnvelope.signatures", "must hold exactly one signature");
  const envelope: DsseEnvelope = {
    payload: r.requiredBytes(env, "payload", "dsseEnvelope", BUNDLE_LIMITS.maxBytes),
    payloadType: r.requiredString(env, "payloadType", "dsseEnvelope", 256),
    signatures,
  };
  return { kind: "dsseEnvelope", envelope };
}

/**
 * Parse a bundle from JSON text, UTF-8 bytes or an already-parsed JSON value
 * (sigstore_bundle.proto, protobuf-JSON). Shape rules per version: v0.1 needs
 * SETs, v0.2+ inclusion proofs with checkpoints, v0.3 a single certificate or
 * a key hint. Throws ERR_BUNDLE_MALFORMED or ERR_BUNDLE_UNSUPPORTED_VERSION.
 */
export function parseBundle(input: unknown): UnverifiedBundle {
  // attacker-controlled: the whole bundle; caps are checked before any element is decoded
  const json = r.parseJson(input, BUNDLE_LIMITS.maxBytes, "bundle");
  const b = r.object(json, "bundle", ["mediaType", "verificationMaterial", "messageSignature", "dsseEnvelope"]);
  const mediaType = r.requiredString(b, "mediaType", "bundle", 128);
  const version = BUNDLE_MEDIA_TYPES[mediaType];
  if (version === undefined) {
    unsupported.fail("bundle.mediaType", `unsupported ${JSON.stringify(mediaType)}`);
  }
  const vm = r.requiredObject(b, "verificationMaterial", "bundle", ["certificate", "x509CertificateChain", "publicKey", "tlogEntries", "timestampVerificationData"]);
  const key = parseKeyMaterial(vm, version);
  const tlogEntries = r.array(vm, "tlogEntries", "verificationMaterial", BUNDLE_LIMITS.tlogEntries).map((e, i) => parseTlogEntry(e, i, version));
  const tvd = r.optionalObject(vm, "timestampVerificationData", "verificationMaterial", ["rfc3161Timestamps"]);
  const rfc3161Timestamps =
    tvd === undefined
      ? []
      : r.array(tvd, "rfc3161Timestamps", "timestampVerificationData", BUNDLE_LIMITS.timestamps).map((t, i) => {
          const path = `timestampVerificationData.rfc3161Timestamps[${i}]`;
          return r.requiredBytes(r.object(t, path, ["signedTimestamp"]), "signedTimestamp", path, 64 * 1024);
        });
  return { kind: "sigstore-bundle", mediaType, version, key, tlogEntries, rfc3161Timestamps, content: parseContent(b) };
}
