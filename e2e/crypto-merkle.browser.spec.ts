// The 196 transparency-dev/merkle probes (plus the 322 optional subtree probes) and checkpoint /
// signed-note verification, run in real Chromium (through e2e/harness/browser-bundle.ts) and in
// Node with the same entry module: the outcomes, error codes included, must be identical and match
// each probe's wantErr (SECURITY.md E1, G-S3).
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "@playwright/test";
import { runInBrowser } from "./harness/browser-bundle.ts";
import { run } from "./crypto-merkle.browser-entry.ts";
import type { MerkleRunResult, NoteCase } from "./crypto-merkle.browser-entry.ts";
import { createEd25519NoteSigner, signCheckpoint, hashLeaf, MemoryTree } from "../packages/crypto/src/transparency.ts";

const VECTORS = fileURLToPath(new URL("../../shared/vectors/", import.meta.url));
const ENTRY = new URL("./crypto-merkle.browser-entry.ts", import.meta.url);

function listJson(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listJson(path) : name.endsWith(".json") ? [path] : [];
    });
}

const readJson = (path: string) => JSON.parse(readFileSync(join(VECTORS, path), "utf8"));
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

function conformanceCase(dir: string, keyName: string, key: { type: "ed25519" | "ecdsa"; rawBytes: string }): NoteCase {
  const entry = readJson(`sigstore-conformance/bundle-verify/${dir}/bundle.sigstore.json`).verificationMaterial.tlogEntries[0];
  const spki = Buffer.from(key.rawBytes, "base64");
  return {
    checkpoint: entry.inclusionProof.checkpoint.envelope,
    keyName,
    keyType: key.type,
    publicKey: b64(key.type === "ed25519" ? spki.subarray(spki.length - 32) : spki),
    inclusion: { index: entry.inclusionProof.logIndex, leaf: entry.canonicalizedBody, hashes: entry.inclusionProof.hashes },
  };
}

async function noteCases(): Promise<Record<string, NoteCase>> {
  const prod = readJson("trusted-roots/public-good-production.trusted_root.json");
  const v1Key = { type: "ecdsa" as const, rawBytes: prod.tlogs.find((t: { baseUrl: string }) => t.baseUrl === "https://rekor.sigstore.dev").publicKey.rawBytes };
  const staging = readJson("sigstore-conformance/bundle-verify/rekor2-happy-path/trusted_root.json");
  const v2Key = { type: "ed25519" as const, rawBytes: staging.tlogs.find((t: { publicKey: { keyDetails: string } }) => t.publicKey.keyDetails === "PKIX_ED25519").publicKey.rawBytes };
  const v2Name = "log2025-alpha1.rekor.sigstage.dev";

  // A Signet-style checkpoint signed here in Node with WebCrypto Ed25519, over a small real tree.
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const signer = createEd25519NoteSigner({
    name: "localhost:3100",
    publicKey,
    sign: async (m) => new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, m)),
  });
  const tree = new MemoryTree();
  const leaves = Array.from({ length: 1000 }, (_, i) => new TextEncoder().encode(`entry ${i}`));
  for (const l of leaves) tree.append(hashLeaf(l));
  const checkpoint = await signCheckpoint({ origin: "localhost:3100", size: tree.size, rootHash: tree.root() }, [signer]);
  const signet: NoteCase = {
    checkpoint,
    keyName: "localhost:3100",
    keyType: "ed25519",
    publicKey: b64(publicKey),
    inclusion: { index: "777", leaf: b64(leaves[777]!), hashes: tree.inclusionProof(777n).map(b64) },
  };

  return {
    "rekor-v1-ecdsa": conformanceCase("happy-path-v0.3", "rekor.sigstore.dev", v1Key),
    "rekor-v1-bad-keyhint": conformanceCase("checkpoint-bad-keyhint_fail", "rekor.sigstore.dev", v1Key),
    "rekor-v1-invalid-signature": conformanceCase("invalid-checkpoint-signature_fail", "rekor.sigstore.dev", v1Key),
    "rekor-v1-wrong-root": conformanceCase("checkpoint-wrong-roothash_fail", "rekor.sigstore.dev", v1Key),
    "rekor-v2-ed25519": conformanceCase("rekor2-happy-path", v2Name, v2Key),
    "rekor-v2-cosigned-unknown-witness": conformanceCase("rekor2-checkpoint-multiple-cosigs", v2Name, v2Key),
    "rekor-v2-no-matching-signature": conformanceCase("rekor2-checkpoint-no-matching-signature_fail", v2Name, v2Key),
    "signet-ed25519": signet,
    "signet-ed25519-tampered-size": { ...signet, checkpoint: checkpoint.replace("\n1000\n", "\n1001\n") },
    "signet-ed25519-wrong-leaf": { ...signet, inclusion: { ...signet.inclusion!, index: "778" } },
  };
}

const EXPECTED_NOTES: Record<string, string> = {
  "rekor-v1-ecdsa": "ok",
  "rekor-v1-bad-keyhint": "ERR_NOTE_UNVERIFIED",
  "rekor-v1-invalid-signature": "ERR_NOTE_SIGNATURE_INVALID",
  "rekor-v1-wrong-root": "ERR_MERKLE_PROOF_SIZE",
  "rekor-v2-ed25519": "ok",
  "rekor-v2-cosigned-unknown-witness": "ok",
  "rekor-v2-no-matching-signature": "ERR_NOTE_UNVERIFIED",
  "signet-ed25519": "ok",
  "signet-ed25519-tampered-size": "ERR_NOTE_SIGNATURE_INVALID",
  "signet-ed25519-wrong-leaf": "ERR_MERKLE_ROOT_MISMATCH",
};

test("Merkle probes and checkpoints verify identically in Chromium and Node", async ({ page }) => {
  const probeFiles = [...listJson(join(VECTORS, "merkle/inclusion")), ...listJson(join(VECTORS, "merkle/consistency"))];
  const subtreeFiles = [...listJson(join(VECTORS, "merkle/subtreeinclusion")), ...listJson(join(VECTORS, "merkle/subtreeconsistency"))];
  const fixtures: Record<string, string> = {};
  const wantErr: Record<string, boolean> = {};
  for (const path of [...probeFiles, ...subtreeFiles]) {
    const name = relative(VECTORS, path);
    fixtures[name] = readFileSync(path, "utf8");
    wantErr[name] = JSON.parse(fixtures[name]).wantErr === true;
  }
  expect(probeFiles).toHaveLength(196);
  expect(subtreeFiles).toHaveLength(322);
  fixtures["notes.json"] = JSON.stringify(await noteCases());

  const inBrowser = await runInBrowser<MerkleRunResult>(page, ENTRY, fixtures);
  const inNode = await run(fixtures);

  expect(inBrowser.runtime).toContain("Chrome");
  expect(inBrowser.subtle).toBe(true);
  expect(Object.keys(inBrowser.probes).filter((n) => /^merkle\/(inclusion|consistency)\//.test(n))).toHaveLength(196);
  expect(Object.keys(inBrowser.probes)).toHaveLength(196 + 322);
  for (const [name, result] of Object.entries(inBrowser.probes)) {
    expect.soft(result === "ok", `${name}: ${result}`).toBe(!wantErr[name]);
    expect.soft(result, name).not.toMatch(/^UNTYPED/);
  }
  expect(inBrowser.probes).toEqual(inNode.probes);
  expect(inBrowser.notes).toEqual(EXPECTED_NOTES);
  expect(inNode.notes).toEqual(EXPECTED_NOTES);
});
