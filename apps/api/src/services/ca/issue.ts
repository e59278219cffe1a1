/**
 * Certificate issuance (Fulcio's CreateSigningCertificate, INTEROP.md §1): proof of possession, key
 * policy, a precertificate logged to CT, the final certificate with its SCT embedded, signed by the
 * intermediate key in the HSM and self-verified against the pinned intermediate public key before it
 * leaves (SECURITY.md B1, B2, B4, B6; G-S1).
 */
import { createHash, createPublicKey, hash as digestOf, verify, type KeyObject } from "node:crypto";
import type { Signer } from "@signet/hsm/signer";
import { verifyPrehashed } from "@signet/native";
import { parseCertificate, type Certificate } from "@signet/crypto/x509/certificate";
import { OID } from "@signet/crypto/asn1/oid";
import { FULCIO_OIDS } from "@signet/crypto/x509/fulcio-extensions";
import { toPem } from "@signet/crypto/pem";
import { DomainError } from "../../errors.ts";
import type { VerifiedIdentity } from "../oidc/identity.ts";
import { LEAF_MAX_VALIDITY_MS, createLeafEncoder, encodeCertificate, randomSerialNumber, type CaKeyAlgorithm, type LeafEncoder } from "./certificate.ts";
import { parseSct, sctSignatureInput, type CtLog, type SctFields } from "./ct-log.ts";
import { verifyCertificationRequest, verifyChallengeSignature, type ProofOfPossession } from "./proof.ts";
import { checkLeafPublicKey, isCanonicalEcSpki, type CheckedPublicKey } from "./public-key.ts";

