/**
 * The CA's view of Certificate Transparency (RFC 6962 §3): it submits each precertificate to a CT log
 * and embeds the Signed Certificate Timestamp it gets back. `CtLog` is the seam; the log engine
 * implements it for real, and `createMemoryCtLog` is the in-memory double unit tests use.
 */
import { createHash } from "node:crypto";
import type { Signer } from "@signet/hsm/signer";
import { OID } from "@signet/crypto/asn1/oid";
import { findExtension, parseCertificate } from "@signet/crypto/x509/certificate";

/** What the CA hands the CT log for one certificate (RFC 6962 §3.1–3.2). */
export interface PrecertificateSubmission {
  /** The final certificate's TBSCertificate without the SCT list (and without the poison): what the SCT signs. */
  readonly tbsWithoutSct: Uint8Array;
  /** SHA-256 of the issuing CA's SubjectPublicKeyInfo (PreCert.issuer_key_hash). */
  readonly issuerKeyHash: Uint8Array;
  /**
   * The signed precertificate (the same TBS with the critical poison extension), made on demand: a log
   * that checks the issuing chain before it answers (an RFC 6962 log's add-pre-chain) calls this, and the
   * CA signs it through the HSM and verifies the signature (B6) first; the same promise on every call. A
   * log that records only the PreCert leaf (issuer key hash and TBS, all an SCT covers) does not call it,
   * and then no precertificate is signed.
   */
  readonly precertificate: () => Promise<Uint8Array>;
  /** The issuing chain, DER: intermediate, then root. */
  readonly chain: readonly Uint8Array[];
  /** What the certificate says, for a log's search columns, from the CA that encoded it: the SAN value and the Fulcio issuer extension. */
  readonly search: { readonly identity: string; readonly issuer?: string };
  /**
   * A log that signs the SCT before it has committed the entry may hand it here first, at most once, so that
   * the CA checks it and has the final certificate signed while the entry commits. Until
   * `submitPrecertificate` resolves (with the same SCT) it is not a promise of inclusion: the CA releases
   * nothing made with it before then, and drops it if the submission fails.
   */
  readonly sctSigned?: (sct: Uint8Array) => void;
}

/** A CT log that returns an SCT for a precertificate. */
export interface CtLog {
  /** Log the precertificate; resolves to one TLS-encoded SignedCertificateTimestamp (RFC 6962 §3.2). */
  submitPrecertificate(submission: PrecertificateSubmission): Promise<Uint8Array>;
}

/** Parsed fields of an SCT (RFC 6962 §3.2). */
export interface SctFields {
  readonly logId: Uint8Array;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly extensions: Uint8Array;
  /** DER ECDSA signature (hash sha256 = 4, signature ecdsa = 3 in RFC 5246 §7.4.1.4.1 terms). */
  readonly signature: Uint8Array;
}

