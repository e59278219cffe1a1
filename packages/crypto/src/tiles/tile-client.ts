/**
 * Proofs from C2SP tlog-tiles through injected I/O: work out which hash tiles a proof needs, fetch
 * them in parallel, rebuild the complete-subtree hashes, build the proof, and verify it against a
 * verified checkpoint. Tiles are untrusted: every proof built from them is checked against the
 * checkpoint root, so a wrong tile can only cause a rejection.
 * @see https://c2sp.org/tlog-tiles#merkle-tree
 */
import { SignetCryptoError } from "../errors.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { bytesEqual } from "../encoding/bytes.ts";
import { verifyCheckpoint } from "../checkpoint/checkpoint.ts";
import type { VerifiedCheckpoint } from "../checkpoint/checkpoint.ts";
import type { NoteVerifier, SignedNote } from "../note/signed-note.ts";
import { verifyConsistency } from "../merkle/consistency.ts";
import { verifyInclusion } from "../merkle/inclusion.ts";
import { HASH_SIZE, hashChildren } from "../merkle/rfc6962.ts";
import { consistencyProofPlan, inclusionProofPlan, planNodeIds, proofFromPlan, rootPlan } from "../merkle/proof.ts";
import type { GetNode, NodeId, ProofPlan } from "../merkle/proof.ts";
import { assertUint64 } from "../merkle/tree-math.ts";
import { TILE_HEIGHT, TILE_WIDTH, formatTilePath } from "./tile-path.ts";
import type { HashTile } from "./tile-path.ts";

/** Fetch one hash tile; `path` is `tile/<L>/<N>[.p/<W>]` relative to the log prefix. */
export type FetchTile = (tile: HashTile & { readonly path: string }) => Promise<Uint8Array>;
/** Fetch the log's current signed checkpoint (`<prefix>/checkpoint`). */
export type FetchCheckpoint = () => Promise<string | Uint8Array>;

/** Where a complete node lives: `count` consecutive hashes of `tile` starting at `offset`. */
export interface NodeLocation {
  readonly tile: HashTile;
  readonly offset: number;
  readonly count: number;
}

/**
 * Locate a complete node (level, index) in the hash tiles of a tree of `treeSize` leaves: tile
 * level ⌊level/8⌋ stores Merkle level 8·⌊level/8⌋, and the node is the root of 2^(level mod 8) of
 * those hashes. The tile width is the one the tree size implies (full, or partial `.p/W`).
 */
export function locateNode(node: NodeId, treeSize: bigint): NodeLocation {
  assertUint64(treeSize, "tree size", "ERR_MERKLE_SIZE_OUT_OF_RANGE");
  const tileLevel = Math.floor(node.level / TILE_HEIGHT);
  const height = node.level % TILE_HEIGHT;
  const base = node.index << BigInt(height);
  const tileIndex = base >> BigInt(TILE_HEIGHT);
  const offset = Number(base & BigInt(TILE_WIDTH - 1));
  const count = 1 << height;
  const hashesAtLevel = treeSize >> BigInt(tileLevel * TILE_HEIGHT);
  const fullTiles = hashesAtLevel >> BigInt(TILE_HEIGHT);
  const width = tileIndex < fullTiles ? TILE_WIDTH : Number(hashesAtLevel & BigInt(TILE_WIDTH - 1));
  if (tileIndex > fullTiles || offset + count > width) {
    throw new SignetCryptoError("ERR_TILE_NODE_UNAVAILABLE", `node ${node.level}/${node.index} is not complete in a tree of ${treeSize}`);
  }
  return { tile: { kind: "hash", level: tileLevel, index: tileIndex, width }, offset, count };
}

/** The distinct hash tiles holding `nodes` in a tree of `treeSize` leaves. */
export function tilesForNodes(nodes: readonly NodeId[], treeSize: bigint): HashTile[] {
  const seen = new Map<string, HashTile>();
  for (const n of nodes) {
    const { tile } = locateNode(n, treeSize);
    seen.set(formatTilePath(tile), tile);
  }
  return [...seen.values()];
}

function subtreeRoot(hashes: readonly Uint8Array[]): Bytes {
  let row = hashes;
  while (row.length > 1) {
    const next: Bytes[] = [];
    for (let i = 0; i < row.length; i += 2) next.push(hashChildren(row[i]!, row[i + 1]!));
    row = next;
  }
  return Uint8Array.from(row[0]!) as Bytes;
}

/**
 * Fetch the tiles holding `nodes` (in parallel, each once) and return a GetNode over them.
 * Throws ERR_TILE_MALFORMED when a tile is not exactly width × 32 bytes.
 */
