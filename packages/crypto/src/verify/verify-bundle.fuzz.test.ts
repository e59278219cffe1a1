/**
 * Fail-closed fuzzing (SECURITY.md F7): one flipped byte in any signed or
 * signature-bearing field of a valid bundle must never verify.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromBase64, toBase64 } from "../encoding/base64.ts";
import { parseTrustedRoot } from "../trust/trusted-root.ts";
import { verifyBundle } from "./verify-bundle.ts";

// Fixtures: sigstore-conformance happy paths (Rekor v1 with SET, Rekor v2 with TSA).
const vectors = new URL("../../../../../shared/vectors/", import.meta.url);
const artifact = readFileSync(new URL("sigstore-conformance/bundle-verify/a.txt", vectors));
const policy = {
  identity: {
    subjectAlternativeName: "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
    issuer: "https://token.actions.githubusercontent.com",
  },
};
const subjects = {
  v1: {
    text: readFileSync(new URL("sigstore-conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json", vectors), "utf8"),
    root: parseTrustedRoot(readFileSync(new URL("trusted-roots/public-good-production.trusted_root.json", vectors))),
  },
  v2: {
    text: readFileSync(new URL("sigstore-conformance/bundle-verify/rekor2-happy-path/bundle.sigstore.json", vectors), "utf8"),
    root: parseTrustedRoot(readFileSync(new URL("sigstore-conformance/bundle-verify/rekor2-happy-path/trusted_root.json", vectors))),
  },
};

/** Paths to base64 fields whose every byte is authenticated (proof rootHash/treeSize and embedded TSA certificates are not: verifiers ignore them). */
const FIELDS: readonly (readonly (string | number)[])[] = [
  ["messageSignature", "signature"],
  ["messageSignature", "messageDigest", "digest"],
  ["verificationMaterial", "certificate", "rawBytes"],
  ["verificationMaterial", "tlogEntries", 0, "canonicalizedBody"],
  ["verificationMaterial", "tlogEntries", 0, "logId", "keyId"],
  ["verificationMaterial", "tlogEntries", 0, "inclusionProof", "hashes", 0],
  ["verificationMaterial", "tlogEntries", 0, "inclusionProof", "hashes", 5],
];

function mutate(text: string, path: readonly (string | number)[], pos: number, xor: number): string | undefined {
  const b = JSON.parse(text);
  let parent = b;
  for (const k of path.slice(0, -1)) parent = parent?.[k];
  const last = path[path.length - 1]!;
  if (typeof parent?.[last] !== "string") return undefined;
  const bytes = fromBase64(parent[last]);
  bytes[pos % bytes.length]! ^= xor;
  parent[last] = toBase64(bytes);
  return JSON.stringify(b);
}

describe("fail closed under single-byte corruption", () => {
  it.each(Object.keys(subjects) as (keyof typeof subjects)[])("%s: no mutated bundle verifies", async (which) => {
    const { text, root } = subjects[which];
    await expect(verifyBundle({ bundle: text, artifact, trustedRoot: root, policy })).resolves.toBeDefined();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FIELDS), fc.nat(), fc.integer({ min: 1, max: 255 }), async (path, pos, xor) => {
        const mutated = mutate(text, path, pos, xor);
        if (mutated === undefined) return;
        const err = await verifyBundle({ bundle: mutated, artifact, trustedRoot: root, policy }).then(() => undefined, (e: { code: string }) => e);
        expect(err, `${path.join(".")}[${pos}] ^= ${xor} verified`).toBeDefined();
        expect(err!.code).toMatch(/^ERR_VERIFY_/);
      }),
      { numRuns: 150, seed: 0x5161e7 },
    );
  });

  it("no mutated checkpoint text verifies", async () => {
    const { text, root } = subjects.v2;
    const b = JSON.parse(text);
    const note: string = b.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: note.length - 1 }), fc.constantFrom("0", "A", "\n", " ", "+", "\u2014"), async (pos, ch) => {
        if (note[pos] === ch) return;
        const m = structuredClone(b);
        m.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope = note.slice(0, pos) + ch + note.slice(pos + 1);
        await expect(verifyBundle({ bundle: m, artifact, trustedRoot: root, policy })).rejects.toThrow(expect.objectContaining({ code: expect.stringMatching(/^ERR_VERIFY_/) }));
      }),
      { numRuns: 150, seed: 0x5161e7 },
    );
  });
});
