import { describe, expect, it } from "vitest";
import { concatBytes } from "../encoding/bytes.ts";
import { toHex } from "../encoding/hex.ts";
import { signCheckpoint } from "../checkpoint/checkpoint.ts";
import { createEd25519NoteSigner, createEd25519NoteVerifier } from "../note/signed-note.ts";
import { MemoryTree } from "../merkle/proof.ts";
import { hashLeaf } from "../merkle/rfc6962.ts";
import {
  consistencyProofFromTiles,
  inclusionProofFromTiles,
  locateNode,
  rootFromTiles,
  verifyConsistencyFromTiles,
  verifyInclusionFromTiles,
} from "./tile-client.ts";
import type { FetchTile } from "./tile-client.ts";
import { TILE_WIDTH } from "./tile-path.ts";

const code = (c: string) => expect.objectContaining({ code: c });
const hexAll = (bs: readonly Uint8Array[]) => bs.map(toHex);

// A log of 70,000 entries: the C2SP tlog-tiles example size, with full and partial tiles at levels 0-2.
const SIZE = 70_000;
const tree = new MemoryTree();
for (let i = 0; i < SIZE; i++) tree.append(hashLeaf(Uint8Array.of(i & 255, (i >> 8) & 255, i >> 16)));

/** In-memory tile server double: serves any tile whose hashes exist, and records what was fetched. */
function tileServer(options: { tamper?: string; truncate?: string } = {}) {
  const fetched: string[] = [];
  const fetchTile: FetchTile = async (tile) => {
    fetched.push(tile.path);
    const hashes: Uint8Array[] = [];
    for (let i = 0; i < tile.width; i++) hashes.push(tree.getNode(tile.level * 8, tile.index * BigInt(TILE_WIDTH) + BigInt(i)));
    let data = concatBytes(...hashes);
    if (options.tamper === tile.path) data[5]! ^= 1;
    if (options.truncate === tile.path) data = data.slice(1);
    return data;
  };
  return { fetchTile, fetched };
}

async function logKey() {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const sign = async (m: Uint8Array<ArrayBuffer>) => new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, m));
  const name = "example.com/log";
  return { signer: createEd25519NoteSigner({ name, publicKey, sign }), verifier: await createEd25519NoteVerifier({ name, publicKey }) };
}

describe("locateNode", () => {
  it("maps complete nodes to tiles with the widths the tree size implies (C2SP example, size 70,000)", () => {
    expect(locateNode({ level: 0, index: 69_999n }, 70_000n).tile).toEqual({ kind: "hash", level: 0, index: 273n, width: 112 });
    expect(locateNode({ level: 0, index: 0n }, 70_000n).tile).toEqual({ kind: "hash", level: 0, index: 0n, width: 256 });
    expect(locateNode({ level: 8, index: 256n }, 70_000n).tile).toEqual({ kind: "hash", level: 1, index: 1n, width: 17 });
    expect(locateNode({ level: 16, index: 0n }, 70_000n).tile).toEqual({ kind: "hash", level: 2, index: 0n, width: 1 });
    // A level-3 node is the root of 8 level-0 hashes.
    expect(locateNode({ level: 3, index: 2n }, 70_000n)).toMatchObject({ offset: 16, count: 8 });
  });
  it("refuses nodes that are not complete in the tree", () => {
    expect(() => locateNode({ level: 0, index: 70_000n }, 70_000n)).toThrow(code("ERR_TILE_NODE_UNAVAILABLE"));
    expect(() => locateNode({ level: 8, index: 273n }, 70_000n)).toThrow(code("ERR_TILE_NODE_UNAVAILABLE"));
  });
});

