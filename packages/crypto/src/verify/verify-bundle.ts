/**
 * Sigstore bundle verification (INTEROP.md §8; the order of sigstore-js
 * packages/verify/src/verifier.ts): normalise the input, then one step per
 * kind of evidence, each recorded in a transcript. Any exception means
 * invalid (fail closed, SECURITY.md F7).
 */
import { SignetCryptoError, type ErrorCode } from "../errors.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { bytesEqual, toBytes } from "../encoding/bytes.ts";
import { toBase64 } from "../encoding/base64.ts";
import { toHex } from "../encoding/hex.ts";
import { OID } from "../asn1/oid.ts";
import { BUNDLE_LIMITS, signatureBytes, type UnverifiedBundle, type UnverifiedTlogEntry } from "../bundle/bundle.ts";
import { parseBundle } from "../bundle/parse.ts";
import { parseCheckpoint, type Checkpoint } from "../checkpoint/checkpoint.ts";
import { digest, sha256, type HashName } from "../digest.ts";
import { preAuthEncoding } from "../dsse/pae.ts";
import { INTOTO_PAYLOAD_TYPE, parseStatement, type Statement } from "../intoto/statement.ts";
import { defaultSignatureAlgorithm, isValidSignature, isValidSignatureOverDigest, type PublicKeyInfo } from "../keys.ts";
import { parseSignedNote } from "../note/signed-note.ts";
import { parseTimestampResponse, verifyTimestamp } from "../timestamp/rfc3161.ts";
import { verifySignedEntryTimestamp } from "../tlog/set.ts";
import { verifyEntryCheckpoint, verifyEntryInclusion } from "../tlog/checkpoint.ts";
import { parseLogEntryBody, verifyLogEntryBinding, type EntryExpectation, type EntryVerifier } from "../tlog/entry-body.ts";
import { isWithin } from "../trust/time-range.ts";
import { findLogsById, type TransparencyLogInstance, type TrustedRoot } from "../trust/trusted-root.ts";
import { isSelfIssued, parseCertificate, type Certificate } from "../x509/certificate.ts";
import { verifyCertificateChain } from "../x509/chain.ts";
import { readFulcioExtensions, type FulcioExtensionName } from "../x509/fulcio-extensions.ts";
import { verifyEmbeddedScts } from "../x509/sct.ts";
import { normalizePolicy, verifyCertificatePolicy, type NormalizedPolicy, type VerificationPolicy } from "./policy.ts";
import { BundleVerificationError, CHECK_ERROR_CODES, type CheckName, type TranscriptStep } from "./transcript.ts";

/** How many independent pieces of evidence are required. */
export interface VerificationThresholds {
  /** Distinct transparency logs with a verified entry (default 1). */
  readonly tlog?: number;
  /** Distinct CT logs with a verified SCT, keyless only (default 1). */
  readonly ctlog?: number;
  /** Verified timestamps: SET integrated times and RFC 3161 tokens (default 1). */
  readonly timestamp?: number;
}

/** Input of verifyBundle. Give exactly one of `artifact` or `digest`. */
export interface VerifyBundleOptions {
  /** Bundle JSON text, UTF-8 bytes, a parsed JSON value, or a parseBundle result. */
  readonly bundle: unknown;
  readonly artifact?: Uint8Array;
  /** SHA-256 of the artifact, when the artifact itself is not at hand. */
  readonly digest?: Uint8Array;
  readonly trustedRoot: TrustedRoot;
  readonly policy: VerificationPolicy;
  readonly thresholds?: VerificationThresholds;
}

/** A verified time and where it came from. */
export interface VerifiedTime {
  readonly source: "tlog" | "tsa";
  /** Milliseconds since the epoch. */
  readonly time: number;
  /** Base URL of the log, or URI/subject of the TSA. */
  readonly authority: string;
}

