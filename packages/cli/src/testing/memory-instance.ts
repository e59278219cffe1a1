/**
 * Test-only: an in-memory double of a Signet instance (Fulcio v2, Rekor v1,
 * RFC 3161, trusted root, signing config) served through a `Fetch`, so unit
 * tests run the whole signing flow without PostgreSQL or an HSM. It follows
 * the wire formats of INTEROP.md §1, §2, §5 and §7 and can be told to
 * misbehave one way at a time. The integration test runs the real api.
 * Keys are fresh WebCrypto P-256 keys per instance; nothing is persisted.
 */
import { createVerify } from "node:crypto";
import {
  MemoryTree,
  OID,
  TAG,
  canonicalize,
  concatBytes,
  createEcdsaNoteSigner,
  derContent,
  encodeOidContent,
  encodeTlv,
  fromBase64,
  fromUtf8,
  hashLeaf,
  parseDer,
  parseCertificate,
  parsePem,
  precertificateTbs,
  sha256,
  signCheckpoint,
  signedEntryTimestampPayload,
  toBase64,
  toHex,
  toPem,
  utf8,
  type Bytes,
} from "@signet/crypto";
import { contextTag, encodeUnsignedInteger } from "@signet/crypto/asn1/der";
import { buildTestCertificate, createTestPki, ext, generateTestKey, signDer, testName, type TestKey, type TestPki } from "@signet/crypto/testing/pki";
import type { Fetch } from "../http.ts";

/** One way to misbehave (each exercises one client check). */
export type Misbehaviour =
  | "none"
  | "cert-for-other-key"
  | "cert-wrong-issuer"
  | "cert-untrusted-root"
  | "detached-sct"
  | "log-other-signature"
  | "log-bad-set"
  | "log-wrong-uuid"
  | "tsa-wrong-nonce"
  | "tsa-other-imprint"
  | "ca-refuses";

/** A running double. */
export interface MemoryInstance {
  readonly base: string;
  readonly fetch: Fetch;
  readonly trustedRootJson: Record<string, unknown>;
  readonly signingConfigJson: Record<string, unknown>;
  /** Requests seen, `METHOD path`. */
  readonly requests: string[];
  /** Proofs of possession the CA checked: the challenge and whether it verified. */
  readonly proofs: { challenge: string; ok: boolean }[];
  misbehave: Misbehaviour;
}

const HOUR = 3_600_000;
const seq = (...parts: Uint8Array[]) => encodeTlv(TAG.SEQUENCE, concatBytes(...parts));
const set = (...parts: Uint8Array[]) => encodeTlv(TAG.SET, concatBytes(...parts));
const oid = (o: string) => encodeTlv(TAG.OID, encodeOidContent(o));
const octets = (b: Uint8Array) => encodeTlv(TAG.OCTET_STRING, b);
const int = (b: Uint8Array | number) => encodeUnsignedInteger(typeof b === "number" ? Uint8Array.of(b) : b);

function generalizedTime(ms: number): Bytes {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return encodeTlv(TAG.GENERALIZED_TIME, utf8(`${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`));
}

