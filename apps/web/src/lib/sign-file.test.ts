// The browser signing flow in Node against the CLI's in-memory instance double (its Fulcio stands in
// for ca.issueForSession): both paths (bytes → hashedrekord, large file → DSSE statement) must give
// bundles that @signet/crypto and, independently, @sigstore/verify accept.
import { describe, expect, it } from "vitest";
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { Verifier, toSignedEntity, toTrustMaterial } from "@sigstore/verify";
import { parseTrustedRoot, verifyBundle } from "@signet/crypto";
import { createMemoryInstance, fakeToken } from "../../../../packages/cli/src/testing/memory-instance.ts";
import { readAndHash } from "./read-and-hash.ts";
import { createFileStatement, signFile, type SignFileDeps, type SignStep } from "./sign-file.ts";

const ISSUER = "http://idp.test";
const EMAIL = "dev@example.test";

async function setup(over: Partial<SignFileDeps> = {}) {
  const inst = await createMemoryInstance();
  const issued: { publicKey: string; proofOfPossession: string }[] = [];
  const deps: SignFileDeps = {
    read: (file, keepBytes, onProgress) => readAndHash(file, { keepBytes, onProgress }),
    issueForSession: async (input) => {
      issued.push(input);
      // The double's Fulcio checks the proof over the token's email, as ca.issueForSession does over the session's.
      const res = await inst.fetch("http://signet.test/api/v2/signingCert", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          credentials: { oidcIdentityToken: fakeToken({ iss: ISSUER, sub: "user-1", email: EMAIL, aud: "sigstore" }) },
          publicKeyRequest: { publicKey: { algorithm: "ECDSA", content: input.publicKey }, proofOfPossession: input.proofOfPossession },
        }),
      });
      if (!res.ok) throw Object.assign(new Error("refused"), { status: res.status });
      return res.json();
    },
    trustedRoot: parseTrustedRoot(inst.trustedRootJson),
    session: { email: EMAIL, issuer: ISSUER },
    origin: "http://signet.test",
    fetch: inst.fetch,
    ...over,
  };
  const sigstoreJs = (bundleText: string, artifact?: Uint8Array) =>
    new Verifier(toTrustMaterial(TrustedRoot.fromJSON(inst.trustedRootJson)), { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 }).verify(
      toSignedEntity(bundleFromJSON(JSON.parse(bundleText)), artifact === undefined ? undefined : Buffer.from(artifact)),
      { subjectAlternativeName: EMAIL, extensions: { issuer: ISSUER } },
    );
  return { inst, deps, issued, sigstoreJs };
}

describe("signFile", () => {
  it("signs a small file's bytes (hashedrekord) with a certificate for the session, verified by both verifiers", async () => {
    const { inst, deps, issued, sigstoreJs } = await setup();
    const content = new TextEncoder().encode("hello from the portal\n");
    const steps: SignStep[] = [];
    const signed = await signFile(new File([content], "hello.txt"), { ...deps, onStep: (s) => steps.push(s) });
    expect(steps).toEqual(["read", "certificate", "signature", "log", "timestamp", "verified"]);
    expect(signed).toMatchObject({ name: "hello.txt", size: content.length, mode: "hashedrekord", identity: EMAIL, issuer: ISSUER });
    expect(signed.logIndexes).toHaveLength(1);
    expect(issued).toHaveLength(1);
    expect(issued[0]!.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(inst.proofs.at(-1)).toEqual({ challenge: EMAIL, ok: true });
    expect(JSON.parse(signed.bundleText).messageSignature).toBeDefined();
    await expect(verifyBundle({ bundle: signed.bundleText, artifact: content, trustedRoot: deps.trustedRoot, policy: { identity: { subjectAlternativeName: EMAIL, issuer: ISSUER } } })).resolves.toBeDefined();
    expect(() => sigstoreJs(signed.bundleText, content)).not.toThrow();
    expect(() => sigstoreJs(signed.bundleText, new TextEncoder().encode("tampered"))).toThrow();
  });

  it("signs an in-toto Statement of the streamed digest (DSSE) above the direct-signing limit", async () => {
    const { deps, sigstoreJs } = await setup({ directMaxBytes: 16 });
    const content = new Uint8Array(100_000).map((_, i) => i % 251);
    const seen: boolean[] = [];
    const signed = await signFile(new File([content], "big.bin"), {
      ...deps,
      read: (file, keepBytes, onProgress) => {
        seen.push(keepBytes);
        return readAndHash(file, { keepBytes, onProgress });
      },
    });
    expect(seen).toEqual([false]);
    expect(signed.mode).toBe("dsse");
    const json = JSON.parse(signed.bundleText);
    const statement = JSON.parse(Buffer.from(json.dsseEnvelope.payload, "base64").toString());
    expect(statement.subject).toEqual([{ name: "big.bin", digest: { sha256: signed.sha256Hex } }]);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", content));
    expect(Buffer.from(digest).toString("hex")).toBe(signed.sha256Hex);
    await expect(verifyBundle({ bundle: signed.bundleText, digest, trustedRoot: deps.trustedRoot, policy: { identity: { subjectAlternativeName: EMAIL, issuer: ISSUER } } })).resolves.toBeDefined();
    expect(() => sigstoreJs(signed.bundleText)).not.toThrow();
  });

  it("stops when the certificate names another identity's issuer than the session's", async () => {
    const { deps } = await setup({ session: { email: EMAIL, issuer: "https://other.test" } });
    await expect(signFile(new File(["x"], "x.txt"), deps)).rejects.toMatchObject({ code: "ERR_SIGN_CERT_ISSUER_MISMATCH" });
  });

  it("refuses a file that changes size while it is read", async () => {
    const liar = new Blob(["abc"]);
    Object.defineProperty(liar, "size", { value: 2 });
    await expect(readAndHash(liar, { keepBytes: true })).rejects.toMatchObject({ code: "ERR_SIGN_ARTIFACT_CHANGED" });
    expect(Buffer.from(createFileStatement("a\"b", new Uint8Array(32))).toString()).toContain('"name":"a\\"b"');
  });
});