/** The signer that verified. */
export type VerifiedSigner =
  | {
      readonly kind: "certificate";
      readonly certificate: Certificate;
      readonly identity: string;
      readonly issuer: string;
      readonly extensions: Partial<Record<FulcioExtensionName, string>>;
    }
  | { readonly kind: "publicKey"; readonly publicKey: PublicKeyInfo };

/** The result of a successful verification. */
export interface VerifiedBundle {
  readonly bundle: UnverifiedBundle;
  readonly signer: VerifiedSigner;
  readonly timestamps: readonly VerifiedTime[];
  readonly tlogEntries: readonly { readonly baseUrl: string; readonly logIndex: bigint; readonly integratedTime: number | undefined }[];
  /** The in-toto statement, for DSSE bundles with an in-toto payload. */
  readonly statement: Statement | undefined;
  readonly transcript: readonly TranscriptStep[];
}

/** Caps on thresholds: more than this many pieces of evidence cannot be carried. */
const MAX_THRESHOLD = 32;
/** Checkpoint signature lines allowed per entry (the other caps live in BUNDLE_LIMITS). */
export const CHECKPOINT_MAX_SIGNATURES = 32;

class Run {
  readonly steps: TranscriptStep[] = [];

  record(check: CheckName, subject: string, against: string, outcome: "pass" | "skip", detail = ""): void {
    this.steps.push({ check, subject, against, outcome, detail });
  }

  /** Run one check; on any exception record it and throw the check's stable code. */
  async step<T>(check: CheckName, subject: string, against: string, fn: () => Promise<T> | T, detail?: (v: T) => string): Promise<T> {
    let value: T;
    try {
      value = await fn();
    } catch (e) {
      const cause = e instanceof Error ? e : new Error(String(e));
      const inner: ErrorCode = e instanceof SignetCryptoError ? e.code : "ERR_VERIFY_INTERNAL";
      this.steps.push({ check, subject, against, outcome: "fail", detail: cause.message, code: inner });
      // Policy failures keep their specific code (identity vs issuer vs extension); the rest name the check.
      const code = check === "policy" && inner.startsWith("ERR_VERIFY_POLICY") ? inner : CHECK_ERROR_CODES[check];
      throw new BundleVerificationError(code, check, `${check} failed for ${subject}: ${cause.message}`, this.steps, e);
    }
    this.steps.push({ check, subject, against, outcome: "pass", detail: detail === undefined ? "" : detail(value) });
    return value;
  }
}

function fail(code: ErrorCode, message: string): never {
  throw new SignetCryptoError(code, message);
}

function threshold(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0 || v > MAX_THRESHOLD) fail("ERR_VERIFY_POLICY_INVALID", `threshold ${name} must be an integer in [0, ${MAX_THRESHOLD}]`);
  return v;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function entryName(i: number, e: UnverifiedTlogEntry): string {
  return `tlog entry ${i} (${e.kindVersion.kind}/${e.kindVersion.version}, index ${e.logIndex})`;
}

interface Normalized {
  bundle: UnverifiedBundle;
  leaf: Certificate | undefined;
  statement: Statement | undefined;
  policy: NormalizedPolicy;
  thresholds: { tlog: number; ctlog: number; timestamp: number };
}

