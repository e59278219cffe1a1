import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { toPem } from "../pem.ts";
import { parseTrustedRoot } from "../trust/trusted-root.ts";
import { verifyBundle, type VerifyBundleOptions } from "./verify-bundle.ts";
import type { VerificationPolicy } from "./policy.ts";

// Fixtures: the sigstore-conformance corpus and Sigstore's production trusted root (vectors/README.md).
const vectors = new URL("../../../../../shared/vectors/", import.meta.url);
const caseUrl = (name: string, file: string) => new URL(`sigstore-conformance/bundle-verify/${name}/${file}`, vectors);
const bundleJson = (name: string) => JSON.parse(readFileSync(caseUrl(name, "bundle.sigstore.json"), "utf8"));
const prodRoot = parseTrustedRoot(readFileSync(new URL("trusted-roots/public-good-production.trusted_root.json", vectors)));
const rootOf = (name: string) => parseTrustedRoot(readFileSync(caseUrl(name, "trusted_root.json")));
const artifact = readFileSync(new URL("sigstore-conformance/bundle-verify/a.txt", vectors));
const IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";
const identity: VerificationPolicy = { identity: { subjectAlternativeName: IDENTITY, issuer: ISSUER } };
const code = (c: string) => expect.objectContaining({ code: c });

const run = (o: Partial<VerifyBundleOptions> & { bundle: unknown }) =>
  verifyBundle({ artifact, trustedRoot: prodRoot, policy: identity, ...o });

describe("verifyBundle", () => {
  it("returns the signer, the verified times and a transcript in check order", async () => {
    const r = await run({ bundle: bundleJson("happy-path-v0.3") });
    expect(r.signer).toMatchObject({ kind: "certificate", identity: IDENTITY, issuer: ISSUER });
    expect(r.timestamps).toEqual([{ source: "tlog", time: 1710869186000, authority: "https://rekor.sigstore.dev" }]);
    const order = [...new Set(r.transcript.map((s) => s.check))];
    expect(order).toEqual(["bundle-shape", "trusted-time", "certificate-chain", "sct", "log-entry-binding", "inclusion-proof", "checkpoint-signature", "tlog-threshold", "artifact", "signature", "policy"]);
    expect(r.transcript.every((s) => s.outcome === "pass")).toBe(true);
  });

  it("verifies by digest as well as by artifact", async () => {
    const digest = createHash("sha256").update(artifact).digest();
    const r = await verifyBundle({ bundle: bundleJson("rekor2-happy-path"), digest: digest, trustedRoot: rootOf("rekor2-happy-path"), policy: identity });
    expect(r.timestamps[0]!.source).toBe("tsa");
  });

  it("returns the in-toto statement of a DSSE bundle", async () => {
    const r = await run({ bundle: bundleJson("happy-path-intoto-in-dsse-v3") });
    expect(r.statement?.predicateType).toBe("https://slsa.dev/provenance/v1");
  });

  it("attaches the transcript up to the failed check", async () => {
    const err = await run({ bundle: bundleJson("signature-mismatch_fail") }).catch((e) => e);
    expect(err.code).toBe("ERR_VERIFY_TLOG_BINDING");
    expect(err.check).toBe("log-entry-binding");
    expect(err.transcript.at(-1)).toMatchObject({ check: "log-entry-binding", outcome: "fail", code: "ERR_TLOG_BODY_MISMATCH" });
  });
});

