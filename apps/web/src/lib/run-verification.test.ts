/**
 * The verify page's verification core against the sigstore-conformance corpus
 * (../shared/vectors/sigstore-conformance, Apache-2.0) and the public-good trusted root.
 */
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { bundleClaimsDigest, inspectBundle } from "./bundle-inspect.ts";
import { runVerification } from "./run-verification.ts";
import { explainFailure } from "./verify-messages.ts";

const VECTORS = new URL("../../../../../shared/vectors/", import.meta.url);
const CORPUS = new URL("sigstore-conformance/bundle-verify/", VECTORS);
const read = (rel: string) => readFileSync(new URL(rel, CORPUS), "utf8");
const PUBLIC_GOOD = readFileSync(new URL("trusted-roots/public-good-production.trusted_root.json", VECTORS), "utf8");
const ARTIFACT = readFileSync(new URL("a.txt", CORPUS));
const DIGEST = new Uint8Array(createHash("sha256").update(ARTIFACT).digest());
const IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";
const POLICY = { identity: { subjectAlternativeName: IDENTITY, issuer: ISSUER } };

describe("runVerification (digest form, as the page runs it)", () => {
  it("verifies happy-path-v0.3 and returns a full, passing transcript", async () => {
    const outcome = await runVerification({ bundleText: read("happy-path-v0.3/bundle.sigstore.json"), trustedRootText: PUBLIC_GOOD, digest: DIGEST, policy: POLICY });
    expect(outcome.kind).toBe("verified");
    if (outcome.kind !== "verified") return;
    expect(outcome.signer).toMatchObject({ kind: "certificate", identity: IDENTITY, issuer: ISSUER });
    expect(outcome.tlogEntries[0]?.baseUrl).toBe("https://rekor.sigstore.dev");
    expect(outcome.transcript.map((s) => s.check)).toEqual(expect.arrayContaining(["bundle-shape", "certificate-chain", "inclusion-proof", "signature", "policy"]));
    expect(outcome.transcript.every((s) => s.outcome !== "fail")).toBe(true);
    // The outcome crosses a worker boundary: it must survive structured cloning unchanged.
    expect(structuredClone(outcome)).toEqual(outcome);
  });

  it("names the failed check of a _fail case", async () => {
    const outcome = await runVerification({ bundleText: read("checkpoint-wrong-roothash_fail/bundle.sigstore.json"), trustedRootText: PUBLIC_GOOD, digest: DIGEST, policy: POLICY });
    expect(outcome).toMatchObject({ kind: "failed", artifactDiffers: false });
    if (outcome.kind !== "failed") return;
    expect(outcome.check).toBeDefined();
    expect(outcome.code).toMatch(/^ERR_VERIFY_/);
    expect(outcome.transcript.at(-1)?.outcome).toBe("fail");
  });

  it("a changed artifact fails, and is explained as a signature that does not match", async () => {
    const changed = Buffer.from(ARTIFACT);
    changed[0] = changed[0]! ^ 1;
    const digest = new Uint8Array(createHash("sha256").update(changed).digest());
    const outcome = await runVerification({ bundleText: read("happy-path-v0.3/bundle.sigstore.json"), trustedRootText: PUBLIC_GOOD, digest, policy: POLICY });
    expect(outcome).toMatchObject({ kind: "failed", artifactDiffers: true });
    if (outcome.kind !== "failed") return;
    // verifyBundle compares the log entry's digest before it reaches the signature step.
    expect(["ERR_VERIFY_TLOG_BINDING", "ERR_VERIFY_ARTIFACT", "ERR_VERIFY_SIGNATURE"]).toContain(outcome.code);
    expect(explainFailure(outcome.code, outcome.artifactDiffers).headline).toBe("The signature does not match this artifact");
  });

  it("a wrong identity fails the policy check with ERR_VERIFY_POLICY_IDENTITY", async () => {
    const outcome = await runVerification({
      bundleText: read("happy-path-v0.3/bundle.sigstore.json"),
      trustedRootText: PUBLIC_GOOD,
      digest: DIGEST,
      policy: { identity: { subjectAlternativeName: "mallory@example.com", issuer: ISSUER } },
    });
    expect(outcome).toMatchObject({ kind: "failed", code: "ERR_VERIFY_POLICY_IDENTITY", check: "policy", artifactDiffers: false });
    expect(explainFailure("ERR_VERIFY_POLICY_IDENTITY").headline).toBe("The certificate was issued to a different identity");
  });

  it("a regex issuer that matches only a substring does not pass (anchored)", async () => {
    const outcome = await runVerification({
      bundleText: read("happy-path-v0.3/bundle.sigstore.json"),
      trustedRootText: PUBLIC_GOOD,
      digest: DIGEST,
      policy: { identity: { subjectAlternativeName: { regex: ".*" }, issuer: { regex: "token\\.actions" } } },
    });
    expect(outcome).toMatchObject({ kind: "failed", code: "ERR_VERIFY_POLICY_ISSUER" });
  });

  it("verifies a managed-key bundle with its key", async () => {
    const outcome = await runVerification({
      bundleText: read("managed-key-happy-path/bundle.sigstore.json"),
      trustedRootText: PUBLIC_GOOD,
      digest: DIGEST,
      policy: { publicKey: read("managed-key-happy-path/key.pub") },
    });
    expect(outcome).toMatchObject({ kind: "verified", signer: { kind: "publicKey" } });
  });

  it("fails closed on an unreadable trusted root or bundle", async () => {
    expect(await runVerification({ bundleText: read("happy-path-v0.3/bundle.sigstore.json"), trustedRootText: "{", digest: DIGEST, policy: POLICY })).toMatchObject({
      kind: "failed",
      code: "ERR_TRUSTED_ROOT_MALFORMED",
      check: undefined,
    });
    expect(await runVerification({ bundleText: "not json", trustedRootText: PUBLIC_GOOD, digest: DIGEST, policy: POLICY })).toMatchObject({
      kind: "failed",
      code: "ERR_VERIFY_BUNDLE_SHAPE",
      check: "bundle-shape",
    });
    expect(await runVerification({ bundleText: read("happy-path-v0.3/bundle.sigstore.json"), trustedRootText: PUBLIC_GOOD, digest: new Uint8Array(31), policy: POLICY })).toMatchObject({
      kind: "failed",
    });
  });
});