/** Step 1: the bundle's shape, caps, and the inputs. Pure parsing, no crypto. */
function normalize(opts: VerifyBundleOptions): Normalized {
  if (opts.trustedRoot?.kind !== "trusted-root") fail("ERR_VERIFY_POLICY_INVALID", "trustedRoot must come from parseTrustedRoot");
  const policy = normalizePolicy(opts.policy);
  const thresholds = {
    tlog: threshold(opts.thresholds?.tlog, 1, "tlog"),
    ctlog: threshold(opts.thresholds?.ctlog, 1, "ctlog"),
    timestamp: threshold(opts.thresholds?.timestamp, 1, "timestamp"),
  };
  if ((opts.artifact === undefined) === (opts.digest === undefined)) fail("ERR_VERIFY_POLICY_INVALID", "give exactly one of artifact or digest");
  if (opts.digest !== undefined && opts.digest.length !== 32) fail("ERR_VERIFY_POLICY_INVALID", "digest must be a SHA-256 digest");
  const input = opts.bundle as { kind?: unknown } | undefined;
  const bundle = typeof input === "object" && input !== null && input.kind === "sigstore-bundle" ? (input as UnverifiedBundle) : parseBundle(opts.bundle);
  // Caps again, for bundles built in code rather than parsed (SECURITY.md D12).
  if (bundle.tlogEntries.length > BUNDLE_LIMITS.tlogEntries) fail("ERR_BUNDLE_LIMIT", "too many tlog entries");
  if (bundle.rfc3161Timestamps.length > BUNDLE_LIMITS.timestamps) fail("ERR_BUNDLE_LIMIT", "too many timestamps");
  for (const e of bundle.tlogEntries) {
    const cp = e.inclusionProof?.checkpoint;
    if (e.inclusionProof !== undefined && e.inclusionProof.hashes.length > BUNDLE_LIMITS.proofHashes) fail("ERR_BUNDLE_LIMIT", "inclusion proof too long");
    if (cp !== undefined && cp.split("\n\u2014 ").length - 1 > CHECKPOINT_MAX_SIGNATURES) fail("ERR_BUNDLE_LIMIT", "too many checkpoint signatures");
  }

  let leaf: Certificate | undefined;
  if (bundle.key.kind === "certificate") leaf = parseCertificate(bundle.key.certificate);
  else if (bundle.key.kind === "x509CertificateChain") {
    if (bundle.key.certificates.length > BUNDLE_LIMITS.certificates) fail("ERR_BUNDLE_LIMIT", "certificate chain too long");
    const chain = bundle.key.certificates.map((c) => parseCertificate(c));
    // Trust comes only from the trusted root; a bundle shipping a root is rejected outright
    // (SECURITY.md B8; conformance bundle-with-root-cert_fail).
    if (chain.some(isSelfIssued)) fail("ERR_BUNDLE_ROOT_CERTIFICATE", "bundle certificate chain contains a root certificate");
    leaf = chain[0];
  }
  if (leaf !== undefined && policy.publicKey !== undefined) fail("ERR_VERIFY_POLICY_KEY", "bundle is keyless but the policy names a managed key");
  if (leaf === undefined && policy.publicKey === undefined) fail("ERR_VERIFY_POLICY_KEY", "bundle is signed with a managed key but no key was given");

  if (opts.digest !== undefined && bundle.content.kind === "messageSignature" && (bundle.content.messageDigest?.algorithm ?? "SHA-256") !== "SHA-256") {
    fail("ERR_VERIFY_POLICY_INVALID", "the bundle's digest is not SHA-256, so a SHA-256 artifact digest cannot be compared; give the artifact");
  }

  let statement: Statement | undefined;
  if (bundle.content.kind === "dsseEnvelope") {
    if (bundle.content.envelope.payloadType === INTOTO_PAYLOAD_TYPE) statement = parseStatement(bundle.content.envelope.payload);
    if (policy.predicateType !== undefined && statement === undefined) fail("ERR_VERIFY_POLICY_INVALID", "predicateType needs an in-toto DSSE bundle");
  } else if (policy.predicateType !== undefined) {
    fail("ERR_VERIFY_POLICY_INVALID", "predicateType needs an in-toto DSSE bundle");
  }
  return { bundle, leaf, statement, policy, thresholds };
}

/**
 * Verify a Sigstore bundle (v0.1–v0.3) offline against a trusted root and a
 * policy, in this order: bundle shape, trusted time (SETs, RFC 3161),
 * certificate chain or managed key, SCTs, log entry binding, inclusion proofs,
 * checkpoint signatures, tlog threshold, artifact, signature, policy.
 * Returns the verified result with its transcript; throws a
 * BundleVerificationError whose `code` names the failed check
 * (ERR_VERIFY_<CHECK>, or ERR_VERIFY_POLICY_<REASON> for policy failures).
 */
