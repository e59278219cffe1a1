/**
 * Interoperability of the log with sigstore-js (the 4.x line) and with @signet/crypto's tile client,
 * against the real api (in-process) on PostgreSQL and SoftHSM2:
 *  - @sigstore/sign's RekorWitness writes hashedrekord entries through Rekor v1 and Rekor v2;
 *  - the v1 bundle (proof, checkpoint, SET) verifies with @sigstore/verify against Signet's published
 *    trusted root, and with @signet/crypto's verifyBundle;
 *  - the entries verify from the C2SP tile paths with @signet/crypto's tile client.
 */
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RekorWitness } from "@sigstore/sign";
import { bundleToJSON, toMessageSignatureBundle } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { Verifier, toSignedEntity, toTrustMaterial } from "@sigstore/verify";
import { verifyBundle } from "@signet/crypto/verify/verify-bundle";
import { parseTrustedRoot } from "@signet/crypto/trust/trusted-root";
import { createTestPki, signDer } from "@signet/crypto/testing/pki";
import { verifyInclusionFromTiles } from "@signet/crypto/tiles/tile-client";
import { createEcdsaNoteVerifier } from "@signet/crypto/note/signed-note";
import { hashLeaf } from "@signet/crypto/merkle/rfc6962";
import type { App } from "../app.ts";
import { startTestApi, type TestApi } from "../testing/api.ts";

describe("log interoperability (sigstore-js, tile client)", () => {
  let api: TestApi;
  let app: App;
  let base: string;
  let origin: string;

  beforeAll(async () => {
    api = await startTestApi();
    ({ app, base } = api);
    origin = api.env.logOrigin;
  });
  afterAll(async () => {
    await api?.stop();
  });

  function signArtifact() {
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const artifact = crypto.randomBytes(100);
    return {
      artifact,
      digest: crypto.createHash("sha256").update(artifact).digest(),
      signature: crypto.sign("sha256", artifact, privateKey),
      publicKey,
      pem: publicKey.export({ type: "spki", format: "pem" }) as string,
    };
  }

  it("accepts RekorWitness (Rekor v1) entries whose proofs and SETs verify with @sigstore/verify and @signet/crypto", async () => {
    const s = signArtifact();
    const witness = new RekorWitness({ rekorBaseURL: base, majorApiVersion: 1, fetchOnConflict: true });
    const content = { $case: "messageSignature" as const, messageSignature: { messageDigest: { algorithm: 1, digest: s.digest }, signature: s.signature } };
    const { tlogEntries } = await witness.testify(content, s.pem);
    expect(tlogEntries).toHaveLength(1);

    const bundle = toMessageSignatureBundle({ digest: s.digest, signature: s.signature, keyHint: "interop-key" });
    bundle.verificationMaterial.tlogEntries = tlogEntries;
    const rootJson = await (await fetch(`${base}/.well-known/signet/trusted_root.json`)).json();
    const trust = toTrustMaterial(TrustedRoot.fromJSON(rootJson), () => ({ publicKey: s.publicKey, validFor: () => true }));
    const verifier = new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 1 });
    expect(() => verifier.verify(toSignedEntity(bundle, s.artifact))).not.toThrow();

    // The same bundle through Signet's own verifier, with its transcript.
    const json = bundleToJSON(bundle);
    const trustedRoot = parseTrustedRoot(rootJson);
    const verified = await verifyBundle({ bundle: json, artifact: s.artifact, trustedRoot, policy: { publicKey: s.pem } });
    expect(verified.transcript.map((t) => t.outcome).every((o) => o !== "fail")).toBe(true);

    // A tampered artifact fails with both verifiers.
    const other = Buffer.concat([s.artifact, Buffer.from("x")]);
    expect(() => verifier.verify(toSignedEntity(bundle, other))).toThrow();
    await expect(verifyBundle({ bundle: json, artifact: other, trustedRoot, policy: { publicKey: s.pem } })).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_VERIFY_/) });

    // Resubmitting gives 409 and RekorWitness fetches the existing entry: same index.
    const again = await witness.testify(content, s.pem);
    expect(again.tlogEntries![0]!.logIndex).toBe(tlogEntries![0]!.logIndex);
  });

  it("accepts RekorWitness (Rekor v2) entries with checkpoint-backed inclusion proofs", async () => {
    // sigstore-js's v2 path sends a certificate (keyless signing): a leaf from a test PKI.
    const pki = await createTestPki(Date.now());
    const leaf = await pki.leaf();
    const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(leaf).toString("base64")}\n-----END CERTIFICATE-----\n`;
    const artifact = crypto.randomBytes(64);
    const digest = crypto.createHash("sha256").update(artifact).digest();
    const signature = Buffer.from(await signDer(pki.leafKey, artifact));
    const witness = new RekorWitness({ rekorBaseURL: base, majorApiVersion: 2 });
    const content = { $case: "messageSignature" as const, messageSignature: { messageDigest: { algorithm: 1, digest }, signature } };
    const { tlogEntries } = await witness.testify(content, pem);
    const e = tlogEntries![0]!;
    expect(e.kindVersion).toEqual({ kind: "hashedrekord", version: "0.0.2" });
    expect(e.inclusionProof?.checkpoint?.envelope).toContain(`${origin}\n`);
  });

  it("serves tiles from which @signet/crypto's tile client proves every entry's inclusion", async () => {
    // Enough entries to fill a full tile and a partial one.
    await Promise.all(
      Array.from({ length: 300 }, async () => {
        const s = signArtifact();
        const body = { apiVersion: "0.0.1", kind: "hashedrekord", spec: { data: { hash: { algorithm: "sha256", value: s.digest.toString("hex") } }, signature: { content: s.signature.toString("base64"), publicKey: { content: Buffer.from(s.pem).toString("base64") } } } };
        const res = await fetch(`${base}/api/v1/log/entries`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        expect(res.status).toBe(201);
      }),
    );
    const verifier = await createEcdsaNoteVerifier({ name: origin, spki: app.log.keys.spki });
    const fetchTile = async (t: { path: string }) => {
      const res = await fetch(`${base}/api/v2/${t.path}`);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      return new Uint8Array(await res.arrayBuffer());
    };
    const fetchCheckpoint = async () => (await fetch(`${base}/api/v2/checkpoint`)).text();
    for (const index of [0n, 1n, 255n, 256n, BigInt(app.log.size - 1n)]) {
      const entry = await (await fetch(`${base}/api/v1/log/entries?logIndex=${index}`)).json();
      const body = Buffer.from((Object.values(entry)[0] as { body: string }).body, "base64");
      const { checkpoint } = await verifyInclusionFromTiles({ index, leafHash: hashLeaf(body), fetchTile, fetchCheckpoint, verifiers: [verifier], origin });
      expect(checkpoint.checkpoint.size).toBe(app.log.size);
    }
    const full = await fetch(`${base}/api/v2/tile/0/000`);
    expect(full.status).toBe(200);
    expect(full.headers.get("cache-control")).toContain("immutable");
    const bundle = await fetch(`${base}/api/v2/tile/entries/000`);
    expect(bundle.status).toBe(200);
  });
});
