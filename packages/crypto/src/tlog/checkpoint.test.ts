import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseBundle } from "../bundle/parse.ts";
import { parseTrustedRoot, findLogsById } from "../trust/trusted-root.ts";
import { verifyEntryCheckpoint, verifyEntryInclusion } from "./checkpoint.ts";

// Fixtures: a Rekor v1 (ECDSA checkpoint) and a Rekor v2 (Ed25519 checkpoint) entry from sigstore-conformance.
const vectors = new URL("../../../../../shared/vectors/", import.meta.url);
const v1 = parseBundle(readFileSync(new URL("sigstore-conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json", vectors)));
const v2 = parseBundle(readFileSync(new URL("sigstore-conformance/bundle-verify/rekor2-happy-path/bundle.sigstore.json", vectors)));
const prod = parseTrustedRoot(readFileSync(new URL("trusted-roots/public-good-production.trusted_root.json", vectors)));
const staging = parseTrustedRoot(readFileSync(new URL("sigstore-conformance/bundle-verify/rekor2-happy-path/trusted_root.json", vectors)));

describe("entry checkpoints and inclusion", () => {
  it("verifies a Rekor v1 checkpoint (origin '<host> - <tree>') and its inclusion proof", async () => {
    const e = v1.tlogEntries[0]!;
    const [log] = findLogsById(prod.tlogs, e.logId);
    const cp = await verifyEntryCheckpoint(e, log!);
    expect(cp.origin).toBe("rekor.sigstore.dev - 2605736670972794746");
    verifyEntryInclusion(e, cp);
  });
  it("verifies a Rekor v2 Ed25519 checkpoint and its inclusion proof", async () => {
    const e = v2.tlogEntries[0]!;
    const [log] = findLogsById(staging.tlogs, e.logId);
    const cp = await verifyEntryCheckpoint(e, log!);
    expect(cp.size).toBe(736n);
    verifyEntryInclusion(e, cp);
  });
  it("rejects a checkpoint whose origin names another log", async () => {
    const e = v2.tlogEntries[0]!;
    const [log] = findLogsById(staging.tlogs, e.logId);
    // Same key, but the trusted root calls the log by another host: the key name no longer matches.
    await expect(verifyEntryCheckpoint(e, { ...log!, host: "other.example" })).rejects.toThrow(expect.objectContaining({ code: "ERR_NOTE_UNVERIFIED" }));
  });
  it("uses the checkpoint's size and root, not the proof's own fields", async () => {
    const e = v2.tlogEntries[0]!;
    const [log] = findLogsById(staging.tlogs, e.logId);
    const cp = await verifyEntryCheckpoint(e, log!);
    const lying = { ...e, inclusionProof: { ...e.inclusionProof!, treeSize: 1n, rootHash: new Uint8Array(32) } };
    verifyEntryInclusion(lying, cp);
    const wrongIndex = { ...e, inclusionProof: { ...e.inclusionProof!, logIndex: 734n } };
    expect(() => verifyEntryInclusion(wrongIndex, cp)).toThrow(expect.objectContaining({ code: "ERR_MERKLE_ROOT_MISMATCH" }));
  });
});
