/**
 * Keyless signing of one file in the browser (docs/signing.md), on the CLI's isomorphic flow
 * (packages/cli/src/sign-flow.ts): ephemeral non-extractable P-256 key, a certificate for the
 * portal session (tRPC ca.issueForSession), signature, Rekor v1 entry, RFC 3161 timestamp, bundle
 * v0.3, verified against the instance's trusted root before it is offered. Up to
 * DIRECT_SIGN_MAX_BYTES the file's bytes are signed (hashedrekord); above, an in-toto Statement of its
 * streamed SHA-256 is signed as DSSE, so memory stays bounded.
 */
import { sha256, toBase64, toHex, utf8, type Bytes, type TrustedRoot } from "@signet/crypto";
import { parseSigningCertificateResponse } from "../../../../packages/cli/src/fulcio-client.ts";
import { signArtifact, type CertificateSource } from "../../../../packages/cli/src/sign-flow.ts";
import type { Fetch } from "../../../../packages/cli/src/http.ts";
import type { HashProgress } from "./hash-stream.ts";
import type { ReadResult } from "./read-and-hash.ts";

/** Largest file whose bytes are signed directly (WebCrypto ECDSA needs the whole message in memory). */
export const DIRECT_SIGN_MAX_BYTES = 256 * 1024 * 1024;

/** in-toto Statement v1 (in-toto/attestation spec/v1/statement.md). */
export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
/** The predicate of the large-file statement: only the subject matters, the predicate says who made it. */
export const SIGNET_PREDICATE_TYPE = "https://signet.dev/portal-signature/v1";

/** The steps of one signing, in order, for the page's progress list. */
export type SignStep = "read" | "certificate" | "signature" | "log" | "timestamp" | "verified";

/** Who signs: the portal session's identity. */
export interface SessionSigner {
  readonly email: string;
  readonly issuer: string;
}

/** What one file's signing produced. */
export interface SignedFile {
  readonly name: string;
  readonly size: number;
  readonly mode: "hashedrekord" | "dsse";
  readonly sha256Hex: string;
  readonly bundleText: string;
  readonly identity: string;
  readonly issuer: string;
  readonly logIndexes: readonly string[];
}

export interface SignFileDeps {
  /** One streaming pass over the file in the worker: SHA-256, and the bytes when `keepBytes`. */
  readonly read: (file: Blob, keepBytes: boolean, onProgress: (p: HashProgress) => void) => Promise<ReadResult>;
  /** ca.issueForSession over tRPC; answers in Fulcio's SigningCertificate shape. */
  readonly issueForSession: (input: { publicKey: string; proofOfPossession: string }) => Promise<unknown>;
  readonly trustedRoot: TrustedRoot;
  readonly session: SessionSigner;
  /** This portal's origin: its /api proxy reaches the log and the TSA. */
  readonly origin: string;
  readonly fetch?: Fetch;
  readonly onProgress?: (p: HashProgress) => void;
  readonly onStep?: (step: SignStep, detail: string) => void;
  /** Override of DIRECT_SIGN_MAX_BYTES (tests). */
  readonly directMaxBytes?: number;
}

/** The in-toto Statement for a large file: one subject, its name and streamed SHA-256 (canonical key order). */
export function createFileStatement(name: string, digest: Uint8Array): Bytes {
  return utf8(
    JSON.stringify({
      _type: STATEMENT_TYPE,
      subject: [{ name, digest: { sha256: toHex(digest) } }],
      predicateType: SIGNET_PREDICATE_TYPE,
      predicate: {},
    }),
  );
}

/** The certificate for the portal session: the proof of possession signs the session's email. */
export function sessionCertificateSource(deps: Pick<SignFileDeps, "issueForSession" | "session">): CertificateSource {
  return {
    issuer: deps.session.issuer,
    async requestChain(signer) {
      const proof = await signer.sign(utf8(deps.session.email));
      const answer = await deps.issueForSession({ publicKey: signer.publicKeyPem, proofOfPossession: toBase64(proof) });
      return parseSigningCertificateResponse(answer);
    },
  };
}

/** Sign one file and return its verified bundle; throws SignError (code ERR_SIGN_*) or a tRPC error. */
export async function signFile(file: File, deps: SignFileDeps): Promise<SignedFile> {
  const direct = file.size <= (deps.directMaxBytes ?? DIRECT_SIGN_MAX_BYTES);
  const read = await deps.read(file, direct, deps.onProgress ?? (() => {}));
  deps.onStep?.("read", `sha256:${toHex(read.digest)}`);
  const steps: readonly SignStep[] = ["certificate", "signature", "log", "timestamp", "verified"];
  let artifact: { bytes: Bytes; sha256: Bytes };
  if (direct) {
    if (read.content === undefined) throw new Error("the worker returned no bytes");
    artifact = { bytes: read.content as Bytes, sha256: read.digest as Bytes };
  } else {
    const statement = createFileStatement(file.name, read.digest);
    artifact = { bytes: statement, sha256: sha256(statement) };
  }
  const result = await signArtifact({
    artifact,
    mode: direct ? "message" : "in-toto",
    certificateSource: sessionCertificateSource(deps),
    // The browser reaches the log and the TSA only through this origin's proxy (CSP connect-src 'self').
    services: { caUrl: deps.origin, rekorUrls: [deps.origin], tsaUrls: [`${deps.origin}/api/v1/timestamp`] },
    trustedRoot: deps.trustedRoot,
    ...(deps.fetch ? { fetch: deps.fetch } : { fetch: (url: string, init?: RequestInit) => fetch(url, { ...init, credentials: "omit" }) }),
    progress: (line) => {
      const step = steps.find((s) => line.startsWith(`${s}:`));
      if (step !== undefined) deps.onStep?.(step, line.slice(step.length + 1).trim());
    },
  });
  return {
    name: file.name,
    size: file.size,
    mode: direct ? "hashedrekord" : "dsse",
    sha256Hex: toHex(read.digest),
    bundleText: result.bundleText,
    identity: result.identity,
    issuer: result.issuer,
    logIndexes: result.tlogEntries.map((e) => e.logIndex.toString()),
  };
}
