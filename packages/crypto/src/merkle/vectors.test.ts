// The 196 RFC 6962 probes from transparency-dev/merkle testdata (see /work/shared/vectors/README.md),
// run against verifyInclusion / verifyConsistency. The same probes run in Chromium from
// e2e/crypto-merkle.browser.spec.ts.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fromBase64 } from "../encoding/base64.ts";
import { isSignetCryptoError } from "../errors.ts";
import { verifyConsistency } from "./consistency.ts";
import { verifyInclusion } from "./inclusion.ts";
import { verifySubtreeConsistency, verifySubtreeInclusion } from "./subtree.ts";

const VECTORS = fileURLToPath(new URL("../../../../../shared/vectors/merkle/", import.meta.url));

function listJson(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listJson(path));
    else if (name.endsWith(".json")) out.push(path);
  }
  return out;
}

// int64 fields may exceed 2^53 (leafIdx 2^64-1): quote them before JSON.parse so BigInt sees every digit.
function parseProbe(text: string): Record<string, unknown> {
  return JSON.parse(text.replace(/("(?:leafIdx|treeSize|size1|size2|start|end|size)"\s*:\s*)(-?\d+)/g, '$1"$2"')) as Record<string, unknown>;
}

const b64 = (s: unknown): Uint8Array => fromBase64(String(s));
const hashes = (p: unknown): Uint8Array[] => ((p ?? []) as string[]).map(b64);

function outcome(run: () => void): string {
  try {
    run();
    return "ok";
  } catch (e) {
    if (!isSignetCryptoError(e)) throw e; // anything but a typed error is a bug, not a rejection
    return e.code;
  }
}

const inclusion = listJson(join(VECTORS, "inclusion"));
const consistency = listJson(join(VECTORS, "consistency"));

describe("transparency-dev/merkle probes", () => {
  it("finds all 196 probes", () => {
    expect(inclusion.length).toBe(98);
    expect(consistency.length).toBe(98);
    expect(inclusion.length + consistency.length).toBe(196);
  });

  it.each(inclusion.map((p) => [relative(VECTORS, p), p]))("inclusion %s", (_, path) => {
    const v = parseProbe(readFileSync(path, "utf8"));
    const result = outcome(() =>
      verifyInclusion({
        index: BigInt(v.leafIdx as string),
        size: BigInt(v.treeSize as string),
        leafHash: b64(v.leafHash),
        proof: hashes(v.proof),
        root: b64(v.root),
      }),
    );
    if (v.wantErr) expect(result).not.toBe("ok");
    else expect(result).toBe("ok");
  });

  it.each(consistency.map((p) => [relative(VECTORS, p), p]))("consistency %s", (_, path) => {
    const v = parseProbe(readFileSync(path, "utf8"));
    const result = outcome(() =>
      verifyConsistency({
        size1: BigInt(v.size1 as string),
        size2: BigInt(v.size2 as string),
        root1: b64(v.root1),
        root2: b64(v.root2),
        proof: hashes(v.proof),
      }),
    );
    if (v.wantErr) expect(result).not.toBe("ok");
    else expect(result).toBe("ok");
  });
});

// The optional subtree probes (draft-ietf-plants-merkle-tree-certs §4.3/§4.4), same source.
const subtreeInclusion = listJson(join(VECTORS, "subtreeinclusion"));
const subtreeConsistency = listJson(join(VECTORS, "subtreeconsistency"));

describe("transparency-dev/merkle subtree probes", () => {
  it("finds all 322 subtree probes", () => {
    expect(subtreeInclusion.length).toBe(204);
    expect(subtreeConsistency.length).toBe(118);
  });

  it.each(subtreeInclusion.map((p) => [relative(VECTORS, p), p]))("subtree inclusion %s", (_, path) => {
    const v = parseProbe(readFileSync(path, "utf8"));
    const result = outcome(() =>
      verifySubtreeInclusion({
        index: BigInt(v.leafIdx as string),
        start: BigInt(v.start as string),
        end: BigInt(v.end as string),
        leafHash: b64(v.leafHash),
        proof: hashes(v.proof),
        root: b64(v.root),
      }),
    );
    if (v.wantErr) expect(result).not.toBe("ok");
    else expect(result).toBe("ok");
  });

  it.each(subtreeConsistency.map((p) => [relative(VECTORS, p), p]))("subtree consistency %s", (_, path) => {
    const v = parseProbe(readFileSync(path, "utf8"));
    const result = outcome(() =>
      verifySubtreeConsistency({
        start: BigInt(v.start as string),
        end: BigInt(v.end as string),
        size: BigInt(v.size as string),
        subtreeRoot: b64(v.root1),
        root: b64(v.root2),
        proof: hashes(v.proof),
      }),
    );
    if (v.wantErr) expect(result).not.toBe("ok");
    else expect(result).toBe("ok");
  });
});