function u64(ms: number): Uint8Array {
  const out = new Uint8Array(8);
  let v = BigInt(ms);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * The `digitally-signed` input of a precert SCT (RFC 6962 §3.2): version v1, signature_type
 * certificate_timestamp, timestamp, entry_type precert_entry, issuer_key_hash, the u24-prefixed TBS and
 * the u16-prefixed extensions.
 */
export function sctSignatureInput(input: { timestamp: number; issuerKeyHash: Uint8Array; tbs: Uint8Array; extensions?: Uint8Array }): Uint8Array {
  const ext = input.extensions ?? new Uint8Array(0);
  if (input.issuerKeyHash.length !== 32) throw new RangeError("issuer_key_hash must be 32 bytes");
  if (input.tbs.length >= 1 << 24 || ext.length > 0xffff) throw new RangeError("SCT input too long");
  const out = new Uint8Array(2 + 8 + 2 + 32 + 3 + input.tbs.length + 2 + ext.length);
  let at = 0;
  out[at++] = 0; // Version v1
  out[at++] = 0; // SignatureType certificate_timestamp
  out.set(u64(input.timestamp), at);
  at += 8;
  out[at++] = 0;
  out[at++] = 1; // LogEntryType precert_entry
  out.set(input.issuerKeyHash, at);
  at += 32;
  out[at++] = (input.tbs.length >> 16) & 0xff;
  out[at++] = (input.tbs.length >> 8) & 0xff;
  out[at++] = input.tbs.length & 0xff;
  out.set(input.tbs, at);
  at += input.tbs.length;
  out[at++] = ext.length >> 8;
  out[at++] = ext.length & 0xff;
  out.set(ext, at);
  return out;
}

/** TLS-encode an SCT (RFC 6962 §3.2) signed with ECDSA over SHA-256. */
export function encodeSct(sct: SctFields): Uint8Array {
  if (sct.logId.length !== 32) throw new RangeError("log ID must be 32 bytes");
  if (sct.extensions.length > 0xffff || sct.signature.length > 0xffff) throw new RangeError("SCT field too long");
  const out = new Uint8Array(1 + 32 + 8 + 2 + sct.extensions.length + 2 + 2 + sct.signature.length);
  let at = 0;
  out[at++] = 0; // v1
  out.set(sct.logId, at);
  at += 32;
  out.set(u64(sct.timestamp), at);
  at += 8;
  out[at++] = sct.extensions.length >> 8;
  out[at++] = sct.extensions.length & 0xff;
  out.set(sct.extensions, at);
  at += sct.extensions.length;
  out[at++] = 4; // HashAlgorithm sha256
  out[at++] = 3; // SignatureAlgorithm ecdsa
  out[at++] = sct.signature.length >> 8;
  out[at++] = sct.signature.length & 0xff;
  out.set(sct.signature, at);
  return out;
}

/** Parse one TLS-encoded v1 SCT with an ECDSA-SHA256 signature; throws RangeError on anything else. */
export function parseSct(bytes: Uint8Array): SctFields {
  let at = 0;
  const take = (n: number) => {
    if (at + n > bytes.length) throw new RangeError("truncated SCT");
    const out = bytes.subarray(at, at + n);
    at += n;
    return out;
  };
  const u16 = () => {
    const b = take(2);
    return (b[0]! << 8) | b[1]!;
  };
  if (take(1)[0] !== 0) throw new RangeError("unsupported SCT version");
  const logId = take(32);
  const ts = take(8);
  let timestamp = 0n;
  for (const b of ts) timestamp = (timestamp << 8n) | BigInt(b);
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError("SCT timestamp out of range");
  const extensions = take(u16());
  const [hash, sig] = take(2);
  if (hash !== 4 || sig !== 3) throw new RangeError("SCT is not ECDSA with SHA-256");
  const signature = take(u16());
  if (at !== bytes.length) throw new RangeError("trailing bytes after SCT");
  return { logId, timestamp: Number(timestamp), extensions, signature };
}

/** The RFC 6962 log ID of a key: SHA-256 of its SubjectPublicKeyInfo DER. */
export function ctLogId(spki: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(spki).digest());
}

/** A submission as the memory CT log keeps it: with the precertificate it asked for, if it did. */
export type RetainedSubmission = Omit<PrecertificateSubmission, "precertificate"> & { readonly precertificate?: Uint8Array };

/** A CtLog double that keeps submissions in memory. */
export interface MemoryCtLog extends CtLog {
  readonly submissions: RetainedSubmission[];
  publicKey(): Promise<Uint8Array>;
}

/**
 * TEST ONLY: a CT log in memory that signs SCTs with `signer` (a P-256 Signer, e.g. createMemorySigner),
 * so issuance can be tested end to end. The real CT log is the log engine's. Like an RFC 6962 log taking
 * add-pre-chain, it first asks for the signed precertificate (`requestPrecertificate`, default true) and
 * refuses one without the critical poison extension; false stands in for the engine, which
 * never asks.
 */
export function createMemoryCtLog(options: { signer: Signer; clock?: () => number; retainSubmissions?: boolean; requestPrecertificate?: boolean }): MemoryCtLog {
  if (options.signer.algorithm !== "P-256") throw new RangeError("RFC 6962 CT logs sign with ECDSA P-256 and SHA-256");
  const clock = options.clock ?? Date.now;
  const submissions: RetainedSubmission[] = [];
  let logId: Promise<Uint8Array> | undefined;
  return {
    submissions,
    publicKey: () => options.signer.publicKey(),
    async submitPrecertificate(submission) {
      logId ??= options.signer.publicKey().then(ctLogId);
      let precertificate: Uint8Array | undefined;
      if (options.requestPrecertificate !== false) {
        precertificate = await submission.precertificate();
        if (findExtension(parseCertificate(precertificate), OID.ctPoison)?.critical !== true) throw new RangeError("the precertificate has no critical poison extension");
      }
      const timestamp = clock();
      const signature = await options.signer.sign(sctSignatureInput({ timestamp, issuerKeyHash: submission.issuerKeyHash, tbs: submission.tbsWithoutSct }));
      if (options.retainSubmissions !== false) {
        const { precertificate: _ask, ...rest } = submission;
        submissions.push(precertificate === undefined ? rest : { ...rest, precertificate });
      }
      return encodeSct({ logId: await logId, timestamp, extensions: new Uint8Array(0), signature });
    },
  };
}
