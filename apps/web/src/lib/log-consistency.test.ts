import { describe, expect, it } from "vitest";
import { isSignetCryptoError } from "@signet/crypto/errors";
import { MemoryTree } from "@signet/crypto/merkle/proof";
import { EMPTY_ROOT, hashLeaf } from "@signet/crypto/merkle/rfc6962";
import { SignetWebError } from "../errors.ts";
import { checkConsistency, mayRemember, verifyTreeHeadConsistency, type TreeHead } from "./log-consistency.ts";

function treeOf(n: number): MemoryTree {
  const t = new MemoryTree();
  for (let i = 0; i < n; i++) t.append(hashLeaf(new TextEncoder().encode(`leaf ${i}`)));
  return t;
}

const tree = treeOf(40);
const head = (size: bigint, t = tree): TreeHead => ({ size, rootHash: t.root(size) });
const honest = async (s1: bigint, s2: bigint) => tree.consistencyProof(s1, s2);
const never = async (): Promise<never> => {
  throw new Error("must not fetch a proof");
};

describe("checkConsistency (SECURITY.md E9)", () => {
  it("accepts the first checkpoint and an unchanged one without fetching anything", async () => {
    expect(await checkConsistency({ remembered: undefined, latest: head(10n), getProof: never })).toEqual({ kind: "first-seen" });
    expect(await checkConsistency({ remembered: head(10n), latest: head(10n), getProof: never })).toEqual({ kind: "unchanged" });
  });

  it("accepts growth with a valid consistency proof, for every earlier size", async () => {
    for (let s1 = 1n; s1 < 40n; s1++) {
      const verdict = await checkConsistency({ remembered: head(s1), latest: head(40n), getProof: honest });
      expect(verdict.kind, `from ${s1}`).toBe("consistent");
      expect(mayRemember(verdict)).toBe(true);
    }
    expect((await checkConsistency({ remembered: { size: 0n, rootHash: EMPTY_ROOT }, latest: head(3n), getProof: never })).kind).toBe("consistent");
  });

  it("calls a smaller tree a rollback and a different root at the same size a fork, without a proof", async () => {
    const rollback = await checkConsistency({ remembered: head(20n), latest: head(19n), getProof: never });
    expect(rollback).toMatchObject({ kind: "inconsistent", reason: "rollback" });
    const forked = treeOf(20);
    forked.append(hashLeaf(new Uint8Array([1])));
    const other = { size: 21n, rootHash: forked.root() };
    expect(await checkConsistency({ remembered: head(21n), latest: other, getProof: never })).toMatchObject({ kind: "inconsistent", reason: "fork" });
    expect(mayRemember(rollback)).toBe(false);
  });

  it("flags a fork hidden behind growth: the proof cannot connect the old root", async () => {
    // The browser saw a tree of 10 whose 10th leaf differs; the log now shows the honest 40.
    const fork = treeOf(9);
    fork.append(hashLeaf(new TextEncoder().encode("rewritten")));
    const verdict = await checkConsistency({ remembered: { size: 10n, rootHash: fork.root() }, latest: head(40n), getProof: honest });
    expect(verdict).toMatchObject({ kind: "inconsistent", reason: "bad-proof", code: "ERR_MERKLE_ROOT_MISMATCH" });
  });

  it("rejects a proof with any hash flipped, a short proof, and an empty-tree root that is not empty", async () => {
    const good = tree.consistencyProof(13n, 40n);
    for (let i = 0; i < good.length; i++) {
      const bad = good.map((h, j) => (j === i ? Uint8Array.from(h, (b, k) => (k === 0 ? b ^ 1 : b)) : h));
      expect((await checkConsistency({ remembered: head(13n), latest: head(40n), getProof: async () => bad })).kind, `hash ${i}`).toBe("inconsistent");
    }
    expect(await checkConsistency({ remembered: head(13n), latest: head(40n), getProof: async () => good.slice(1) })).toMatchObject({ kind: "inconsistent", code: "ERR_MERKLE_PROOF_SIZE" });
    expect(await checkConsistency({ remembered: { size: 0n, rootHash: new Uint8Array(32) }, latest: head(3n), getProof: never })).toMatchObject({ kind: "inconsistent" });
  });

  it("treats a malformed answer as inconsistent and a network failure as unchecked", async () => {
    const malformed = async (): Promise<never> => {
      throw new SignetWebError("ERR_WEB_API_RESPONSE_MALFORMED", "bad base64");
    };
    expect(await checkConsistency({ remembered: head(5n), latest: head(40n), getProof: malformed })).toMatchObject({ kind: "inconsistent", code: "ERR_WEB_API_RESPONSE_MALFORMED" });
    const offline = async (): Promise<never> => {
      throw new TypeError("fetch failed");
    };
    const verdict = await checkConsistency({ remembered: head(5n), latest: head(40n), getProof: offline });
    expect(verdict).toMatchObject({ kind: "unchecked", message: "fetch failed" });
    expect(mayRemember(verdict)).toBe(false);
  });
});

describe("verifyTreeHeadConsistency", () => {
  it("verifies honest pairs and rejects swapped roots", () => {
    expect(() => verifyTreeHeadConsistency(head(7n), head(30n), tree.consistencyProof(7n, 30n))).not.toThrow();
    expect(() => verifyTreeHeadConsistency(head(30n), head(30n), [])).not.toThrow();
    expect(() => verifyTreeHeadConsistency({ size: 0n, rootHash: EMPTY_ROOT }, head(30n), [])).not.toThrow();
    let code = "";
    try {
      verifyTreeHeadConsistency({ size: 7n, rootHash: tree.root(8n) }, head(30n), tree.consistencyProof(7n, 30n));
    } catch (e) {
      code = isSignetCryptoError(e) ? e.code : "untyped";
    }
    expect(code).toBe("ERR_MERKLE_ROOT_MISMATCH");
    expect(() => verifyTreeHeadConsistency({ size: 0n, rootHash: new Uint8Array(32) }, head(30n), [])).toThrow();
  });
});
