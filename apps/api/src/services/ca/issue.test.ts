// Issuance end to end over the real key ceremony (memory key store), a memory CT log and Node/OpenSSL
// signers: every certificate is parsed by @signet/crypto, Node's X509Certificate and `openssl x509`,
// checked against the Fulcio profile (SECURITY.md B4), and its SCT verified.
import { execFileSync } from "node:child_process";
import { constants, createPublicKey, generateKeyPairSync, sign, X509Certificate, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OID } from "@signet/crypto/asn1/oid";
import { parseSpki } from "@signet/crypto/keys";
import { toPem } from "@signet/crypto/pem";
import { findExtension, parseCertificate, type Certificate } from "@signet/crypto/x509/certificate";
import { FULCIO_OIDS, readFulcioExtensions, readFulcioIssuer, readSignerIdentity } from "@signet/crypto/x509/fulcio-extensions";
import { precertificateTbs, verifyEmbeddedScts } from "@signet/crypto/x509/sct";
import { createMemorySigner, type Signer } from "@signet/hsm/signer";
import type { VerifiedIdentity } from "../oidc/identity.ts";
import { createMemoryCtLog, type CtLog, type MemoryCtLog, type PrecertificateSubmission } from "./ct-log.ts";
import { createCertificateAuthority, verifyEcdsaInline, type CertificateAuthority, type CertificateAuthorityOptions, type CertificateRecord, type EcdsaVerifier } from "./issue.ts";
import { checkLeafProfile } from "./profile.ts";
import { DomainError } from "../../errors.ts";
import { createTestCa, type TestCa } from "./testing.ts";

const ISSUER = "https://accounts.example.test";

function emailIdentity(email = "dev@example.test"): VerifiedIdentity {
  return {
    issuer: ISSUER,
    subject: "account-1",
    san: { kind: "email", value: email },
    challenge: email,
    claims: { email, email_verified: true, sub: "account-1" },
    extensions: { [FULCIO_OIDS.issuerV1]: ISSUER, [FULCIO_OIDS.issuer]: ISSUER },
  };
}

function githubIdentity(): VerifiedIdentity {
  const iss = "https://token.actions.githubusercontent.com";
  const sub = "repo:org/repo:ref:refs/heads/main";
  return {
    issuer: iss,
    subject: sub,
    san: { kind: "uri", value: "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main" },
    challenge: sub,
    claims: { sub },
    extensions: {
      [FULCIO_OIDS.issuerV1]: iss,
      [FULCIO_OIDS.issuer]: iss,
      [FULCIO_OIDS.githubWorkflowTrigger]: "push",
      [FULCIO_OIDS.githubWorkflowSha]: "a".repeat(40),
      [FULCIO_OIDS.githubWorkflowName]: "Release ✓ ünïcödé",
      [FULCIO_OIDS.buildSignerUri]: "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main",
      [FULCIO_OIDS.runnerEnvironment]: "github-hosted",
      [FULCIO_OIDS.sourceRepositoryVisibilityAtSigning]: "public",
    },
  };
}

interface ClientKey {
  privateKey: KeyObject;
  spki: Uint8Array;
}

function clientKey(type: "ec" | "rsa" | "ed25519" = "ec", opt: { namedCurve?: string; modulusLength?: number } = { namedCurve: "prime256v1" }): ClientKey {
  const { privateKey, publicKey } = type === "ec" ? generateKeyPairSync("ec", { namedCurve: opt.namedCurve! }) : type === "rsa" ? generateKeyPairSync("rsa", { modulusLength: opt.modulusLength! }) : generateKeyPairSync("ed25519");
  return { privateKey, spki: new Uint8Array(publicKey.export({ format: "der", type: "spki" })) };
}

function prove(key: ClientKey, challenge: string, hash: string | null = "sha256"): Uint8Array {
  const data = Buffer.from(challenge, "utf8");
  if (key.privateKey.asymmetricKeyType === "ed25519") return new Uint8Array(sign(null, data, key.privateKey));
  if (key.privateKey.asymmetricKeyType === "rsa") return new Uint8Array(sign("sha256", data, { key: key.privateKey, padding: constants.RSA_PKCS1_PADDING }));
  return new Uint8Array(sign(hash, data, { key: key.privateKey, dsaEncoding: "der" }));
}