export async function verifyBundle(opts: VerifyBundleOptions): Promise<VerifiedBundle> {
  const run = new Run();
  try {
    return await verifyInner(opts, run);
  } catch (e) {
    if (e instanceof BundleVerificationError) throw e;
    // Fail closed: anything unexpected is a failure with a code, never a pass.
    throw new BundleVerificationError("ERR_VERIFY_INTERNAL", "bundle-shape", `verification aborted: ${String(e)}`, run.steps, e);
  }
}

async function verifyInner(opts: VerifyBundleOptions, run: Run): Promise<VerifiedBundle> {
  const { bundle, leaf, statement, policy, thresholds } = await run.step(
    "bundle-shape",
    "bundle",
    "sigstore_bundle.proto v0.1–v0.3, hard caps",
    () => normalize(opts),
    (n) => `${n.bundle.mediaType}; ${n.bundle.tlogEntries.length} tlog entr${n.bundle.tlogEntries.length === 1 ? "y" : "ies"}, ${n.bundle.rfc3161Timestamps.length} RFC 3161 timestamp(s), ${n.bundle.content.kind}, ${n.leaf ? "certificate" : "managed key"}`,
  );
  const root = opts.trustedRoot;
  const sigBytes = signatureBytes(bundle);

  // ---- trusted time -------------------------------------------------------
  const times: VerifiedTime[] = [];
  const setLogs = new Map<number, TransparencyLogInstance>();
  for (const [i, entry] of bundle.tlogEntries.entries()) {
    if (entry.inclusionPromise === undefined) {
      if (entry.integratedTime !== 0n) run.record("trusted-time", `${entryName(i, entry)} integrated time`, "", "skip", "no SET: an unsigned integrated time is not a trusted time");
      continue;
    }
    const log = await run.step("trusted-time", `${entryName(i, entry)} SET`, `tlogs with log ID ${toBase64(entry.logId)}`, () => verifySignedEntryTimestamp(entry, root.tlogs), (l) => `signed by ${l.baseUrl}; integrated ${iso(Number(entry.integratedTime) * 1000)}`);
    setLogs.set(i, log);
    times.push({ source: "tlog", time: Number(entry.integratedTime) * 1000, authority: log.baseUrl });
  }
  const tsaTimes: number[] = [];
  for (const [i, der] of bundle.rfc3161Timestamps.entries()) {
    const verified = await run.step(
      "trusted-time",
      `RFC 3161 timestamp ${i}`,
      `${root.timestampAuthorities.length} trusted TSA(s), imprint over the signature`,
      async () => verifyTimestamp(parseTimestampResponse(der), sigBytes, root.timestampAuthorities),
      (v) => `genTime ${iso(v.genTime)} by ${v.authority.uri || v.authority.subject.commonName}`,
    );
    tsaTimes.push(verified.genTime);
    times.push({ source: "tsa", time: verified.genTime, authority: verified.authority.uri || verified.authority.subject.commonName });
  }
  await run.step("trusted-time", "timestamp threshold", `at least ${thresholds.timestamp} distinct verified time(s)`, () => {
    const keys = times.map((t) => `${t.source}|${t.authority}|${t.time}`);
    if (new Set(keys).size !== keys.length) fail("ERR_VERIFY_DUPLICATE_TIMESTAMP", "the same timestamp is present twice");
    if (times.length < thresholds.timestamp) fail("ERR_VERIFY_TIMESTAMP_THRESHOLD", `${times.length} verified time(s), need ${thresholds.timestamp}`);
    return times.length;
  }, (n) => `${n} verified`);
  const allTimes = times.map((t) => t.time);

  // ---- signing key ----------------------------------------------------------
  let signerKey: PublicKeyInfo;
  let issuerCert: Certificate | undefined;
  if (leaf !== undefined) {
    const chain = await run.step(
      "certificate-chain",
      `leaf certificate (serial ${toHex(leaf.serialNumber)})`,
      `${root.certificateAuthorities.length} trusted CA(s), at ${allTimes.length} verified time(s)`,
      () => verifyCertificateChain({ leaf, authorities: root.certificateAuthorities, times: allTimes, requiredEku: OID.ekuCodeSigning }),
      (c) => `chain ${c.path.map((p) => `"${p.subjectName || "(empty subject)"}"`).join(" → ")}; valid ${iso(leaf.notBefore)} … ${iso(leaf.notAfter)}`,
    );
    issuerCert = chain.path[1]!;
    signerKey = leaf.publicKey;
  } else {
    signerKey = policy.publicKey!;
    run.record("public-key", "managed key", "the key given to the verifier", "pass", `${signerKey.kind} key ${toHex(sha256(signerKey.spki)).slice(0, 16)}…`);
  }

  if (leaf !== undefined && issuerCert !== undefined) {
    const issuer = issuerCert;
    await run.step("sct", "embedded SCTs", `${root.ctlogs.length} trusted CT log(s); need ${thresholds.ctlog}`, async () => {
      const scts = await verifyEmbeddedScts(leaf, issuer, root.ctlogs);
      const distinct = new Set(scts.map((s) => toHex(s.logId)));
      if (distinct.size < thresholds.ctlog) fail("ERR_VERIFY_SCT_THRESHOLD", `${distinct.size} verified SCT log(s), need ${thresholds.ctlog}`);
      return scts;
    }, (s) => (s.length === 0 ? "none required" : s.map((x) => `${x.baseUrl} at ${iso(x.timestamp)}`).join("; ")));
  } else {
    run.record("sct", "embedded SCTs", "", "skip", "managed key: no certificate");
  }

  // ---- what the log entries must record ---------------------------------------
  const expectedVerifier: EntryVerifier = leaf !== undefined ? { kind: "certificate", der: leaf.der } : { kind: "publicKey", spki: signerKey.spki };
  let artifactDigest: { algorithm: HashName; value: Bytes };
  let expectation: EntryExpectation;
  if (bundle.content.kind === "messageSignature") {
    const algorithm = bundle.content.messageDigest?.algorithm ?? "SHA-256";
    // normalize() has refused a SHA-256 digest for a bundle hashed otherwise.
    artifactDigest = { algorithm, value: opts.artifact !== undefined ? await digest(algorithm, opts.artifact) : toBytes(opts.digest!) };
    expectation = { signedDigest: artifactDigest, dsse: undefined, signature: sigBytes, verifier: expectedVerifier };
  } else {
    const env = bundle.content.envelope;
    artifactDigest = { algorithm: "SHA-256", value: opts.artifact !== undefined ? await digest("SHA-256", opts.artifact) : toBytes(opts.digest!) };
    expectation = {
      signedDigest: { algorithm: "SHA-256", value: sha256(preAuthEncoding(env.payloadType, env.payload)) },
      dsse: { payloadDigest: { algorithm: "SHA-256", value: sha256(env.payload) }, payload: env.payload, payloadType: env.payloadType },
      signature: sigBytes,
      verifier: expectedVerifier,
    };
  }

  // ---- transparency log entries ----------------------------------------------
  const unverifiedCheckpoints = new Map<number, Checkpoint>();
  for (const [i, entry] of bundle.tlogEntries.entries()) {
    await run.step("log-entry-binding", entryName(i, entry), "the bundle's digest, signature and signer", () => {
      if (findLogsById(root.tlogs, entry.logId).length === 0) fail("ERR_TLOG_UNKNOWN_LOG", `log ${toBase64(entry.logId)} is not in the trusted root`);
      verifyLogEntryBinding(parseLogEntryBody(entry.canonicalizedBody, entry.kindVersion), expectation);
    }, () => "digest, signature and signer match");
  }
  for (const [i, entry] of bundle.tlogEntries.entries()) {
    if (entry.inclusionProof === undefined) {
      run.record("inclusion-proof", entryName(i, entry), "", "skip", "v0.1 bundle: inclusion promised by the SET only");
      continue;
    }
    const cp = await run.step("inclusion-proof", entryName(i, entry), "the checkpoint's tree size and root hash", () => {
      // Parsed here, verified in the next step: an unverified checkpoint only feeds the Merkle check.
      const checkpoint = parseCheckpoint(parseSignedNote(entry.inclusionProof!.checkpoint!).text);
      verifyEntryInclusion(entry, checkpoint);
      return checkpoint;
    }, (c) => `leaf ${entry.inclusionProof!.logIndex} of ${c.size} → root ${toBase64(c.rootHash)}`);
    unverifiedCheckpoints.set(i, cp);
  }
  const verifiedLogs: { log: TransparencyLogInstance; entry: UnverifiedTlogEntry }[] = [];
  for (const [i, entry] of bundle.tlogEntries.entries()) {
    const setLog = setLogs.get(i);
    if (entry.inclusionProof === undefined) {
      // Without a proof, only a verified SET shows the entry was logged.
      const log = await run.step("checkpoint-signature", entryName(i, entry), "", () => setLog ?? fail("ERR_TLOG_NO_INCLUSION", "entry has neither a SET nor an inclusion proof"), () => "no checkpoint: inclusion promised by the verified SET");
      verifiedLogs.push({ log, entry });
      continue;
    }
    // The log key must be valid at the entry's time: its SET time, else every TSA time.
    const entryTimes = setLog !== undefined ? [Number(entry.integratedTime) * 1000] : tsaTimes;
    const candidates = setLog !== undefined ? [setLog] : findLogsById(root.tlogs, entry.logId).filter((l) => entryTimes.every((t) => isWithin(l.validFor, t)));
    const log = await run.step("checkpoint-signature", `${entryName(i, entry)} checkpoint`, candidates.length === 1 ? `log key of ${candidates[0]!.baseUrl}` : `${candidates.length} candidate log key(s)`, async () => {
      if (candidates.length === 0) fail("ERR_TLOG_UNKNOWN_LOG", `no trusted log ${toBase64(entry.logId)} valid at ${entryTimes.map(iso).join(", ") || "(no verified time)"}`);
      if (setLog === undefined && entryTimes.length === 0) fail("ERR_VERIFY_NO_TIME", "no verified time to check the log key's validity at");
      let lastError: unknown;
      for (const c of candidates) {
        try {
          const checkpoint = await verifyEntryCheckpoint(entry, c);
          const expected = unverifiedCheckpoints.get(i)!;
          if (checkpoint.size !== expected.size || !bytesEqual(checkpoint.rootHash, expected.rootHash)) fail("ERR_CHECKPOINT_MISMATCH", "checkpoint changed between steps");
          return c;
        } catch (e) {
          lastError = e;
        }
      }
      throw lastError;
    }, (l) => `signed by ${l.host}`);
    verifiedLogs.push({ log, entry });
  }
  await run.step("tlog-threshold", "transparency log entries", `at least ${thresholds.tlog} distinct log(s)`, () => {
    const ids = verifiedLogs.map((v) => `${toHex(v.entry.logId)}|${v.entry.logIndex}`);
    if (new Set(ids).size !== ids.length) fail("ERR_VERIFY_DUPLICATE_TLOG_ENTRY", "the same log entry is present twice");
    // Threshold counts distinct logs, never entries (SECURITY.md F6).
    const logs = new Set(verifiedLogs.map((v) => v.log));
    if (logs.size < thresholds.tlog) fail("ERR_VERIFY_TLOG_THRESHOLD", `${logs.size} distinct verified log(s), need ${thresholds.tlog}`);
    return logs.size;
  }, (n) => `${n} distinct log(s)`);

  // ---- artifact and signature -------------------------------------------------
  await run.step("artifact", opts.artifact !== undefined ? "artifact" : "artifact digest", bundle.content.kind === "messageSignature" ? "the bundle's message digest" : "the in-toto statement's subjects", () => {
    if (bundle.content.kind === "messageSignature") {
      const md = bundle.content.messageDigest;
      if (md !== undefined && !bytesEqual(md.digest, artifactDigest.value)) fail("ERR_VERIFY_ARTIFACT_DIGEST", "artifact digest differs from the bundle's message digest");
      return;
    }
    if (statement === undefined) fail("ERR_VERIFY_ARTIFACT_UNBOUND", `DSSE payload type ${bundle.content.envelope.payloadType} names no subjects to match`);
    const hex = toHex(artifactDigest.value);
    if (!statement.subject.some((s) => s.digest.sha256 === hex)) fail("ERR_VERIFY_ARTIFACT_DIGEST", "artifact is not a subject of the in-toto statement");
  }, () => `sha256:${toHex(artifactDigest.value)}`);

  await run.step("signature", bundle.content.kind === "messageSignature" ? "message signature" : "DSSE signature", `${signerKey.kind} key of the ${leaf ? "leaf certificate" : "managed key"}`, async () => {
    let ok: boolean;
    if (bundle.content.kind === "dsseEnvelope") {
      const env = bundle.content.envelope;
      ok = await isValidSignature(signerKey, defaultSignatureAlgorithm(signerKey), preAuthEncoding(env.payloadType, env.payload), sigBytes);
    } else {
      const alg = defaultSignatureAlgorithm(signerKey, artifactDigest.algorithm);
      if (opts.artifact !== undefined) ok = await isValidSignature(signerKey, alg, opts.artifact, sigBytes);
      else {
        if (alg.kind === "ed25519") fail("ERR_VERIFY_DIGEST_UNSUPPORTED", "an Ed25519 signature can only be verified over the artifact itself");
        ok = isValidSignatureOverDigest(signerKey, alg, artifactDigest.value, sigBytes);
      }
    }
    if (!ok) fail("ERR_SIGNATURE_INVALID", "signature does not verify");
  }, () => "verified");

  // ---- policy -------------------------------------------------------------------
  let signer: VerifiedSigner;
  if (leaf !== undefined) {
    const matched = await run.step("policy", "certificate identity", policy.identity?.describe ?? "a certificate identity", () => verifyCertificatePolicy(leaf, policy), (m) => `SAN ${JSON.stringify(m.san)}, issuer ${JSON.stringify(m.issuer)}`);
    signer = { kind: "certificate", certificate: leaf, identity: matched.san, issuer: matched.issuer, extensions: readFulcioExtensions(leaf) };
  } else {
    signer = { kind: "publicKey", publicKey: signerKey };
    run.record("policy", "managed key", "the key given to the verifier", "pass", "signature made by the given key");
  }
  if (policy.predicateType !== undefined) {
    const want = policy.predicateType;
    await run.step("policy", "predicate type", JSON.stringify(want), () => {
      if (statement?.predicateType !== want) fail("ERR_VERIFY_POLICY_PREDICATE_TYPE", `predicateType is ${JSON.stringify(statement?.predicateType)}`);
    }, () => "matches");
  }

  return {
    bundle,
    signer,
    timestamps: times,
    tlogEntries: verifiedLogs.map(({ log, entry }) => ({
      baseUrl: log.baseUrl,
      logIndex: entry.logIndex,
      integratedTime: entry.inclusionPromise !== undefined ? Number(entry.integratedTime) * 1000 : undefined,
    })),
    statement,
    transcript: run.steps,
  };
}
