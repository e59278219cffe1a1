/**
 * dsse 0.0.1 (sigstore/rekor pkg/types/dsse/v0.0.1): a DSSE envelope plus the keys or certificates
 * that signed it. The log keeps only hashes and signatures, as Rekor does:
 * {"apiVersion":"0.0.1","kind":"dsse","spec":{"envelopeHash":{"algorithm":"sha256","value"},
 *  "payloadHash":{"algorithm":"sha256","value"},"signatures":[{"signature","verifier"}…]}}
 * where envelopeHash is SHA-256 of the envelope text exactly as submitted, payloadHash SHA-256 of the
 * decoded payload, signatures sorted by their base64 text, and each verifier base64 of canonical PEM.
 */
import { hash } from "node:crypto";
import { preAuthEncoding } from "@signet/crypto/dsse/pae";
import { INTOTO_PAYLOAD_TYPE, parseStatement } from "@signet/crypto/intoto/statement";
import { entryError, malformed } from "./errors.ts";
import { base64Length, decodeBase64Strict, decodeDigestHex, decodePemBlock, toPem } from "./encoding.ts";
import { isValidDsseSignature, readPemSigner, type SignerKey } from "./keys.ts";
import { optionalString, parseStrictJson, readObject, requireArray, requireObject, requireString, type JsonObject } from "./strict-json.ts";
import { toPreparedEntry } from "./canonical.ts";
import { ENTRY_LIMITS, type EntryVerifier, type PreparedEntry, type SearchColumns, type StoredBody } from "./types.ts";

// A lone surrogate would be replaced by U+FFFD when UTF-8 encoded, so two payloadTypes would share one PAE.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

interface Envelope {
  payloadType: string;
  payload: Buffer;
  signatures: { sigB64: string; sig: Buffer }[];
}

/** Parse a DSSE envelope (secure-systems-lab/dsse envelope.md) strictly: no unknown fields, no duplicates. */
function parseEnvelope(text: string, path: string): Envelope {
  // attacker-controlled: the envelope is JSON inside a JSON string; same strict parser, its own cap
  const env = readObject(parseStrictJson(text, path, ENTRY_LIMITS.envelopeChars), path, ["payload", "payloadType", "signatures"]);
  const payloadType = requireString(env, "payloadType", path, ENTRY_LIMITS.payloadTypeChars);
  if (LONE_SURROGATE.test(payloadType)) malformed(`${path}.payloadType`, "is not well-formed Unicode");
  const payloadB64 = requireString(env, "payload", path, base64Length(ENTRY_LIMITS.envelopePayloadBytes));
  const payload = decodeBase64Strict(payloadB64, `${path}.payload`, ENTRY_LIMITS.envelopePayloadBytes);
  const list = requireArray(env, "signatures", path, ENTRY_LIMITS.dsseSignatures);
  const seen = new Set<string>();
  const signatures = list.map((s, i) => {
    const p = `${path}.signatures[${i}]`;
    const o = readObject(s, p, ["sig", "keyid"]);
    optionalString(o, "keyid", p, ENTRY_LIMITS.keyidChars);
    const sigB64 = requireString(o, "sig", p, base64Length(ENTRY_LIMITS.signatureBytes));
    const sig = decodeBase64Strict(sigB64, `${p}.sig`, ENTRY_LIMITS.signatureBytes);
    if (seen.has(sigB64)) malformed(p, "duplicate signature");
    seen.add(sigB64);
    return { sigB64, sig };
  });
  return { payloadType, payload, signatures };
}

/** The artifact a DSSE entry is about: the first in-toto subject's sha256, else the payload hash. */
function artifactDigestOf(env: Envelope, payloadHashHex: string): string {
  if (env.payloadType === INTOTO_PAYLOAD_TYPE) {
    try {
      for (const subject of parseStatement(env.payload).subject) {
        const d = subject.digest.sha256;
        if (d !== undefined && SHA256_HEX.test(d)) return `sha256:${d}`;
      }
    } catch {
      // Not a statement after all: the payload is opaque to the log, so index its hash instead.
    }
  }
  return `sha256:${payloadHashHex}`;
}

function canonicalVerifier(signer: SignerKey): string {
  const pem = signer.verifier.kind === "certificate" ? toPem(signer.verifier.der, "CERTIFICATE") : toPem(signer.verifier.spki, "PUBLIC KEY");
  return Buffer.from(pem, "latin1").toString("base64");
}

/**
 * Validate a proposed dsse 0.0.1 spec: every envelope signature must verify over the PAE with one of
 * the verifiers, and every verifier must have signed something. Rebuild Rekor's canonical body.
 */