async function rejection(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

let testCa: TestCa;
let ctLog: MemoryCtLog;
let ctSigner: Signer;
let records: CertificateRecord[];
let ca: CertificateAuthority;
let work: string;

function makeCa(overrides: Partial<CertificateAuthorityOptions> = {}): CertificateAuthority {
  return createCertificateAuthority({
    rootCert: testCa.ceremony.root.der,
    intermediateCert: testCa.ceremony.intermediate.der,
    signer: testCa.signer("ca-intermediate"),
    ctLog,
    ...overrides,
  });
}

beforeAll(async () => {
  testCa = await createTestCa();
  ctSigner = testCa.signer("ct-log");
  ctLog = createMemoryCtLog({ signer: ctSigner });
  records = [];
  ca = makeCa({
    ctLogPublicKey: await ctSigner.publicKey(),
    recordCertificate: async (r) => {
      records.push(r);
    },
  });
  work = mkdtempSync(path.join(tmpdir(), "signet-issue-test-"));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(testCa.dir, { recursive: true, force: true });
});

/** Everything a client could check about an issued certificate; returns the parsed leaf. */
async function assertIssued(der: Uint8Array, chain: readonly Uint8Array[]): Promise<Certificate> {
  const leaf = parseCertificate(der);
  const intermediate = testCa.ceremony.intermediate.cert;
  const root = testCa.ceremony.root.cert;
  checkLeafProfile(leaf, [intermediate, root]);
  expect(chain.map((c) => Buffer.from(c).toString("hex"))).toEqual([der, intermediate.der, root.der].map((c) => Buffer.from(c).toString("hex")));

  const x = new X509Certificate(der);
  expect(x.verify(createPublicKey({ key: Buffer.from(intermediate.publicKey.spki), format: "der", type: "spki" }))).toBe(true);
  expect(x.checkIssued(new X509Certificate(intermediate.der))).toBe(true);

  const ctPub = parseSpki(await ctSigner.publicKey());
  const { createHash } = await import("node:crypto");
  const verified = await verifyEmbeddedScts(leaf, intermediate, [{ logId: new Uint8Array(createHash("sha256").update(ctPub.spki).digest()), publicKey: ctPub, validFor: { start: 0, end: undefined }, baseUrl: "memory" }]);
  expect(verified).toHaveLength(1);

  const text = execFileSync("openssl", ["x509", "-inform", "DER", "-noout", "-text"], { input: der }).toString();
  expect(text).toContain("X509v3 Subject Alternative Name: critical");
  expect(text).toContain("Code Signing");
  expect(text).toContain("CT Precertificate SCTs");
  expect(text).toContain("1.3.6.1.4.1.57264.1.8");
  return leaf;
}

function opensslVerify(der: Uint8Array): string {
  const dir = mkdtempSync(path.join(work, "v-"));
  writeFileSync(path.join(dir, "root.pem"), testCa.ceremony.root.pem);
  writeFileSync(path.join(dir, "int.pem"), testCa.ceremony.intermediate.pem);
  writeFileSync(path.join(dir, "leaf.pem"), toPem(der, "CERTIFICATE"));
  return execFileSync("openssl", ["verify", "-CAfile", path.join(dir, "root.pem"), "-untrusted", path.join(dir, "int.pem"), path.join(dir, "leaf.pem")]).toString();
}

describe("issue: the happy paths", () => {
  it("issues an email certificate with an embedded SCT that every parser accepts", async () => {
    const key = clientKey();
    const identity = emailIdentity();
    const before = records.length;
    const r = await ca.issue({ identity, publicKey: key.spki, proof: { kind: "challenge", signature: prove(key, identity.challenge) } });
    const leaf = await assertIssued(r.certificate, r.chain);
    expect(leaf.subjectAltNames).toEqual([{ kind: "email", value: "dev@example.test" }]);
    expect(readFulcioIssuer(leaf)).toBe(ISSUER);
    expect(Buffer.from(leaf.publicKey.spki)).toEqual(Buffer.from(key.spki));
    expect(r.notAfter - r.notBefore).toBe(600_000);
    expect(opensslVerify(r.certificate)).toContain("OK");
    expect(r.chainPem[0]).toBe(toPem(r.certificate, "CERTIFICATE"));
    expect(ca.trustBundle).toEqual([testCa.ceremony.intermediate.pem, testCa.ceremony.root.pem]);

    // The SCT signs exactly the final TBS without the SCT list (RFC 6962 §3.2, INTEROP.md last section).
    const submission = ctLog.submissions[ctLog.submissions.length - 1]!;
    expect(Buffer.from(submission.tbsWithoutSct)).toEqual(Buffer.from(precertificateTbs(leaf)));
    const pre = parseCertificate(submission.precertificate!);
    expect(findExtension(pre, OID.ctPoison)?.critical).toBe(true);
    expect(Buffer.from(pre.serialNumber)).toEqual(Buffer.from(leaf.serialNumber));
    expect(new X509Certificate(submission.precertificate!).verify(createPublicKey({ key: Buffer.from(testCa.ceremony.intermediate.cert.publicKey.spki), format: "der", type: "spki" }))).toBe(true);

    expect(records.length).toBe(before + 1);
    const rec = records[records.length - 1]!;
    expect(rec).toMatchObject({ identity: "dev@example.test", issuer: ISSUER, subject: "account-1", serialNumber: r.serialNumber });
    expect(rec.fingerprint).toBe(new X509Certificate(r.certificate).fingerprint256.replaceAll(":", "").toLowerCase());
  });

  it("issues a GitHub workflow certificate with the Fulcio extensions, non-ASCII values encoded exactly", async () => {
    const key = clientKey();
    const identity = githubIdentity();
    const r = await ca.issue({ identity, publicKey: key.spki, proof: { kind: "challenge", signature: prove(key, identity.challenge) } });
    const leaf = await assertIssued(r.certificate, r.chain);
    expect(leaf.subjectAltNames).toEqual([identity.san]);
    const ext = readFulcioExtensions(leaf);
    expect(ext.githubWorkflowName).toBe("Release ✓ ünïcödé");
    expect(ext.buildSignerUri).toBe(identity.san.value);
    expect(ext.issuer).toBe(identity.issuer);
    expect(ext.sourceRepositoryVisibilityAtSigning).toBe("public");
  });

  const keyKinds: [string, () => ClientKey, string | null][] = [
    ["ECDSA P-384 (SHA-256, as Fulcio verifies)", () => clientKey("ec", { namedCurve: "secp384r1" }), "sha256"],
    ["ECDSA P-384 (SHA-384)", () => clientKey("ec", { namedCurve: "secp384r1" }), "sha384"],
    ["ECDSA P-521", () => clientKey("ec", { namedCurve: "secp521r1" }), "sha256"],
    ["RSA 2048 (PKCS#1 v1.5)", () => clientKey("rsa", { modulusLength: 2048 }), "sha256"],
    ["Ed25519", () => clientKey("ed25519"), null],
  ];
  for (const [what, make, hash] of keyKinds) {
    it(`certifies ${what} keys`, async () => {
      const key = make();
      const identity = emailIdentity();
      const r = await ca.issue({ identity, publicKey: key.spki, proof: { kind: "challenge", signature: prove(key, identity.challenge, hash) } });
      const leaf = await assertIssued(r.certificate, r.chain);
      expect(Buffer.from(leaf.publicKey.spki)).toEqual(Buffer.from(key.spki));
    });
  }

  it("issues from a PKCS#10 CSR (PEM or DER), taking only its key", async () => {
    const key = clientKey("ec", { namedCurve: "prime256v1" });
    const keyFile = path.join(work, "csr-key.pem");
    writeFileSync(keyFile, key.privateKey.export({ format: "pem", type: "pkcs8" }));
    const pem = execFileSync("openssl", ["req", "-new", "-key", keyFile, "-subj", "/CN=ignored.example/O=Ignored", "-outform", "PEM"]);
    const der = execFileSync("openssl", ["req", "-new", "-key", keyFile, "-subj", "/CN=ignored", "-outform", "DER"]);
    for (const csr of [pem, der]) {
      const r = await ca.issue({ identity: emailIdentity(), proof: { kind: "csr", csr: new Uint8Array(csr) } });
      const leaf = await assertIssued(r.certificate, r.chain);
      expect(Buffer.from(leaf.publicKey.spki)).toEqual(Buffer.from(key.spki));
      expect(leaf.subjectName).toBe("");
    }
  });

  it("handles 200 concurrent issuances without mixing them up (SECURITY.md B7)", async () => {
    const jobs = Array.from({ length: 200 }, (_, i) => {
      const key = clientKey();
      const identity = emailIdentity(`user${i}@example.test`);
      return ca.issue({ identity, publicKey: key.spki, proof: { kind: "challenge", signature: prove(key, identity.challenge) } }).then((r) => ({ r, key, i }));
    });
    const results = await Promise.all(jobs);
    const intermediate = createPublicKey({ key: Buffer.from(testCa.ceremony.intermediate.cert.publicKey.spki), format: "der", type: "spki" });
    const serials = new Set<string>();
    for (const { r, key, i } of results) {
      const leaf = parseCertificate(r.certificate);
      checkLeafProfile(leaf, [testCa.ceremony.intermediate.cert, testCa.ceremony.root.cert]);
      expect(new X509Certificate(r.certificate).verify(intermediate)).toBe(true);
      expect(leaf.subjectAltNames).toEqual([{ kind: "email", value: `user${i}@example.test` }]);
      expect(Buffer.from(leaf.publicKey.spki)).toEqual(Buffer.from(key.spki));
      serials.add(r.serialNumber);
    }
    expect(serials.size).toBe(200);
  });
});

describe("issue: proof of possession (SECURITY.md B1)", () => {
  const key = clientKey();
  it("rejects a challenge signed over another subject", async () => {
    const identity = emailIdentity();
    expect(await rejection(ca.issue({ identity, publicKey: key.spki, proof: { kind: "challenge", signature: prove(key, "other@example.test") } }))).toBe("ERR_CA_PROOF_INVALID");
  });
  it("rejects a challenge signed by another key", async () => {
    const identity = emailIdentity();
    expect(await rejection(ca.issue({ identity, publicKey: key.spki, proof: { kind: "challenge", signature: prove(clientKey(), identity.challenge) } }))).toBe("ERR_CA_PROOF_INVALID");
  });
  it("rejects a missing or empty proof", async () => {
    const identity = emailIdentity();
    expect(await rejection(ca.issue({ identity, publicKey: key.spki, proof: { kind: "challenge", signature: new Uint8Array(0) } }))).toBe("ERR_CA_PROOF_MISSING");
    expect(await rejection(ca.issue({ identity, publicKey: key.spki, proof: undefined as never }))).toBe("ERR_CA_PROOF_MISSING");
    expect(await rejection(ca.issue({ identity, proof: { kind: "challenge", signature: prove(key, identity.challenge) } }))).toBe("ERR_CA_PUBLIC_KEY_MISSING");
  });
  it("accepts exactly one signature encoding: DER, not raw r‖s and not non-minimal DER (SECURITY.md C1)", async () => {
    const identity = emailIdentity();
    const raw = new Uint8Array(sign("sha256", Buffer.from(identity.challenge), { key: key.privateKey, dsaEncoding: "ieee-p1363" }));
    expect(await rejection(ca.issue({ identity, publicKey: key.spki, proof: { kind: "challenge", signature: raw } }))).toBe("ERR_CA_PROOF_INVALID");
    const der = prove(key, identity.challenge);
    // Same signature with a long-form length (0x81 LEN): BER, not DER.
    const nonMinimal = Uint8Array.from([0x30, 0x81, der[1]!, ...der.subarray(2)]);
    expect(await rejection(ca.issue({ identity, publicKey: key.spki, proof: { kind: "challenge", signature: nonMinimal } }))).toBe("ERR_CA_PROOF_INVALID");
  });
  it("rejects a CSR whose self-signature does not verify, garbage, and a CSR for another key", async () => {
    const k = clientKey();
    const keyFile = path.join(work, "csr-bad-key.pem");
    writeFileSync(keyFile, k.privateKey.export({ format: "pem", type: "pkcs8" }));
    const der = new Uint8Array(execFileSync("openssl", ["req", "-new", "-key", keyFile, "-subj", "/CN=x", "-outform", "DER"]));
    const tampered = der.slice();
    tampered[tampered.length - 3]! ^= 0x01;
    const identity = emailIdentity();
    expect(await rejection(ca.issue({ identity, proof: { kind: "csr", csr: tampered } }))).toMatch(/^ERR_CA_(PROOF|CSR)_INVALID$/);
    expect(await rejection(ca.issue({ identity, proof: { kind: "csr", csr: Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00) } }))).toBe("ERR_CA_CSR_INVALID");
    expect(await rejection(ca.issue({ identity, proof: { kind: "csr", csr: new Uint8Array(20_000) } }))).toBe("ERR_CA_CSR_INVALID");
    expect(await rejection(ca.issue({ identity, publicKey: clientKey().spki, proof: { kind: "csr", csr: der } }))).toBe("ERR_CA_PROOF_INVALID");
  });
});