describe("inspectBundle / bundleClaimsDigest (unverified hints)", () => {
  it("reads the certificate's claimed identity and issuer", () => {
    const inspection = inspectBundle(read("happy-path-v0.3/bundle.sigstore.json"));
    expect(inspection).toMatchObject({ kind: "readable", version: "0.3", content: "messageSignature", tlogEntries: 1 });
    if (inspection.kind !== "readable" || inspection.signer.kind !== "certificate") throw new Error("expected a certificate");
    expect(inspection.signer.unverifiedIdentities).toEqual([IDENTITY]);
    expect(inspection.signer.unverifiedIssuer).toBe(ISSUER);
    expect(inspection.unverifiedMessageDigest).toBe(`sha256:${Buffer.from(DIGEST).toString("hex")}`);
  });

  it("reports a managed-key hint, and an unreadable bundle with its code", () => {
    expect(inspectBundle(read("managed-key-happy-path/bundle.sigstore.json"))).toMatchObject({ kind: "readable", signer: { kind: "publicKey" } });
    expect(inspectBundle(read("bundle-malformed-json_fail/bundle.sigstore.json"))).toMatchObject({ kind: "unreadable" });
    expect(inspectBundle(read("bundle-unknown-version_fail/bundle.sigstore.json"))).toMatchObject({ kind: "unreadable", code: "ERR_BUNDLE_UNSUPPORTED_VERSION" });
    expect(inspectBundle("[]")).toMatchObject({ kind: "unreadable", code: "ERR_BUNDLE_MALFORMED" });
  });

  it("tells whether the bundle claims this digest, for message signatures and in-toto subjects", () => {
    const bundle = read("happy-path-v0.3/bundle.sigstore.json");
    expect(bundleClaimsDigest(bundle, DIGEST)).toBe(true);
    expect(bundleClaimsDigest(bundle, new Uint8Array(32))).toBe(false);
    expect(bundleClaimsDigest("garbage", DIGEST)).toBeUndefined();
    const dsse = read("happy-path-intoto-in-dsse-v3/bundle.sigstore.json");
    expect(bundleClaimsDigest(dsse, new Uint8Array(32))).toBe(false);
  });
});

describe("explainFailure", () => {
  it("has a sentence for every check code verifyBundle can throw", () => {
    for (const code of [
      "ERR_VERIFY_BUNDLE_SHAPE",
      "ERR_VERIFY_TRUSTED_TIME",
      "ERR_VERIFY_CERTIFICATE_CHAIN",
      "ERR_VERIFY_PUBLIC_KEY",
      "ERR_VERIFY_SCT",
      "ERR_VERIFY_TLOG_BINDING",
      "ERR_VERIFY_INCLUSION_PROOF",
      "ERR_VERIFY_CHECKPOINT",
      "ERR_VERIFY_TLOG_THRESHOLD",
      "ERR_VERIFY_ARTIFACT",
      "ERR_VERIFY_SIGNATURE",
      "ERR_VERIFY_POLICY_IDENTITY",
      "ERR_VERIFY_POLICY_ISSUER",
      "ERR_VERIFY_POLICY_EXTENSION",
      "ERR_VERIFY_POLICY_KEY",
      "ERR_VERIFY_POLICY_INVALID",
      "ERR_VERIFY_INTERNAL",
    ]) {
      expect(explainFailure(code).headline, code).not.toBe("The bundle did not verify");
    }
    expect(explainFailure("ERR_VERIFY_SIGNATURE").headline).toBe("The signature does not match this artifact");
    expect(explainFailure("ERR_SOMETHING_NEW").headline).toBe("The bundle did not verify");
  });

  it("keeps policy wording even when the artifact also differs", () => {
    expect(explainFailure("ERR_VERIFY_POLICY_IDENTITY", true).headline).toBe("The certificate was issued to a different identity");
    expect(explainFailure("ERR_VERIFY_TLOG_BINDING", true).headline).toBe("The signature does not match this artifact");
  });
});