describe("policy options each have a negative test (SECURITY.md F5)", () => {
  const bundle = bundleJson("happy-path-v0.3");
  it("identity (exact and regex)", async () => {
    await expect(run({ bundle, policy: { identity: { subjectAlternativeName: `${IDENTITY}x`, issuer: ISSUER } } })).rejects.toThrow(code("ERR_VERIFY_POLICY_IDENTITY"));
    await expect(run({ bundle, policy: { identity: { subjectAlternativeName: { regex: "https://github\\.com/sigstore-conformance/.*" }, issuer: ISSUER } } })).resolves.toBeDefined();
    // Regexes are anchored: a pattern matching only a substring does not pass.
    await expect(run({ bundle, policy: { identity: { subjectAlternativeName: { regex: "sigstore-conformance" }, issuer: ISSUER } } })).rejects.toThrow(code("ERR_VERIFY_POLICY_IDENTITY"));
  });
  it("issuer (exact and regex)", async () => {
    await expect(run({ bundle, policy: { identity: { subjectAlternativeName: IDENTITY, issuer: `${ISSUER}/` } } })).rejects.toThrow(code("ERR_VERIFY_POLICY_ISSUER"));
    await expect(run({ bundle, policy: { identity: { subjectAlternativeName: IDENTITY, issuer: { regex: "https://accounts\\.google\\.com" } } } })).rejects.toThrow(code("ERR_VERIFY_POLICY_ISSUER"));
    await expect(run({ bundle, policy: { identity: { subjectAlternativeName: IDENTITY, issuer: { exact: ISSUER } } } })).resolves.toBeDefined();
  });
  it("extension OID values", async () => {
    const repo = { oid: "1.3.6.1.4.1.57264.1.12", value: "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon" };
    await expect(run({ bundle, policy: { ...identity, extensions: [repo] } })).resolves.toBeDefined();
    await expect(run({ bundle, policy: { ...identity, extensions: [{ ...repo, value: "https://github.com/evil/repo" }] } })).rejects.toThrow(code("ERR_VERIFY_POLICY_EXTENSION"));
    await expect(run({ bundle, policy: { ...identity, extensions: [{ oid: "1.3.6.1.4.1.57264.1.23", value: "prod" }] } })).rejects.toThrow(code("ERR_VERIFY_POLICY_EXTENSION"));
  });
  it("predicate type", async () => {
    const dsse = bundleJson("happy-path-intoto-in-dsse-v3");
    await expect(run({ bundle: dsse, policy: { ...identity, predicateType: "https://slsa.dev/provenance/v1" } })).resolves.toBeDefined();
    await expect(run({ bundle: dsse, policy: { ...identity, predicateType: "https://spdx.dev/Document" } })).rejects.toThrow(code("ERR_VERIFY_POLICY_PREDICATE_TYPE"));
    await expect(run({ bundle, policy: { ...identity, predicateType: "https://slsa.dev/provenance/v1" } })).rejects.toThrow(code("ERR_VERIFY_BUNDLE_SHAPE"));
  });
  it("managed key: the right key, another key, no key, and a key for a keyless bundle", async () => {
    const mk = bundleJson("managed-key-happy-path");
    const pem = readFileSync(caseUrl("managed-key-happy-path", "key.pub"), "utf8");
    await expect(run({ bundle: mk, policy: { publicKey: pem } })).resolves.toMatchObject({ signer: { kind: "publicKey" } });
    const other = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]);
    const otherPem = toPem(new Uint8Array(await crypto.subtle.exportKey("spki", other.publicKey)), "PUBLIC KEY");
    await expect(run({ bundle: mk, policy: { publicKey: otherPem } })).rejects.toThrow(code("ERR_VERIFY_TLOG_BINDING"));
    await expect(run({ bundle: mk, policy: identity })).rejects.toThrow(code("ERR_VERIFY_BUNDLE_SHAPE"));
    await expect(run({ bundle, policy: { publicKey: pem } })).rejects.toThrow(code("ERR_VERIFY_BUNDLE_SHAPE"));
  });
  it("unknown or conflicting options are errors, not ignored", async () => {
    const bad = [
      { ...identity, subject: "x" },
      { identity: { subjectAlternativeName: IDENTITY, issuer: ISSUER, email: "x" } },
      { identity: { subjectAlternativeName: { glob: "*" }, issuer: ISSUER } },
      { identity: { subjectAlternativeName: { regex: "(" }, issuer: ISSUER } },
      { ...identity, publicKey: "x" },
      {},
    ];
    for (const policy of bad) {
      const err = await run({ bundle, policy: policy as VerificationPolicy }).catch((e) => e);
      expect(err.code).toBe("ERR_VERIFY_BUNDLE_SHAPE");
      expect(err.transcript[0].code).toMatch(/^ERR_VERIFY_POLICY_(INVALID|KEY)$/);
    }
  });
});