describe("issue: public keys (SECURITY.md B2)", () => {
  async function submit(spki: Uint8Array): Promise<string | undefined> {
    return rejection(ca.issue({ identity: emailIdentity(), publicKey: spki, proof: { kind: "challenge", signature: Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01) } }));
  }
  it("rejects P-192 and RSA-1024 as weak", async () => {
    expect(await submit(clientKey("ec", { namedCurve: "prime192v1" }).spki)).toBe("ERR_CA_PUBLIC_KEY_WEAK");
    expect(await submit(clientKey("rsa", { modulusLength: 1024 }).spki)).toBe("ERR_CA_PUBLIC_KEY_WEAK");
  });
  it("rejects secp256k1 as unsupported", async () => {
    expect(await submit(clientKey("ec", { namedCurve: "secp256k1" }).spki)).toBe("ERR_CA_PUBLIC_KEY_UNSUPPORTED");
  });
  it("rejects a point not on the curve and the point at infinity", async () => {
    const off = clientKey().spki.slice();
    off[off.length - 1]! ^= 0x01;
    expect(await submit(off)).toBe("ERR_CA_PUBLIC_KEY_INVALID");
    const spki = clientKey().spki;
    // Same SPKI header, BIT STRING holding the one-byte infinity point 0x00.
    const header = spki.subarray(2, 2 + 2 + spki[3]!);
    const inf = Uint8Array.from([0x30, header.length + 4, ...header, 0x03, 0x02, 0x00, 0x00]);
    expect(await submit(inf)).toBe("ERR_CA_PUBLIC_KEY_INVALID");
  });
  it("rejects malformed SPKI DER: trailing bytes, non-minimal length, truncation, garbage", async () => {
    const spki = clientKey().spki;
    expect(await submit(Uint8Array.from([...spki, 0x00]))).toBe("ERR_CA_PUBLIC_KEY_INVALID");
    expect(await submit(Uint8Array.from([0x30, 0x81, spki[1]!, ...spki.subarray(2)]))).toBe("ERR_CA_PUBLIC_KEY_INVALID");
    expect(await submit(spki.subarray(0, spki.length - 1))).toBe("ERR_CA_PUBLIC_KEY_INVALID");
    expect(await submit(new TextEncoder().encode("-----BEGIN PUBLIC KEY-----"))).toBe("ERR_CA_PUBLIC_KEY_INVALID");
  });
});