describe("proofs from tiles", () => {
  const sizes = [1n, 2n, 255n, 256n, 257n, 65_535n, 65_536n, 65_537n, 70_000n];
  it("equal the proofs computed from the whole tree", async () => {
    for (const size of sizes) {
      for (const index of new Set([0n, size / 2n, size - 1n, size > 256n ? 255n : 0n, size > 256n ? 256n : 0n])) {
        const { fetchTile } = tileServer();
        expect(hexAll(await inclusionProofFromTiles({ index, size, fetchTile }))).toEqual(hexAll(tree.inclusionProof(index, size)));
      }
      expect(toHex(await rootFromTiles({ size, fetchTile: tileServer().fetchTile }))).toBe(toHex(tree.root(size)));
    }
    for (const [size1, size2] of [[1n, 2n], [255n, 257n], [256n, 65_537n], [1000n, 70_000n], [65_536n, 70_000n], [69_999n, 70_000n]] as const) {
      const { fetchTile } = tileServer();
      expect(hexAll(await consistencyProofFromTiles({ size1, size2, fetchTile }))).toEqual(hexAll(tree.consistencyProof(size1, size2)));
    }
  });
  it("fetch each tile once, in parallel, and only a handful per proof", async () => {
    const server = tileServer();
    await inclusionProofFromTiles({ index: 12_345n, size: 70_000n, fetchTile: server.fetchTile });
    expect(new Set(server.fetched).size).toBe(server.fetched.length);
    expect(server.fetched.sort()).toEqual(["tile/0/048", "tile/0/273.p/112", "tile/1/000", "tile/1/001.p/17"]);
  });
  it("reject tiles of the wrong length", async () => {
    const { fetchTile } = tileServer({ truncate: "tile/0/273.p/112" });
    await expect(inclusionProofFromTiles({ index: 69_999n, size: 70_000n, fetchTile })).rejects.toThrow(code("ERR_TILE_MALFORMED"));
  });
});

describe("verifyInclusionFromTiles", () => {
  it("verifies an entry against a signed checkpoint and rejects tampered tiles", async () => {
    const log = await logKey();
    const checkpoint = await signCheckpoint({ origin: "example.com/log", size: 70_000n, rootHash: tree.root(70_000n) }, [log.signer]);
    const base = { leafHash: tree.getNode(0, 4242n), index: 4242n, fetchCheckpoint: async () => checkpoint, verifiers: [log.verifier] };
    const ok = await verifyInclusionFromTiles({ ...base, fetchTile: tileServer().fetchTile, origin: "example.com/log" });
    expect(ok.checkpoint.checkpoint.size).toBe(70_000n);
    expect(hexAll(ok.proof)).toEqual(hexAll(tree.inclusionProof(4242n, 70_000n)));

    const tampered = tileServer({ tamper: "tile/1/000" });
    await expect(verifyInclusionFromTiles({ ...base, fetchTile: tampered.fetchTile })).rejects.toThrow(code("ERR_MERKLE_ROOT_MISMATCH"));
    await expect(
      verifyInclusionFromTiles({ ...base, leafHash: tree.getNode(0, 4243n), fetchTile: tileServer().fetchTile }),
    ).rejects.toThrow(code("ERR_MERKLE_ROOT_MISMATCH"));
    await expect(verifyInclusionFromTiles({ ...base, index: 70_000n, fetchTile: tileServer().fetchTile })).rejects.toThrow(
      code("ERR_MERKLE_INDEX_OUT_OF_RANGE"),
    );
    const stranger = await logKey();
    await expect(verifyInclusionFromTiles({ ...base, verifiers: [stranger.verifier], fetchTile: tileServer().fetchTile })).rejects.toThrow(
      code("ERR_NOTE_UNVERIFIED"),
    );
  });
});

describe("verifyConsistencyFromTiles", () => {
  it("accepts an extension, and detects rollback and forks (SECURITY.md E9)", async () => {
    const log = await logKey();
    const sign = (size: bigint, rootHash = tree.root(size)) => signCheckpoint({ origin: "example.com/log", size, rootHash }, [log.signer]);
    const opts = { verifiers: [log.verifier], fetchTile: tileServer().fetchTile };
    const old = { size: 1000n, rootHash: tree.root(1000n) };
    const { proof } = await verifyConsistencyFromTiles({ ...opts, old, checkpoint: await sign(70_000n) });
    expect(hexAll(proof)).toEqual(hexAll(tree.consistencyProof(1000n, 70_000n)));
    await verifyConsistencyFromTiles({ ...opts, old: { size: 0n, rootHash: new Uint8Array(32) }, checkpoint: await sign(5n) });
    await verifyConsistencyFromTiles({ ...opts, old, checkpoint: await sign(1000n) });
    await expect(verifyConsistencyFromTiles({ ...opts, old, checkpoint: await sign(999n) })).rejects.toThrow(code("ERR_CHECKPOINT_ROLLBACK"));
    await expect(verifyConsistencyFromTiles({ ...opts, old, checkpoint: await sign(1000n, tree.root(1001n)) })).rejects.toThrow(
      code("ERR_MERKLE_ROOT_MISMATCH"),
    );
    const forkedOld = { size: 1000n, rootHash: tree.root(999n) };
    await expect(verifyConsistencyFromTiles({ ...opts, old: forkedOld, checkpoint: await sign(70_000n) })).rejects.toThrow(
      code("ERR_MERKLE_ROOT_MISMATCH"),
    );
  });
});