describe("thresholds, caps and fail-closed behaviour", () => {
  it("counts distinct logs, not entries (SECURITY.md F6)", async () => {
    const b = bundleJson("rekor2-happy-path");
    const root = rootOf("rekor2-happy-path");
    await expect(run({ bundle: b, trustedRoot: root, thresholds: { tlog: 2 } })).rejects.toThrow(code("ERR_VERIFY_TLOG_THRESHOLD"));
    b.verificationMaterial.tlogEntries.push(b.verificationMaterial.tlogEntries[0]);
    const err = await run({ bundle: b, trustedRoot: root, thresholds: { tlog: 2 } }).catch((e) => e);
    expect(err.code).toBe("ERR_VERIFY_TLOG_THRESHOLD");
    expect(err.transcript.at(-1).code).toBe("ERR_VERIFY_DUPLICATE_TLOG_ENTRY");
  });
  it("requires trusted time: an unsigned integrated time does not count (SECURITY.md F2)", async () => {
    const b = bundleJson("happy-path-v0.3");
    delete b.verificationMaterial.tlogEntries[0].inclusionPromise;
    const err = await run({ bundle: b }).catch((e) => e);
    expect(err.code).toBe("ERR_VERIFY_TRUSTED_TIME");
    expect(err.transcript.find((s: { outcome: string }) => s.outcome === "skip")?.detail).toMatch(/unsigned integrated time/);
  });
  it("rejects a duplicated timestamp", async () => {
    const b = bundleJson("rekor2-happy-path");
    const ts = b.verificationMaterial.timestampVerificationData.rfc3161Timestamps;
    ts.push(ts[0]);
    await expect(run({ bundle: b, trustedRoot: rootOf("rekor2-happy-path") })).rejects.toThrow(code("ERR_VERIFY_TRUSTED_TIME"));
  });
  it("needs the SCT threshold unless lowered", async () => {
    await expect(run({ bundle: bundleJson("invalid-ct-key_fail"), trustedRoot: rootOf("invalid-ct-key_fail") })).rejects.toThrow(code("ERR_VERIFY_SCT"));
    await expect(run({ bundle: bundleJson("invalid-ct-key_fail"), trustedRoot: rootOf("invalid-ct-key_fail"), thresholds: { ctlog: 0 } })).resolves.toBeDefined();
  });
  it("checks caps before any crypto (SECURITY.md D12)", async () => {
    const b = bundleJson("happy-path-v0.3");
    b.verificationMaterial.tlogEntries = Array(10_000).fill(b.verificationMaterial.tlogEntries[0]);
    const started = performance.now();
    const err = await run({ bundle: b }).catch((e) => e);
    expect(err.code).toBe("ERR_VERIFY_BUNDLE_SHAPE");
    expect(err.transcript).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(2000);
    const c = bundleJson("happy-path-v0.3");
    const cp = c.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint;
    cp.envelope += "\u2014 witness AAAAAAAA\n".repeat(40);
    await expect(run({ bundle: c })).rejects.toThrow(code("ERR_VERIFY_BUNDLE_SHAPE"));
  });
  it("rejects bad thresholds and inputs", async () => {
    const bundle = bundleJson("happy-path-v0.3");
    await expect(run({ bundle, thresholds: { tlog: -1 } })).rejects.toThrow(code("ERR_VERIFY_BUNDLE_SHAPE"));
    await expect(run({ bundle, thresholds: { timestamp: 33 } })).rejects.toThrow(code("ERR_VERIFY_BUNDLE_SHAPE"));
    await expect(verifyBundle({ bundle, trustedRoot: prodRoot, policy: identity })).rejects.toThrow(code("ERR_VERIFY_BUNDLE_SHAPE"));
    await expect(run({ bundle, trustedRoot: {} as never })).rejects.toThrow(code("ERR_VERIFY_BUNDLE_SHAPE"));
  });
  it("fails closed on values no parser should produce", async () => {
    const parsed = (await run({ bundle: bundleJson("happy-path-v0.3") })).bundle;
    const broken = { ...parsed, tlogEntries: [{ ...parsed.tlogEntries[0]!, canonicalizedBody: undefined as never }] };
    const err = await run({ bundle: broken }).catch((e) => e);
    expect(err.code).toMatch(/^ERR_VERIFY_/);
  });
});

describe("conformance cases checked for their intended reason", () => {
  it("bundle-with-root-cert_fail: a chain that ships a root is refused even without its other defect", async () => {
    const b = bundleJson("bundle-with-root-cert_fail");
    delete b.verificationMaterial.tlogEntries[0].inclusionProof; // v0.1: the SET alone is enough
    const err = await run({ bundle: b, artifact: readFileSync(caseUrl("bundle-with-root-cert_fail", "artifact")) }).catch((e) => e);
    expect(err.code).toBe("ERR_VERIFY_BUNDLE_SHAPE");
    expect(err.transcript[0].code).toBe("ERR_BUNDLE_ROOT_CERTIFICATE");
  });
  it("rekor2-timestamp-with-incorrect-time_fail: fails on the certificate's validity, not only on its line-wrapped base64", async () => {
    const b = bundleJson("rekor2-timestamp-with-incorrect-time_fail");
    const ts = b.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0];
    await expect(run({ bundle: b, trustedRoot: rootOf("rekor2-timestamp-with-incorrect-time_fail") })).rejects.toThrow(code("ERR_VERIFY_BUNDLE_SHAPE"));
    ts.signedTimestamp = ts.signedTimestamp.replace(/\n/g, "");
    const err = await run({ bundle: b, trustedRoot: rootOf("rekor2-timestamp-with-incorrect-time_fail") }).catch((e) => e);
    expect(err.code).toBe("ERR_VERIFY_CERTIFICATE_CHAIN");
    expect(err.transcript.at(-1).code).toBe("ERR_CERT_EXPIRED");
  });
});