describe("issue: identities (SECURITY.md B3)", () => {
  const cases: [string, string][] = [
    ["a newline", "dev@example.test\nadmin@example.test"],
    ["a NUL", "dev@example.test\0"],
    ["an RTL override", "\u202edev@example.test"],
    ["non-ASCII", "dév@example.test"],
    ["10 KB", `${"a".repeat(10_240)}@example.test`],
  ];
  for (const [what, email] of cases) {
    it(`rejects an email identity with ${what}`, async () => {
      const key = clientKey();
      const identity = emailIdentity(email);
      expect(await rejection(ca.issue({ identity, publicKey: key.spki, proof: { kind: "challenge", signature: prove(key, identity.challenge) } }))).toBe("ERR_CA_IDENTITY_INVALID");
    });
  }
});

describe("issue: validity (SECURITY.md B4)", () => {
  it("never outlives the intermediate, and refuses when it has expired", async () => {
    const intermediate = testCa.ceremony.intermediate.cert;
    const nearEnd = makeCa({ clock: () => intermediate.notAfter - 5 * 60_000 });
    const key = clientKey();
    const identity = emailIdentity();
    const r = await nearEnd.issue({ identity, publicKey: key.spki, proof: { kind: "challenge", signature: prove(key, identity.challenge) } });
    expect(r.notAfter).toBe(intermediate.notAfter);
    checkLeafProfile(parseCertificate(r.certificate), [intermediate, testCa.ceremony.root.cert]);
    const expired = makeCa({ clock: () => intermediate.notAfter + 1000 });
    expect(await rejection(expired.issue({ identity, publicKey: key.spki, proof: { kind: "challenge", signature: prove(key, identity.challenge) } }))).toBe("ERR_CA_INTERMEDIATE_EXPIRED");
  });
  it("refuses a configured lifetime above 10 minutes", () => {
    expect(() => makeCa({ validityMs: 600_001 })).toThrow(expect.objectContaining({ code: "ERR_CA_CONFIG_INVALID" }));
  });
});