export function prepareDsseV001(specValue: unknown): PreparedEntry {
  const spec = readObject(specValue, "spec", ["proposedContent"]);
  const proposed = requireObject(spec, "proposedContent", "spec", ["envelope", "verifiers"]);
  const envelopeText = requireString(proposed, "envelope", "spec.proposedContent", ENTRY_LIMITS.envelopeChars);
  // envelopeHash is over the UTF-8 of this text; a lone surrogate would encode as U+FFFD and collide.
  if (LONE_SURROGATE.test(envelopeText)) malformed("spec.proposedContent.envelope", "is not well-formed Unicode");
  const verifierTexts = requireArray(proposed, "verifiers", "spec.proposedContent", ENTRY_LIMITS.dsseVerifiers);
  const env = parseEnvelope(envelopeText, "spec.proposedContent.envelope");
  if (env.signatures.length * verifierTexts.length > ENTRY_LIMITS.dsseVerifyAttempts) {
    malformed("spec.proposedContent", `${env.signatures.length} signatures × ${verifierTexts.length} verifiers exceeds ${ENTRY_LIMITS.dsseVerifyAttempts} verification attempts`);
  }
  const seenKeys = new Set<string>();
  const signers = verifierTexts.map((v, i) => {
    const p = `spec.proposedContent.verifiers[${i}]`;
    if (typeof v !== "string") malformed(p, "must be a string");
    if (v.length === 0) malformed(p, "must not be empty");
    const signer = readPemSigner(decodeBase64Strict(v, p, ENTRY_LIMITS.pemChars), p);
    const id = signer.search.certFingerprint!;
    if (seenKeys.has(id)) malformed(p, "duplicate verifier");
    seenKeys.add(id);
    return signer;
  });

  const pae = preAuthEncoding(env.payloadType, env.payload);
  const used = new Set<number>();
  const signed = env.signatures.map((s, i) => {
    const j = signers.findIndex((signer) => isValidDsseSignature(signer, pae, s.sig));
    if (j < 0) throw entryError("ERR_ENTRY_SIGNATURE_INVALID", `spec.proposedContent.envelope.signatures[${i}]: verifies with none of the verifiers`);
    used.add(j);
    return { signature: s.sigB64, signer: signers[j]! };
  });
  signers.forEach((_, j) => {
    if (!used.has(j)) throw entryError("ERR_ENTRY_SIGNATURE_INVALID", `spec.proposedContent.verifiers[${j}]: verifies none of the envelope's signatures`);
  });
  // Rekor sorts by the signature's base64 text (Go string order = byte order; base64 is ASCII).
  signed.sort((a, b) => (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0));

  const payloadHash = hash("sha256", env.payload, "hex");
  const envelopeHash = hash("sha256", Buffer.from(envelopeText, "utf8"), "hex");
  const body = {
    envelopeHash: { algorithm: "sha256", value: envelopeHash },
    payloadHash: { algorithm: "sha256", value: payloadHash },
    signatures: signed.map((s) => ({ signature: s.signature, verifier: canonicalVerifier(s.signer) })),
  };
  // One row, one signer: the first signature in canonical order names the entry's identity.
  const search: SearchColumns = { ...signed[0]!.signer.search, artifactDigest: artifactDigestOf(env, payloadHash) };
  return toPreparedEntry("dsse", "0.0.1", body, search);
}

function readSha256(o: JsonObject, key: string, path: string): Buffer {
  const h = requireObject(o, key, path, ["algorithm", "value"]);
  if (requireString(h, "algorithm", `${path}.${key}`, 16) !== "sha256") throw entryError("ERR_ENTRY_DIGEST_INVALID", `${path}.${key}.algorithm: must be sha256`);
  return decodeDigestHex(requireString(h, "value", `${path}.${key}`, 64), `${path}.${key}.value`, 32);
}

/** Decode the spec of a stored dsse 0.0.1 body (no signature check: the envelope is not stored). */
export function parseDsseV001Spec(specValue: JsonObject): StoredBody {
  const path = "body.spec";
  const spec = readObject(specValue, path, ["envelopeHash", "payloadHash", "signatures"]);
  const envelopeHash = readSha256(spec, "envelopeHash", path);
  const payloadHash = readSha256(spec, "payloadHash", path);
  let previous = "";
  const signatures = requireArray(spec, "signatures", path, ENTRY_LIMITS.dsseSignatures).map((s, i) => {
    const p = `${path}.signatures[${i}]`;
    const o = readObject(s, p, ["signature", "verifier"]);
    const text = requireString(o, "signature", p, base64Length(ENTRY_LIMITS.signatureBytes));
    // A stored body lists signatures strictly ascending, as prepareDsseV001 (and Rekor) canonicalise them.
    if (i > 0 && !(previous < text)) malformed(p, "signatures are not in canonical (sorted, unique) order");
    previous = text;
    const signature = decodeBase64Strict(text, `${p}.signature`, ENTRY_LIMITS.signatureBytes);
    const pem = decodeBase64Strict(requireString(o, "verifier", p, base64Length(ENTRY_LIMITS.pemChars)), `${p}.verifier`, ENTRY_LIMITS.pemChars);
    const { label, der } = decodePemBlock(pem, `${p}.verifier`);
    const verifier: EntryVerifier = label === "CERTIFICATE" ? { kind: "certificate", der } : { kind: "publicKey", spki: der };
    return { signature, verifier };
  });
  return {
    kind: "dsse",
    apiVersion: "0.0.1",
    envelopeHash: { algorithm: "sha256", value: envelopeHash },
    payloadHash: { algorithm: "sha256", value: payloadHash },
    signatures,
  };
}