export async function nodesFromTiles(nodes: readonly NodeId[], treeSize: bigint, fetchTile: FetchTile): Promise<GetNode> {
  const located = nodes.map((n) => ({ node: n, where: locateNode(n, treeSize) }));
  const tiles = new Map<string, Promise<Uint8Array>>();
  for (const { where } of located) {
    const path = formatTilePath(where.tile);
    if (!tiles.has(path)) {
      tiles.set(
        path,
        fetchTile({ ...where.tile, path }).then((data) => {
          // attacker-controlled: tile bytes from the network
          if (!(data instanceof Uint8Array) || data.length !== where.tile.width * HASH_SIZE) {
            throw new SignetCryptoError("ERR_TILE_MALFORMED", `tile ${path} must be ${where.tile.width * HASH_SIZE} bytes`);
          }
          return data;
        }),
      );
    }
  }
  const fetched = new Map<string, Uint8Array>();
  await Promise.all([...tiles].map(async ([path, p]) => fetched.set(path, await p)));
  const hashes = new Map<string, Bytes>();
  for (const { node, where } of located) {
    const data = fetched.get(formatTilePath(where.tile))!;
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < where.count; i++) {
      const at = (where.offset + i) * HASH_SIZE;
      leaves.push(data.subarray(at, at + HASH_SIZE));
    }
    hashes.set(`${node.level}/${node.index}`, subtreeRoot(leaves));
  }
  return (level, index) => {
    const hash = hashes.get(`${level}/${index}`);
    if (hash === undefined) throw new SignetCryptoError("ERR_MERKLE_NODE_MISSING", `node ${level}/${index} was not fetched`);
    return hash;
  };
}

async function planFromTiles(plan: ProofPlan, treeSize: bigint, fetchTile: FetchTile): Promise<Bytes[]> {
  return proofFromPlan(plan, await nodesFromTiles(planNodeIds(plan), treeSize, fetchTile));
}

/** Inclusion proof of leaf `index` in the tree of `size` leaves, built from hash tiles. Unverified. */
export async function inclusionProofFromTiles(opts: { index: bigint; size: bigint; fetchTile: FetchTile }): Promise<Bytes[]> {
  return planFromTiles(inclusionProofPlan(opts.index, opts.size), opts.size, opts.fetchTile);
}

/** Consistency proof from `size1` to `size2` leaves, built from the hash tiles of the `size2` tree. Unverified. */
export async function consistencyProofFromTiles(opts: { size1: bigint; size2: bigint; fetchTile: FetchTile }): Promise<Bytes[]> {
  return planFromTiles(consistencyProofPlan(opts.size1, opts.size2), opts.size2, opts.fetchTile);
}

/** Root of the tree of `size` leaves recomputed from hash tiles (e.g. to audit a checkpoint). Unverified. */
export async function rootFromTiles(opts: { size: bigint; fetchTile: FetchTile }): Promise<Bytes> {
  const nodes = rootPlan(opts.size);
  const [root] = proofFromPlan([nodes], await nodesFromTiles(nodes, opts.size, opts.fetchTile));
  return root!;
}

/**
 * Verify that `leafHash` is entry `index` of the log: fetch and verify the checkpoint against the
 * trusted `verifiers` (and `origin`), build the inclusion proof from tiles, verify it against the
 * checkpoint root. Returns the verified checkpoint and the proof (e.g. to put in a bundle).
 */
export async function verifyInclusionFromTiles(opts: {
  index: bigint;
  leafHash: Uint8Array;
  fetchTile: FetchTile;
  fetchCheckpoint: FetchCheckpoint;
  verifiers: readonly NoteVerifier[];
  origin?: string;
}): Promise<{ checkpoint: VerifiedCheckpoint; proof: Bytes[] }> {
  const checkpoint = await verifyCheckpoint(await opts.fetchCheckpoint(), opts.verifiers, { origin: opts.origin });
  const { size, rootHash } = checkpoint.checkpoint;
  assertUint64(opts.index, "leaf index", "ERR_MERKLE_INDEX_OUT_OF_RANGE");
  if (opts.index >= size) throw new SignetCryptoError("ERR_MERKLE_INDEX_OUT_OF_RANGE", "entry is not covered by the checkpoint");
  const proof = await inclusionProofFromTiles({ index: opts.index, size, fetchTile: opts.fetchTile });
  verifyInclusion({ index: opts.index, size, leafHash: opts.leafHash, proof, root: rootHash });
  return { checkpoint, proof };
}

/**
 * Verify a newer checkpoint against a previously verified tree head (rollback and fork detection,
 * SECURITY.md E9): smaller size → ERR_CHECKPOINT_ROLLBACK; same size with another root, or a
 * consistency proof (from tiles) that fails → ERR_MERKLE_*. From an empty tree anything is consistent.
 */
export async function verifyConsistencyFromTiles(opts: {
  old: { size: bigint; rootHash: Uint8Array };
  checkpoint: string | Uint8Array | SignedNote;
  verifiers: readonly NoteVerifier[];
  fetchTile: FetchTile;
  origin?: string;
}): Promise<{ checkpoint: VerifiedCheckpoint; proof: Bytes[] }> {
  const checkpoint = await verifyCheckpoint(opts.checkpoint, opts.verifiers, { origin: opts.origin });
  const { size, rootHash } = checkpoint.checkpoint;
  const old = opts.old;
  assertUint64(old.size, "old size", "ERR_MERKLE_SIZE_OUT_OF_RANGE");
  if (size < old.size) throw new SignetCryptoError("ERR_CHECKPOINT_ROLLBACK", "checkpoint is older than the last verified one");
  if (old.size === 0n) return { checkpoint, proof: [] };
  if (size === old.size) {
    if (!bytesEqual(old.rootHash, rootHash)) throw new SignetCryptoError("ERR_MERKLE_ROOT_MISMATCH", "same size, different root: the log forked");
    return { checkpoint, proof: [] };
  }
  const proof = await consistencyProofFromTiles({ size1: old.size, size2: size, fetchTile: opts.fetchTile });
  verifyConsistency({ size1: old.size, size2: size, root1: old.rootHash, root2: rootHash, proof });
  return { checkpoint, proof };
}