function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  let v = BigInt(n);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
const u16 = (n: number) => Uint8Array.of((n >> 8) & 0xff, n & 0xff);
const u24 = (n: number) => Uint8Array.of((n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);

function claimsOf(token: string): Record<string, unknown> {
  const payload = token.split(".")[1] ?? "";
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

/** An unsigned JWT-shaped token (the double does not verify signatures; the real CA does). */
export function fakeToken(claims: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${enc({ alg: "ES256", typ: "JWT" })}.${enc(claims)}.${Buffer.from("not-a-signature").toString("base64url")}`;
}

/** The request bodies the double reads (loosely: it is fed by the client under test). */
interface SigningCertRequest {
  credentials?: { oidcIdentityToken?: string };
  publicKeyRequest?: { publicKey?: { content?: string }; proofOfPossession?: string };
}
interface Proposed {
  kind: string;
  apiVersion: string;
  spec: { signature?: { content: string }; proposedContent?: { envelope: string; verifiers: string[] } };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** Start a double at `base` (no socket: requests go through the returned fetch). */
export async function createMemoryInstance(base = "http://signet.test"): Promise<MemoryInstance> {
  const t0 = Date.now();
  const host = new URL(base).host;
  const pki: TestPki = await createTestPki(t0);
  const otherPki: TestPki = await createTestPki(t0);
  const logKey: TestKey = await generateTestKey();
  const ctKey: TestKey = await generateTestKey();
  const tsaKey: TestKey = await generateTestKey();
  const tsaName = testName("signet.test", "test-tsa");
  const tsaCert = await buildTestCertificate({
    serial: 7,
    issuer: pki.root.name,
    subject: tsaName,
    notBefore: t0 - 100 * HOUR,
    notAfter: t0 + 100 * HOUR,
    spki: tsaKey.spki,
    extensions: [ext.keyUsage("leaf"), ext.eku([OID.ekuTimeStamping], true), ext.authorityKeyId(pki.root.key.spki)],
    signer: pki.root.key,
  });
  const logId = sha256(logKey.spki);
  const ctLogId = sha256(ctKey.spki);
  const tree = new MemoryTree();
  const noteSigner = createEcdsaNoteSigner({ name: host, spki: logKey.spki, sign: (m) => signDer(logKey, m), signatureFormat: "der" });
  const start = new Date(t0 - 24 * HOUR).toISOString();
  const key = (spki: Uint8Array) => ({ rawBytes: toBase64(spki), keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: { start } });
  const trustedRootJson = {
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: [{ baseUrl: base, hashAlgorithm: "SHA2_256", publicKey: key(logKey.spki), logId: { keyId: toBase64(logId) } }],
    ctlogs: [{ baseUrl: `${base}/ct`, hashAlgorithm: "SHA2_256", publicKey: key(ctKey.spki), logId: { keyId: toBase64(ctLogId) } }],
    certificateAuthorities: [
      {
        subject: { organization: "signet.test", commonName: "test" },
        uri: base,
        certChain: { certificates: [{ rawBytes: toBase64(pki.intermediate.der) }, { rawBytes: toBase64(pki.root.der) }] },
        validFor: { start },
      },
    ],
    timestampAuthorities: [
      {
        subject: { organization: "signet.test", commonName: "test-tsa" },
        uri: `${base}/api/v1/timestamp`,
        certChain: { certificates: [{ rawBytes: toBase64(tsaCert) }, { rawBytes: toBase64(pki.root.der) }] },
        validFor: { start },
      },
    ],
  };
  const service = (url: string) => ({ url, majorApiVersion: 1, validFor: { start }, operator: "signet.test" });
  const signingConfigJson = {
    mediaType: "application/vnd.dev.sigstore.signingconfig.v0.2+json",
    caUrls: [service(base)],
    oidcUrls: [],
    rekorTlogUrls: [service(base)],
    rekorTlogConfig: { selector: "ANY" },
    tsaUrls: [service(`${base}/api/v1/timestamp`)],
    tsaConfig: { selector: "ANY" },
  };

  const instance: MemoryInstance = {
    base,
    fetch: async (url, init) => handle(new URL(url), init ?? {}),
    trustedRootJson,
    signingConfigJson,
    requests: [],
    proofs: [],
    misbehave: "none",
  };

  /** Leaf with an embedded SCT (RFC 6962 §3.2): sign the TBS without the SCT, then append the SCT list last. */
  async function issueLeaf(spki: Uint8Array, identity: { email?: string; uri?: string }, issuer: string, signerPki: TestPki): Promise<Bytes> {
    const notBefore = Math.floor(Date.now() / 1000) * 1000;
    const base = {
      serial: 3,
      issuer: signerPki.intermediate.name,
      subject: new Uint8Array([0x30, 0x00]),
      notBefore,
      notAfter: notBefore + 10 * 60_000,
      spki,
      signer: signerPki.intermediate.key,
    };
    const exts = [
      ext.keyUsage("leaf"),
      ext.eku([OID.ekuCodeSigning]),
      identity.email !== undefined ? ext.sanEmail(identity.email) : ext.sanUri(identity.uri!),
      ext.fulcioIssuer(issuer),
      ext.authorityKeyId(signerPki.intermediate.key.spki),
    ];
    const draft = parseCertificate(await buildTestCertificate({ ...base, extensions: [...exts, ext.raw(OID.ctSctList, octets(Uint8Array.of(0, 0)))] }));
    const tbs = precertificateTbs(draft);
    const ts = Date.now();
    const signed = concatBytes(Uint8Array.of(0, 0), u64(ts), u16(1), sha256(signerPki.intermediate.key.spki), u24(tbs.length), tbs, u16(0));
    const sig = await signDer(ctKey, signed);
    const sct = concatBytes(Uint8Array.of(0), ctLogId, u64(ts), u16(0), Uint8Array.of(4, 3), u16(sig.length), sig);
    const list = concatBytes(u16(sct.length + 2), u16(sct.length), sct);
    return buildTestCertificate({ ...base, extensions: [...exts, ext.raw(OID.ctSctList, octets(list))] });
  }

  async function signingCert(body: SigningCertRequest): Promise<Response> {
    if (instance.misbehave === "ca-refuses") return json(401, { code: "ERR_OIDC_TOKEN_EXPIRED", message: "token expired" });
    const token = String(body.credentials?.oidcIdentityToken ?? "");
    const claims = claimsOf(token);
    const pem = String(body.publicKeyRequest?.publicKey?.content ?? "");
    const challenge = String(typeof claims.email === "string" ? claims.email : claims.sub);
    const v = createVerify("sha256");
    v.update(challenge);
    const ok = v.verify({ key: pem, format: "pem" }, Buffer.from(String(body.publicKeyRequest?.proofOfPossession ?? ""), "base64"));
    instance.proofs.push({ challenge, ok });
    if (!ok) return json(400, { code: "ERR_CA_PROOF_INVALID", message: "proof of possession does not verify" });
    let spki: Uint8Array = parsePem(pem, "PUBLIC KEY");
    if (instance.misbehave === "cert-for-other-key") spki = (await generateTestKey()).spki;
    const issuer = instance.misbehave === "cert-wrong-issuer" ? "https://other-issuer.example" : String(claims.iss);
    const signerPki = instance.misbehave === "cert-untrusted-root" ? otherPki : pki;
    const identity = typeof claims.email === "string" ? { email: claims.email } : { uri: `https://example.test/${String(claims.sub)}` };
    const leaf = await issueLeaf(spki, identity, issuer, signerPki);
    const chain = [leaf, signerPki.intermediate.der, signerPki.root.der].map((d) => toPem(d, "CERTIFICATE"));
    if (instance.misbehave === "detached-sct") return json(200, { signedCertificateDetachedSct: { chain: { certificates: chain }, signedCertificateTimestamp: "" } });
    return json(200, { signedCertificateEmbeddedSct: { chain: { certificates: chain } } });
  }

  /** The canonical body Rekor stores for a proposed entry (hashedrekord 0.0.1 as is; dsse 0.0.1 as hashes). */
  function canonicalBody(proposed: Proposed): string {
    if (proposed.kind === "hashedrekord") return canonicalize(proposed);
    const content = proposed.spec.proposedContent!;
    const envelope = JSON.parse(content.envelope) as { payload: string; signatures: { sig: string }[] };
    return canonicalize({
      apiVersion: "0.0.1",
      kind: "dsse",
      spec: {
        envelopeHash: { algorithm: "sha256", value: toHex(sha256(utf8(content.envelope))) },
        payloadHash: { algorithm: "sha256", value: toHex(sha256(fromBase64(envelope.payload))) },
        signatures: envelope.signatures.map((s) => ({ signature: s.sig, verifier: content.verifiers[0] })),
      },
    });
  }

  async function logEntry(proposed: Proposed): Promise<Response> {
    if (instance.misbehave === "log-other-signature" && proposed.kind === "hashedrekord") {
      proposed = structuredClone(proposed);
      const sig = fromBase64(proposed.spec.signature!.content);
      sig[sig.length - 1] = sig[sig.length - 1]! ^ 1;
      proposed.spec.signature!.content = toBase64(sig);
    }
    const body = utf8(canonicalBody(proposed));
    const index = tree.size;
    tree.append(hashLeaf(body));
    const size = tree.size;
    const root = tree.root();
    const integratedTime = Math.floor(Date.now() / 1000);
    const checkpoint = await signCheckpoint({ origin: `${host} - 1`, size, rootHash: root }, [noteSigner]);
    const entry = {
      logIndex: index,
      logId,
      kindVersion: { kind: proposed.kind, version: "0.0.1" },
      integratedTime: BigInt(integratedTime),
      inclusionPromise: undefined,
      inclusionProof: undefined,
      canonicalizedBody: body,
    };
    let set = await signDer(logKey, signedEntryTimestampPayload(entry));
    if (instance.misbehave === "log-bad-set") set = await signDer(tsaKey, signedEntryTimestampPayload(entry));
    const uuid = instance.misbehave === "log-wrong-uuid" ? toHex(sha256(body)) : toHex(hashLeaf(body));
    return json(201, {
      [`0000000000000001${uuid}`]: {
        body: toBase64(body),
        integratedTime,
        logID: toHex(logId),
        logIndex: Number(index),
        verification: {
          inclusionProof: {
            checkpoint,
            hashes: tree.inclusionProof(index).map(toHex),
            logIndex: Number(index),
            rootHash: toHex(root),
            treeSize: Number(size),
          },
          signedEntryTimestamp: toBase64(set),
        },
      },
    });
  }

  /** A TimeStampResp (RFC 3161 §2.4.2) for a DER TimeStampReq, echoing its nonce. */
  async function timestamp(req: Uint8Array): Promise<Response> {
    const fields = parseDer(req).children;
    let digest = derContent(fields[1]!.children[1]!);
    let nonce = derContent(fields[2]!);
    if (instance.misbehave === "tsa-wrong-nonce") nonce = Uint8Array.of(0x42);
    if (instance.misbehave === "tsa-other-imprint") digest = sha256(digest);
    const sha256Alg = seq(oid(OID.sha256));
    const tstInfo = seq(int(1), oid("1.3.6.1.4.1.57264.2"), seq(sha256Alg, octets(digest)), int(99), generalizedTime(Date.now()), int(nonce));
    const attrs = concatBytes(seq(oid(OID.contentType), set(oid(OID.tstInfo))), seq(oid(OID.messageDigest), set(octets(sha256(tstInfo)))));
    const signature = await signDer(tsaKey, encodeTlv(TAG.SET, attrs));
    const signerInfo = seq(int(1), seq(pki.root.name, int(7)), sha256Alg, encodeTlv(contextTag(0, true), attrs), seq(oid(OID.ecdsaWithSha256)), octets(signature));
    const signedData = seq(int(3), set(sha256Alg), seq(oid(OID.tstInfo), encodeTlv(contextTag(0, true), octets(tstInfo))), set(signerInfo));
    const token = seq(oid(OID.signedData), encodeTlv(contextTag(0, true), signedData));
    return new Response(seq(seq(int(0)), token), { status: 200, headers: { "content-type": "application/timestamp-reply" } });
  }

  async function handle(url: URL, init: RequestInit): Promise<Response> {
    const method = init.method ?? "GET";
    instance.requests.push(`${method} ${url.pathname}`);
    if (`${url.protocol}//${url.host}` !== base) throw new TypeError(`fetch failed: no route to ${url.host}`);
    const text = typeof init.body === "string" ? init.body : init.body instanceof Uint8Array ? init.body : undefined;
    switch (`${method} ${url.pathname}`) {
      case "GET /.well-known/signet/trusted_root.json":
        return json(200, trustedRootJson);
      case "GET /.well-known/signet/signing_config.json":
        return json(200, signingConfigJson);
      case "POST /api/v2/signingCert":
        return signingCert(JSON.parse(String(text)) as SigningCertRequest);
      case "POST /api/v1/log/entries":
        return logEntry(JSON.parse(String(text)) as Proposed);
      case "POST /api/v1/timestamp":
        if (!(text instanceof Uint8Array)) return json(415, { code: "ERR_TSA_UNSUPPORTED_MEDIA_TYPE", message: "DER only in the double" });
        return timestamp(text);
      default:
        return json(404, { code: "ERR_NOT_FOUND", message: "no such endpoint" });
    }
  }

  return instance;
}

/** The decoded UTF-8 of a base64 string (for assertions on bundle fields). */
export function b64Text(b64: string): string {
  return fromUtf8(fromBase64(b64));
}