/** What the CA records for every certificate it issues (the lead stores it: IssuedCertificate). */
export interface CertificateRecord {
  readonly der: Uint8Array;
  /** Lowercase hex of the serial number. */
  readonly serialNumber: string;
  /** Lowercase hex SHA-256 of the DER. */
  readonly fingerprint: string;
  /** The SAN value. */
  readonly identity: string;
  /** The OIDC issuer. */
  readonly issuer: string;
  /** The token subject: with the issuer, the account the certificate was issued to (SECURITY.md A10). */
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface CertificateAuthorityOptions {
  /** DER of the root and of the intermediate whose key `signer` holds. */
  rootCert: Uint8Array;
  intermediateCert: Uint8Array;
  /** The intermediate key (the HSM in production). Its signatures are checked against intermediateCert's key. */
  signer: Signer;
  ctLog: CtLog;
  clock?: () => number;
  /** Called with every issued certificate before it is returned; a failure fails the issuance. */
  recordCertificate?: (record: CertificateRecord) => Promise<void>;
  /** Leaf lifetime, at most (and by default) 10 minutes. */
  validityMs?: number;
  /** When given, every SCT's signature is checked against this CT log key (SPKI DER) before it is embedded. */
  ctLogPublicKey?: Uint8Array;
  /**
   * Where the signature checks (B6 self-check, SCT) run: e.g. the api's worker pool, so that they do not
   * queue behind request handling on the main thread. It must answer whether the DER ECDSA `signature`
   * over `data` verifies under `spki` with `hash`; anything but `true` (false, a throw, a rejection)
   * refuses the signature. Default: OpenSSL on this thread (@signet/native for P-256, Node for P-384).
   */
  verifyEcdsa?: EcdsaVerifier;
}

/** Checks a DER ECDSA signature over `data` (hashed with `hash`) under an SPKI key. */
export type EcdsaVerifier = (spki: Uint8Array, hash: "sha256" | "sha384", data: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>;

/**
 * The default EcdsaVerifier: P-256 through OpenSSL's ECDSA_verify on the SPKI (@signet/native, ~63 µs,
 * no KeyObject per call), other keys through Node's crypto.verify. False for anything malformed.
 */
export function verifyEcdsaInline(spki: Uint8Array, hash: "sha256" | "sha384", data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (hash === "sha256" && isCanonicalEcSpki(spki)) return verifyPrehashed(spki, digestOf(hash, data, "buffer"), signature, hash);
    return verify(hash, data, { key: cachedKey(spki), dsaEncoding: "der" }, signature);
  } catch {
    return false;
  }
}

async function isVerified(verifier: EcdsaVerifier, spki: Uint8Array, hash: "sha256" | "sha384", data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  try {
    // Fail closed: only a literal `true` counts.
    return (await verifier(spki, hash, data, signature)) === true;
  } catch {
    return false;
  }
}

export interface IssueRequest {
  identity: VerifiedIdentity;
  /** SPKI DER of the key to certify; required with a challenge proof, optional (and then checked) with a CSR. */
  publicKey?: Uint8Array;
  proof: ProofOfPossession;
}

export interface IssuedCertificate {
  /** The leaf, DER, with the embedded SCT. */
  readonly certificate: Uint8Array;
  /**
   * leaf, intermediate, root (DER): exactly what Fulcio's `signedCertificateEmbeddedSct.chain` carries.
   * Bundles must carry only the leaf (v0.3) and never the root (SECURITY.md B8).
   */
  readonly chain: readonly Uint8Array[];
  /** The same chain as PEM, for the Fulcio v2 response. */
  readonly chainPem: readonly string[];
  /** The TLS-encoded SCT that is embedded. */
  readonly sct: Uint8Array;
  readonly serialNumber: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

export interface CertificateAuthority {
  issue(request: IssueRequest): Promise<IssuedCertificate>;
  readonly root: Certificate;
  readonly intermediate: Certificate;
  /** intermediate, root as PEM: Fulcio's `GET /api/v2/trustBundle` chain. */
  readonly trustBundle: readonly string[];
}

const HASH: Record<CaKeyAlgorithm, "sha256" | "sha384"> = { "P-256": "sha256", "P-384": "sha384" };

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

function toKey(spki: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
}

// Only the CA's own few keys (intermediate, CT log) are verified against: decode each once.
const keyCache = new Map<string, KeyObject>();
function cachedKey(spki: Uint8Array): KeyObject {
  const id = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength).toString("base64");
  let key = keyCache.get(id);
  if (key === undefined) {
    key = toKey(spki);
    if (keyCache.size >= 16) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}

function startupError(message: string): Error {
  return Object.assign(new Error(message), { code: "ERR_CA_CONFIG_INVALID" });
}

/** Check the pinned chain once: the intermediate is a pathLen-0 code-signing CA issued by the root. */
function checkChain(root: Certificate, intermediate: Certificate): { algorithm: CaKeyAlgorithm } {
  const pub = intermediate.publicKey;
  if (pub.kind !== "ecdsa" || (pub.curve !== "P-256" && pub.curve !== "P-384")) throw startupError("the intermediate key must be ECDSA P-256 or P-384");
  if (!intermediate.basicConstraints?.ca || intermediate.basicConstraints.pathLen !== 0) throw startupError("the intermediate must be a CA with pathLen 0");
  if (!intermediate.extKeyUsage?.includes(OID.ekuCodeSigning)) throw startupError("the intermediate must carry EKU codeSigning");
  if (intermediate.subjectKeyId === undefined) throw startupError("the intermediate has no SubjectKeyIdentifier");
  if (!Buffer.from(intermediate.issuer).equals(Buffer.from(root.subject))) throw startupError("the intermediate is not issued by the root");
  if (!root.basicConstraints?.ca) throw startupError("the root is not a CA");
  const alg = intermediate.signatureAlgorithm;
  if (alg.kind !== "ecdsa" || root.publicKey.kind !== "ecdsa") throw startupError("the CA chain must be ECDSA");
  if (!verify(alg.hash.replace("-", "").toLowerCase(), intermediate.tbs, { key: toKey(root.publicKey.spki), dsaEncoding: "der" }, intermediate.signature)) {
    throw startupError("the intermediate's signature does not verify under the root key");
  }
  // OpenSSL refuses a point off the curve: better at start than as a failed self-check on every issuance.
  toKey(pub.spki);
  return { algorithm: pub.curve };
}

function signerUnavailable(e: unknown): DomainError {
  if (e instanceof DomainError) return e;
  // The HSM is down, timed out or refused: fail closed, never fall back (SECURITY.md B5).
  return new DomainError("UNAVAILABLE", "ERR_CA_SIGNER_UNAVAILABLE", "the CA signing key is unavailable", 5);
}

/**
 * Create the CA over a pinned chain (from the key ceremony). Synchronous and without touching the HSM,
 * so the API starts while the HSM is down and issues as soon as it is back. Throws (code
 * ERR_CA_CONFIG_INVALID) when the chain is not a usable Fulcio chain.
 */
export function createCertificateAuthority(options: CertificateAuthorityOptions): CertificateAuthority {
  const root = parseCertificate(options.rootCert);
  const intermediate = parseCertificate(options.intermediateCert);
  const { algorithm } = checkChain(root, intermediate);
  if (options.signer.algorithm !== algorithm) throw startupError(`the signer is ${options.signer.algorithm} but the intermediate key is ${algorithm}`);
  const validityMs = options.validityMs ?? LEAF_MAX_VALIDITY_MS;
  if (!(validityMs >= 60_000 && validityMs <= LEAF_MAX_VALIDITY_MS)) throw startupError("leaf validity must be between 1 and 10 minutes");
  const clock = options.clock ?? Date.now;
  const hash = HASH[algorithm];
  const encoder: LeafEncoder = createLeafEncoder({ subject: intermediate.subject, subjectKeyId: intermediate.subjectKeyId!, algorithm });
  const issuerKeyHash = new Uint8Array(createHash("sha256").update(intermediate.publicKey.spki).digest());
  const chainDer = [intermediate.der, root.der] as const;
  const trustBundle = [toPem(intermediate.der, "CERTIFICATE"), toPem(root.der, "CERTIFICATE")];
  const intermediateSpki = intermediate.publicKey.spki;
  // Decoded here only so that an unusable key fails at start; SCTs are checked on the SPKI bytes.
  if (options.ctLogPublicKey !== undefined) toKey(options.ctLogPublicKey);
  const ctSpki = options.ctLogPublicKey === undefined ? undefined : new Uint8Array(options.ctLogPublicKey);
  const ctLogId = options.ctLogPublicKey === undefined ? undefined : createHash("sha256").update(options.ctLogPublicKey).digest();

  const verifier = options.verifyEcdsa ?? verifyEcdsaInline;

  /** Sign a TBS through the HSM and check the signature under the pinned intermediate key (B6). */
  async function signTbs(tbs: Uint8Array): Promise<Uint8Array> {
    let signature: Uint8Array;
    try {
      signature = await options.signer.sign(tbs);
    } catch (e) {
      throw signerUnavailable(e);
    }
    // B6: against the pinned intermediate key, whatever the signer says it checked itself.
    if (!(await isVerified(verifier, intermediateSpki, hash, tbs, signature))) {
      throw new DomainError("UNAVAILABLE", "ERR_CA_SIGNATURE_SELF_CHECK_FAILED", "the CA signature does not verify under the pinned intermediate key", 5);
    }
    return encodeCertificate(tbs, encoder.signatureAlgorithm, signature);
  }

  /** An SCT from the CT log: well formed, from the pinned log (when configured), its signature over `tbs` valid. */
  async function checkSct(sct: Uint8Array, tbs: Uint8Array): Promise<void> {
    const sctInvalid = () => new DomainError("UNAVAILABLE", "ERR_CA_SCT_INVALID", "the CT log returned an SCT that does not verify", 5);
    let fields: SctFields;
    try {
      fields = parseSct(sct);
      if (ctSpki !== undefined && !Buffer.from(fields.logId).equals(ctLogId!)) throw new Error("SCT from another log");
    } catch {
      throw sctInvalid();
    }
    if (ctSpki !== undefined) {
      const signed = sctSignatureInput({ timestamp: fields.timestamp, issuerKeyHash, tbs, extensions: fields.extensions });
      if (!(await isVerified(verifier, ctSpki, "sha256", signed, fields.signature))) throw sctInvalid();
    }
  }

  async function provenKey(request: IssueRequest): Promise<CheckedPublicKey> {
    const proof = request.proof as ProofOfPossession | undefined;
    if (proof?.kind === "challenge") {
      if (request.publicKey === undefined) throw new DomainError("BAD_REQUEST", "ERR_CA_PUBLIC_KEY_MISSING", "a challenge proof needs the public key");
      const key = checkLeafPublicKey(request.publicKey);
      verifyChallengeSignature(key, request.identity.challenge, proof.signature);
      return key;
    }
    if (proof?.kind === "csr") {
      const key = await verifyCertificationRequest(proof.csr);
      if (request.publicKey !== undefined && !Buffer.from(request.publicKey).equals(Buffer.from(key.spki))) {
        throw new DomainError("BAD_REQUEST", "ERR_CA_PROOF_INVALID", "the CSR is for another key");
      }
      return key;
    }
    throw new DomainError("BAD_REQUEST", "ERR_CA_PROOF_MISSING", "a proof of possession is required");
  }

  return {
    root,
    intermediate,
    trustBundle,
    async issue(request) {
      const key = await provenKey(request);
      const identity = request.identity;

      const now = Math.floor(clock() / 1000) * 1000;
      // Never outlive the intermediate (SECURITY.md B4), and never start before it.
      const notAfter = Math.min(now + validityMs, Math.floor(intermediate.notAfter / 1000) * 1000);
      if (now < intermediate.notBefore || notAfter - now < 60_000) {
        throw new DomainError("UNAVAILABLE", "ERR_CA_INTERMEDIATE_EXPIRED", "the intermediate certificate is not valid for a new leaf; rotate it");
      }
      const prepared = encoder.prepare({
        serialNumber: randomSerialNumber(),
        notBefore: now,
        notAfter,
        publicKey: key.spki,
        san: identity.san,
        extensions: identity.extensions,
      });

      // The Fulcio issuer extension as readFulcioIssuer would read it back (.1.8, else .1.1).
      const issuerExtension = identity.extensions[FULCIO_OIDS.issuer] ?? identity.extensions[FULCIO_OIDS.issuerV1];
      const search = { identity: identity.san.value, ...(issuerExtension !== undefined ? { issuer: issuerExtension } : {}) };
      const tbsWithoutSct = prepared.tbsWithoutSct();
      /** Check an SCT against this TBS and have the certificate with it embedded signed (B6). */
      const checkSctAndSign = async (candidate: Uint8Array): Promise<Uint8Array> => {
        await checkSct(candidate, tbsWithoutSct);
        return signTbs(prepared.finalTbs([candidate]));
      };
      // Signed (and checked, B6) only for a CT log that asks for it: Signet's own logs the PreCert leaf,
      // which is all the SCT covers, so it costs no HSM signature there.
      let precertificate: Promise<Uint8Array> | undefined;
      const signedPrecertificate = () => (precertificate ??= signTbs(prepared.precertificateTbs()));
      // The SCT's check and the final certificate's HSM signature, started as soon as the log hands the SCT
      // over, which Signet's CT log does before its leaf commits: the certificate is signed meanwhile and
      // released only once the submission has resolved with the same SCT.
      let early: { sct: Uint8Array; certificate: Promise<Uint8Array> } | undefined;
      const sctSigned = (candidate: Uint8Array) => {
        if (early !== undefined) return;
        const copy = new Uint8Array(candidate);
        early = { sct: copy, certificate: checkSctAndSign(copy) };
        early.certificate.catch(() => undefined); // awaited below unless the submission fails first
      };
      let sct: Uint8Array;
      try {
        sct = await options.ctLog.submitPrecertificate({ tbsWithoutSct, issuerKeyHash, precertificate: signedPrecertificate, chain: chainDer, search, sctSigned });
      } catch (e) {
        // The CA's own errors (the precertificate a log asked for could not be signed or checked) as they are;
        // anything from the log as the CA's code, keeping a busy log's shorter Retry-After.
        if (e instanceof DomainError && e.code.startsWith("ERR_CA_")) throw e;
        const retry = e instanceof DomainError && e.kind === "UNAVAILABLE" && e.retryAfterSeconds !== undefined ? e.retryAfterSeconds : 5;
        throw new DomainError("UNAVAILABLE", "ERR_CA_CT_LOG_UNAVAILABLE", "the CT log did not return an SCT", retry);
      }
      const certificate = await (early !== undefined && Buffer.from(early.sct).equals(Buffer.from(sct)) ? early.certificate : checkSctAndSign(sct));
      const serialNumber = hex(prepared.fields.serialNumber);
      if (options.recordCertificate !== undefined) {
        try {
          await options.recordCertificate({
            der: certificate,
            serialNumber,
            fingerprint: createHash("sha256").update(certificate).digest("hex"),
            identity: identity.san.value,
            issuer: identity.issuer,
            subject: identity.subject,
            notBefore: new Date(now),
            notAfter: new Date(notAfter),
          });
        } catch (e) {
          throw e instanceof DomainError ? e : new DomainError("UNAVAILABLE", "ERR_CA_RECORD_FAILED", "the certificate could not be recorded", 5);
        }
      }
      const chain = [certificate, ...chainDer];
      return {
        certificate,
        chain,
        chainPem: [toPem(certificate, "CERTIFICATE"), ...trustBundle],
        sct,
        serialNumber,
        notBefore: now,
        notAfter,
      };
    },
  };
}
