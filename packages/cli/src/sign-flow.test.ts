// The whole signing flow against the in-memory instance double (testing/memory-instance.ts): the
// result must verify with @signet/crypto and, independently, with @sigstore/verify; each way a
// service can lie must stop the flow with its own code before a bundle exists.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { Verifier, toSignedEntity, toTrustMaterial } from "@sigstore/verify";
import { parseTrustedRoot, toHex } from "@signet/crypto";
import { readArtifact } from "./artifact.ts";
import { requestSigningCertificate } from "./fulcio-client.ts";
import { signArtifact, type SignInput } from "./sign-flow.ts";
import { servicesFromSigningConfig } from "./instance.ts";
import { parseSigningConfig } from "@signet/crypto";
import { createMemoryInstance, fakeToken, type MemoryInstance, type Misbehaviour } from "./testing/memory-instance.ts";

const ISSUER = "http://idp.test";
let dir: string;
let inst: MemoryInstance;
let artifactPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "signet-sign-flow-"));
  artifactPath = join(dir, "artifact.bin");
  await writeFile(artifactPath, "hello, signet\n");
  inst = await createMemoryInstance();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function input(over: Partial<SignInput> = {}): Promise<SignInput> {
  return {
    artifact: await readArtifact(artifactPath),
    mode: "message",
    identityToken: fakeToken({ iss: ISSUER, sub: "user-1", email: "dev@example.test", aud: "sigstore" }),
    services: servicesFromSigningConfig(parseSigningConfig(inst.signingConfigJson)),
    trustedRoot: parseTrustedRoot(inst.trustedRootJson),
    fetch: inst.fetch,
    ...over,
  };
}

function sigstoreJsVerify(bundleText: string, artifact: Uint8Array, san: string): void {
  const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(inst.trustedRootJson)), { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 });
  verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(bundleText)), Buffer.from(artifact)), { subjectAlternativeName: san, extensions: { issuer: ISSUER } });
}