describe("issue: failing closed (SECURITY.md B5, B6, G-S1)", () => {
  function request() {
    const key = clientKey();
    const identity = emailIdentity();
    return { identity, publicKey: key.spki, proof: { kind: "challenge" as const, signature: prove(key, identity.challenge) } };
  }

  it("answers UNAVAILABLE while the HSM is down, records nothing, and recovers without a restart", async () => {
    const recorded: CertificateRecord[] = [];
    const c = makeCa({ recordCertificate: async (r) => void recorded.push(r) });
    testCa.store.failWith = Object.assign(new Error("CKR_SESSION_HANDLE_INVALID"), { code: "ERR_HSM_UNAVAILABLE" });
    try {
      const err = await c.issue(request()).catch((e: unknown) => e as { code: string; kind: string });
      expect(err).toMatchObject({ code: "ERR_CA_SIGNER_UNAVAILABLE", kind: "UNAVAILABLE" });
      expect(recorded).toHaveLength(0);
    } finally {
      testCa.store.failWith = undefined;
    }
    await c.issue(request());
    expect(recorded).toHaveLength(1);
  });

  it("refuses a signature by the wrong key (label mix-up) and over the wrong bytes", async () => {
    const wrongKey = makeCa({ signer: createMemorySigner("P-256") });
    expect(await rejection(wrongKey.issue(request()))).toBe("ERR_CA_SIGNATURE_SELF_CHECK_FAILED");
    const real = testCa.signer("ca-intermediate");
    const wrongBytes: Signer = { ...real, sign: (data) => real.sign(Uint8Array.from([...data, 0])) };
    expect(await rejection(makeCa({ signer: wrongBytes }).issue(request()))).toBe("ERR_CA_SIGNATURE_SELF_CHECK_FAILED");
  });

  it("self-checks every CA signature exactly where it matters: a signer that skips its own check is still caught", async () => {
    // A signer that does no verification of its own and signs the wrong bytes on the second call
    // (the final certificate): only the CA's check stands between it and a bad certificate.
    const real = testCa.store.keys.get("ca-intermediate")!;
    let calls = 0;
    const unchecked: Signer = {
      algorithm: "P-256",
      publicKey: async () => real.spki.slice(),
      sign: async (data) => new Uint8Array(sign("sha256", ++calls === 2 ? Uint8Array.from([...data, 1]) : data, { key: real.privateKey, dsaEncoding: "der" })),
    };
    const recorded: CertificateRecord[] = [];
    expect(await rejection(makeCa({ signer: unchecked, recordCertificate: async (r) => void recorded.push(r) }).issue(request()))).toBe("ERR_CA_SIGNATURE_SELF_CHECK_FAILED");
    expect(calls).toBe(2);
    expect(recorded).toHaveLength(0);
    // A signature that is not DER at all.
    const garbage: Signer = { ...unchecked, sign: async () => Uint8Array.of(0x30, 0x00) };
    expect(await rejection(makeCa({ signer: garbage }).issue(request()))).toBe("ERR_CA_SIGNATURE_SELF_CHECK_FAILED");
  });

  it("checks each CA and SCT signature exactly once, through the configured verifier, and fails closed on it", async () => {
    const calls: { spki: string; hash: string }[] = [];
    const counting: EcdsaVerifier = (spki, hash, data, signature) => {
      calls.push({ spki: Buffer.from(spki).toString("hex"), hash });
      return verifyEcdsaInline(spki, hash, data, signature);
    };
    const ctKey = await ctSigner.publicKey();
    await makeCa({ verifyEcdsa: counting, ctLogPublicKey: ctKey }).issue(request());
    const intermediate = Buffer.from(testCa.ceremony.intermediate.cert.publicKey.spki).toString("hex");
    // precertificate, SCT, final certificate
    expect(calls).toEqual([
      { spki: intermediate, hash: "sha256" },
      { spki: Buffer.from(ctKey).toString("hex"), hash: "sha256" },
      { spki: intermediate, hash: "sha256" },
    ]);
    for (const verifyEcdsa of [
      () => false,
      async () => false,
      () => "yes" as unknown as boolean,
      () => {
        throw new Error("worker died");
      },
      () => Promise.reject(new Error("worker died")),
    ] satisfies EcdsaVerifier[]) {
      const recorded: CertificateRecord[] = [];
      expect(await rejection(makeCa({ verifyEcdsa, recordCertificate: async (r) => void recorded.push(r) }).issue(request()))).toBe("ERR_CA_SIGNATURE_SELF_CHECK_FAILED");
      expect(recorded).toHaveLength(0);
    }
    // Only the SCT check failing: the SCT is refused.
    const sctOnly: EcdsaVerifier = (spki, hash, data, signature) => Buffer.from(spki).equals(Buffer.from(ctKey)) ? false : verifyEcdsaInline(spki, hash, data, signature);
    expect(await rejection(makeCa({ verifyEcdsa: sctOnly, ctLogPublicKey: ctKey }).issue(request()))).toBe("ERR_CA_SCT_INVALID");
  });

  it("verifyEcdsaInline refuses wrong signatures, keys and garbage on both curves", () => {
    for (const namedCurve of ["prime256v1", "secp384r1"] as const) {
      const hash = namedCurve === "prime256v1" ? "sha256" : "sha384";
      const k = generateKeyPairSync("ec", { namedCurve });
      const other = generateKeyPairSync("ec", { namedCurve });
      const spki = new Uint8Array(k.publicKey.export({ format: "der", type: "spki" }));
      const data = Buffer.from("tbs bytes");
      const sig = sign(hash, data, { key: k.privateKey, dsaEncoding: "der" });
      expect(verifyEcdsaInline(spki, hash, data, sig)).toBe(true);
      expect(verifyEcdsaInline(spki, hash, Buffer.from("other bytes"), sig)).toBe(false);
      expect(verifyEcdsaInline(new Uint8Array(other.publicKey.export({ format: "der", type: "spki" })), hash, data, sig)).toBe(false);
      expect(verifyEcdsaInline(spki, hash, data, Uint8Array.of(0x30, 0))).toBe(false);
      expect(verifyEcdsaInline(Uint8Array.of(1, 2, 3), hash, data, sig)).toBe(false);
    }
  });

  it("self-checks with a P-384 intermediate too, and issues with it", async () => {
    const p384 = await createTestCa({ intermediateAlgorithm: "P-384" });
    try {
      const ctLogPublicKey = await ctSigner.publicKey();
      const make = (signer: Signer) =>
        createCertificateAuthority({ rootCert: p384.ceremony.root.der, intermediateCert: p384.ceremony.intermediate.der, signer, ctLog, ctLogPublicKey });
      const good = await make(p384.signer("ca-intermediate")).issue(request());
      const leaf = parseCertificate(good.certificate);
      checkLeafProfile(leaf, [p384.ceremony.intermediate.cert, p384.ceremony.root.cert]);
      expect(new X509Certificate(good.certificate).verify(createPublicKey({ key: Buffer.from(p384.ceremony.intermediate.cert.publicKey.spki), format: "der", type: "spki" }))).toBe(true);
      const real = p384.signer("ca-intermediate");
      const wrongBytes: Signer = { ...real, sign: (data) => real.sign(Uint8Array.from([...data, 0])) };
      expect(await rejection(make(wrongBytes).issue(request()))).toBe("ERR_CA_SIGNATURE_SELF_CHECK_FAILED");
    } finally {
      rmSync(p384.dir, { recursive: true, force: true });
    }
  });

  it("hands the CT log the identity and issuer the precertificate carries", async () => {
    const seen: PrecertificateSubmission[] = [];
    const spy: CtLog = { submitPrecertificate: async (s) => (seen.push(s), ctLog.submitPrecertificate(s)) };
    await makeCa({ ctLog: spy }).issue(request());
    const [s] = seen;
    const pre = parseCertificate(await s!.precertificate());
    expect(s!.search).toEqual({ identity: readSignerIdentity(pre), issuer: readFulcioIssuer(pre) });
  });

  it("signs the precertificate only for a CT log that asks for it, once however often it asks", async () => {
    const real = testCa.signer("ca-intermediate");
    let signed = 0;
    const counting: Signer = { ...real, sign: (data) => (signed++, real.sign(data)) };
    // A log that records only the PreCert leaf (as the engine's does): one CA signature, the certificate's.
    const leafOnly = createMemoryCtLog({ signer: ctSigner, requestPrecertificate: false });
    const r = await makeCa({ signer: counting, ctLog: leafOnly }).issue(request());
    expect(signed).toBe(1);
    expect(leafOnly.submissions[0]!.precertificate).toBeUndefined();
    checkLeafProfile(parseCertificate(r.certificate), [testCa.ceremony.intermediate.cert, testCa.ceremony.root.cert]);
    // A log that asks (twice): the same precertificate, signed once, before the certificate.
    signed = 0;
    let asked: Uint8Array[] = [];
    const asking: CtLog = {
      submitPrecertificate: async (s) => {
        asked = [await s.precertificate(), await s.precertificate()];
        return ctLog.submitPrecertificate(s);
      },
    };
    await makeCa({ signer: counting, ctLog: asking }).issue(request());
    expect(signed).toBe(2);
    expect(asked[0]).toBe(asked[1]);
    expect(findExtension(parseCertificate(asked[0]!), OID.ctPoison)?.critical).toBe(true);
  });

  it("signs the certificate while the CT log commits, and releases it only once the log has answered", async () => {
    const real = testCa.signer("ca-intermediate");
    const events: string[] = [];
    const signer: Signer = { ...real, sign: (data) => (events.push("certificate signed"), real.sign(data)) };
    // A CT log that hands its SCT over first and answers when the test says so (its commit).
    const leafOnly = createMemoryCtLog({ signer: ctSigner, requestPrecertificate: false });
    let commit!: (ok: boolean) => void;
    const early: CtLog = {
      submitPrecertificate: async (s) => {
        const sct = await leafOnly.submitPrecertificate(s);
        s.sctSigned?.(sct);
        const ok = await new Promise<boolean>((r) => (commit = r));
        events.push(ok ? "committed" : "commit failed");
        if (!ok) throw new Error("commit failed");
        return sct;
      },
    };
    const recorded: CertificateRecord[] = [];
    const c = makeCa({ signer, ctLog: early, recordCertificate: async (r) => void recorded.push(r) });
    let done = false;
    const issuing = c.issue(request()).then((r) => ((done = true), r));
    await new Promise((r) => setTimeout(r, 30));
    expect(events).toEqual(["certificate signed"]);
    expect(done).toBe(false);
    commit(true);
    const r = await issuing;
    expect(events).toEqual(["certificate signed", "committed"]);
    expect(recorded).toHaveLength(1);
    await assertIssued(r.certificate, r.chain);

    // The commit fails after the certificate was signed: the issuance fails and nothing is recorded.
    events.length = 0;
    const failing = c.issue(request());
    await new Promise((r) => setTimeout(r, 30));
    commit(false);
    expect(await rejection(failing)).toBe("ERR_CA_CT_LOG_UNAVAILABLE");
    expect(events).toEqual(["certificate signed", "commit failed"]);
    expect(recorded).toHaveLength(1);
  });

  it("embeds the SCT the log answers when it differs from the one handed over early", async () => {
    const real = testCa.signer("ca-intermediate");
    let signed = 0;
    const signer: Signer = { ...real, sign: (data) => (signed++, real.sign(data)) };
    let answered: Uint8Array | undefined;
    const leafOnly = createMemoryCtLog({ signer: ctSigner, requestPrecertificate: false });
    const changing: CtLog = {
      submitPrecertificate: async (s) => {
        s.sctSigned?.(await leafOnly.submitPrecertificate(s));
        answered = await leafOnly.submitPrecertificate(s);
        return answered;
      },
    };
    const r = await makeCa({ signer, ctLog: changing }).issue(request());
    expect(signed).toBe(2);
    expect(Buffer.from(r.sct)).toEqual(Buffer.from(answered!));
  });

  it("fails the issuance when the precertificate a CT log asks for cannot be signed or does not verify", async () => {
    const real = testCa.signer("ca-intermediate");
    let calls = 0;
    // The first signature (the precertificate's) over other bytes: a faulty HSM the self-check catches.
    const firstWrong: Signer = { ...real, sign: (data) => (calls++ === 0 ? real.sign(Uint8Array.from([...data, 0])) : real.sign(data)) };
    expect(await rejection(makeCa({ signer: firstWrong }).issue(request()))).toBe("ERR_CA_SIGNATURE_SELF_CHECK_FAILED");
    const down: Signer = { ...real, sign: () => Promise.reject(Object.assign(new Error("token gone"), { code: "ERR_HSM_UNAVAILABLE" })) };
    expect(await rejection(makeCa({ signer: down }).issue(request()))).toBe("ERR_CA_SIGNER_UNAVAILABLE");
  });

  it("refuses to start with a signer for another curve or a chain that does not link", () => {
    expect(() => makeCa({ signer: createMemorySigner("P-384") })).toThrow(expect.objectContaining({ code: "ERR_CA_CONFIG_INVALID" }));
    expect(() => makeCa({ intermediateCert: testCa.ceremony.tsa.der })).toThrow(expect.objectContaining({ code: "ERR_CA_CONFIG_INVALID" }));
    expect(() => makeCa({ rootCert: testCa.ceremony.intermediate.der })).toThrow(expect.objectContaining({ code: "ERR_CA_CONFIG_INVALID" }));
  });

  it("fails when the CT log fails or returns an SCT from another key", async () => {
    const down: CtLog = { submitPrecertificate: async () => Promise.reject(new Error("ECONNRESET")) };
    expect(await rejection(makeCa({ ctLog: down }).issue(request()))).toBe("ERR_CA_CT_LOG_UNAVAILABLE");
    // The engine's own errors (its batch failed, its queue is full) become the CA's code, with their Retry-After.
    const busy: CtLog = { submitPrecertificate: async () => Promise.reject(new DomainError("UNAVAILABLE", "ERR_LOG_BUSY", "the log is behind; retry shortly", 1)) };
    await expect(makeCa({ ctLog: busy }).issue(request())).rejects.toMatchObject({ code: "ERR_CA_CT_LOG_UNAVAILABLE", kind: "UNAVAILABLE", retryAfterSeconds: 1 });
    const rogue = createMemoryCtLog({ signer: createMemorySigner("P-256") });
    expect(await rejection(makeCa({ ctLog: rogue, ctLogPublicKey: await ctSigner.publicKey() }).issue(request()))).toBe("ERR_CA_SCT_INVALID");
    const garbage: CtLog = { submitPrecertificate: async () => Uint8Array.of(1, 2, 3) };
    expect(await rejection(makeCa({ ctLog: garbage }).issue(request()))).toBe("ERR_CA_SCT_INVALID");
  });

  it("returns no certificate that could not be recorded", async () => {
    const c = makeCa({ recordCertificate: async () => Promise.reject(new Error("database down")) });
    expect(await rejection(c.issue(request()))).toBe("ERR_CA_RECORD_FAILED");
  });
});