describe("signArtifact", () => {
  it("signs, logs, timestamps and returns a v0.3 bundle that both verifiers accept", async () => {
    inst.misbehave = "none";
    const lines: string[] = [];
    const inp = await input({ progress: (l) => lines.push(l) });
    const r = await signArtifact(inp);
    expect(r.identity).toBe("dev@example.test");
    expect(r.issuer).toBe(ISSUER);
    expect(inst.proofs.at(-1)).toEqual({ challenge: "dev@example.test", ok: true });
    const json = JSON.parse(r.bundleText);
    expect(json.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    expect(Object.keys(json.verificationMaterial).sort()).toEqual(["certificate", "timestampVerificationData", "tlogEntries"]);
    expect(json.messageSignature.messageDigest).toEqual({ algorithm: "SHA2_256", digest: Buffer.from(inp.artifact.sha256).toString("base64") });
    expect(typeof json.verificationMaterial.tlogEntries[0].logIndex).toBe("string");
    expect(r.verified.timestamps.map((t) => t.source).sort()).toEqual(["tlog", "tsa"]);
    expect(r.verified.transcript.every((s) => s.outcome !== "fail")).toBe(true);
    expect(r.tlogEntries[0]!.url).toMatch(/^http:\/\/signet\.test\/api\/v1\/log\/entries\/[0-9a-f]{80}$/);
    expect(lines.map((l) => l.split(":")[0])).toEqual(["certificate", "signature", "log", "timestamp", "verified"]);
    expect(() => sigstoreJsVerify(r.bundleText, inp.artifact.bytes, "dev@example.test")).not.toThrow();
    // The independent verifier also rejects a tampered artifact and a wrong identity.
    expect(() => sigstoreJsVerify(r.bundleText, Buffer.from("hello, signet!\n"), "dev@example.test")).toThrow();
    expect(() => sigstoreJsVerify(r.bundleText, inp.artifact.bytes, "evil@example.test")).toThrow();
  });

  it("uses sub as the challenge for tokens without email, and the key never leaves WebCrypto", async () => {
    inst.misbehave = "none";
    const generate = vi.spyOn(crypto.subtle, "generateKey");
    const exportKey = vi.spyOn(crypto.subtle, "exportKey");
    try {
      const r = await signArtifact(await input({ identityToken: fakeToken({ iss: ISSUER, sub: "repo:org/repo:ref:refs/heads/main", aud: "sigstore" }) }));
      expect(inst.proofs.at(-1)).toEqual({ challenge: "repo:org/repo:ref:refs/heads/main", ok: true });
      expect(r.identity).toBe("https://example.test/repo:org/repo:ref:refs/heads/main");
      expect(generate).toHaveBeenCalledTimes(1);
      expect(generate.mock.calls[0]![1]).toBe(false);
      // Only the public key is ever exported, and only as SPKI.
      expect(exportKey.mock.calls.map(([format, key]) => [format, (key as CryptoKey).type])).toEqual([["spki", "public"]]);
    } finally {
      generate.mockRestore();
      exportKey.mockRestore();
    }
  });

  it("signs an in-toto statement as DSSE (dsse 0.0.1 entry) verifiable against its subject", async () => {
    inst.misbehave = "none";
    const subject = "ab".repeat(32);
    const statementPath = join(dir, "statement.json");
    await writeFile(statementPath, JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [{ name: "a.txt", digest: { sha256: subject } }], predicateType: "https://example.test/p", predicate: {} }));
    const r = await signArtifact(await input({ artifact: await readArtifact(statementPath), mode: "in-toto" }));
    const json = JSON.parse(r.bundleText);
    expect(json.dsseEnvelope.payloadType).toBe("application/vnd.in-toto+json");
    expect(json.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: "dsse", version: "0.0.1" });
    expect(r.verified.statement?.subject[0]?.digest.sha256).toBe(subject);
    const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(inst.trustedRootJson)));
    expect(() => verifier.verify(toSignedEntity(bundleFromJSON(json)), { subjectAlternativeName: "dev@example.test", extensions: { issuer: ISSUER } })).not.toThrow();
  });

  it("refuses an in-toto input that is not a statement", async () => {
    await expect(signArtifact(await input({ mode: "in-toto" }))).rejects.toMatchObject({ code: "ERR_SIGN_STATEMENT_MALFORMED" });
  });

  const lies: [Misbehaviour, string][] = [
    ["ca-refuses", "ERR_SIGN_SERVICE_REFUSED"],
    ["cert-for-other-key", "ERR_SIGN_CERT_KEY_MISMATCH"],
    ["cert-wrong-issuer", "ERR_SIGN_CERT_ISSUER_MISMATCH"],
    ["cert-untrusted-root", "ERR_SIGN_CERT_UNTRUSTED"],
    ["detached-sct", "ERR_SIGN_RESPONSE_MALFORMED"],
    ["log-other-signature", "ERR_SIGN_TLOG_MISMATCH"],
    ["log-bad-set", "ERR_SIGN_TLOG_MISMATCH"],
    ["log-wrong-uuid", "ERR_SIGN_TLOG_MISMATCH"],
    ["tsa-wrong-nonce", "ERR_SIGN_TIMESTAMP_MISMATCH"],
    ["tsa-other-imprint", "ERR_SIGN_TIMESTAMP_MISMATCH"],
  ];
  it.each(lies)("stops when the instance misbehaves: %s → %s", async (misbehaviour, code) => {
    inst.misbehave = misbehaviour;
    try {
      await expect(signArtifact(await input())).rejects.toMatchObject({ code });
    } finally {
      inst.misbehave = "none";
    }
  });

  it("rejects its own bundle when the trusted root does not trust the log (final verification)", async () => {
    inst.misbehave = "none";
    const other = await createMemoryInstance();
    // The CA and TSA are trusted, the log is another instance's: the per-step log check catches it first.
    const mixed = { ...inst.trustedRootJson, tlogs: other.trustedRootJson.tlogs };
    await expect(signArtifact(await input({ trustedRoot: parseTrustedRoot(mixed) }))).rejects.toMatchObject({ code: "ERR_SIGN_TLOG_MISMATCH" });
    // A CT log the root does not list: everything else checks out, only the final verification (SCT threshold) fails.
    const noCt = { ...inst.trustedRootJson, ctlogs: [] };
    const err = await signArtifact(await input({ trustedRoot: parseTrustedRoot(noCt) })).catch((e) => e);
    expect(err.code).toBe("ERR_SIGN_BUNDLE_UNVERIFIED");
    expect(err.cause.code).toBe("ERR_VERIFY_SCT");
  });

  it("takes its certificate from an injected source (the portal's session) and checks it like Fulcio's", async () => {
    inst.misbehave = "none";
    const token = fakeToken({ iss: ISSUER, sub: "user-2", email: "portal@example.test", aud: "sigstore" });
    const base = await input();
    const { identityToken: _unused, ...withoutToken } = base;
    let calls = 0;
    const source = {
      issuer: ISSUER,
      requestChain: (signer: Parameters<typeof requestSigningCertificate>[2]["signer"]) => {
        calls++;
        return requestSigningCertificate(inst.fetch, base.services.caUrl, { identityToken: token, signer, challenge: "portal@example.test" });
      },
    };
    const r = await signArtifact({ ...withoutToken, certificateSource: source });
    expect(calls).toBe(1);
    expect(r.identity).toBe("portal@example.test");
    expect(() => sigstoreJsVerify(r.bundleText, base.artifact.bytes, "portal@example.test")).not.toThrow();
    // The source's issuer is what the certificate must name.
    await expect(signArtifact({ ...withoutToken, certificateSource: { ...source, issuer: "https://other.test" } })).rejects.toMatchObject({ code: "ERR_SIGN_CERT_ISSUER_MISMATCH" });
    await expect(signArtifact({ ...base, certificateSource: source })).rejects.toMatchObject({ code: "ERR_SIGN_TOKEN_MALFORMED" });
    await expect(signArtifact(withoutToken)).rejects.toMatchObject({ code: "ERR_SIGN_TOKEN_MALFORMED" });
  });

  it("records the artifact digest in the log entry", async () => {
    inst.misbehave = "none";
    const inp = await input();
    const r = await signArtifact(inp);
    const body = JSON.parse(Buffer.from(JSON.parse(r.bundleText).verificationMaterial.tlogEntries[0].canonicalizedBody, "base64").toString());
    expect(body.spec.data.hash).toEqual({ algorithm: "sha256", value: toHex(inp.artifact.sha256) });
    expect(Buffer.from(body.spec.signature.publicKey.content, "base64").toString()).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
  });
});
