/**
 * `signet log fsck` and the tests' checkLog harness: recompute the whole log from its entries and
 * compare with everything stored — leaf hashes, every tile, the root, the tree head — then check
 * every stored checkpoint: its signature, its root against the recomputed tree at its size, and a
 * consistency proof (served from tiles, verified with @signet/crypto) to the next checkpoint.
 */
import { verifyCheckpoint } from "@signet/crypto/checkpoint/checkpoint";
import { verifyConsistency } from "@signet/crypto/merkle/consistency";
import { leafHash } from "./hash.ts";
import type { LogStore } from "./log-store.ts";
import type { LogKeys } from "./signing.ts";
import type { ProofSource } from "./proofs.ts";
import { TreeState, type TileWrite } from "./tree-state.ts";

export interface FsckReport {
  ok: boolean;
  size: bigint;
  entries: number;
  tilesChecked: number;
  checkpointsChecked: number;
  problems: string[];
}

export async function fsckLog(opts: { store: LogStore; keys: LogKeys; logId: number; proofs: ProofSource; pageSize?: number; maxProblems?: number }): Promise<FsckReport> {
  const { store, keys, logId, proofs } = opts;
  const pageSize = opts.pageSize ?? 5000;
  const maxProblems = opts.maxProblems ?? 50;
  const problems: string[] = [];
  const problem = (p: string) => {
    if (problems.length < maxProblems) problems.push(p);
  };
  const head = await store.readHead(logId);

  // Roots at every checkpointed size, computed while streaming the entries.
  const checkpointSizes = new Set<bigint>();
  for await (const cp of store.allCheckpoints(logId)) checkpointSizes.add(cp.size);
  const rootsAt = new Map<bigint, Buffer>();
  const tree = TreeState.empty();
  if (checkpointSizes.has(0n)) rootsAt.set(0n, Buffer.from(tree.root()));

  let tilesChecked = 0;
  const latestTiles = new Map<string, TileWrite>();
  const compareFull = async (writes: TileWrite[]) => {
    const full = writes.filter((w) => w.hashes.length === 256 * 32);
    if (full.length === 0) return;
    const stored = await store.readTiles(logId, full);
    const byKey = new Map(stored.map((t) => [`${t.level}/${t.index}`, t]));
    for (const w of full) {
      tilesChecked++;
      const s = byKey.get(`${w.level}/${w.index}`);
      if (!s) problem(`tile ${w.level}/${w.index} is missing`);
      else if (s.width !== 256 || !s.hashes.equals(w.hashes)) problem(`tile ${w.level}/${w.index} differs from the recomputed one`);
    }
  };

  let expected = 0n;
  for (let start = 0n; start < head.size; start += BigInt(pageSize)) {
    const page = await store.entriesInRange(logId, start, start + BigInt(pageSize) > head.size ? head.size : start + BigInt(pageSize));
    const hashes: Buffer[] = [];
    for (const e of page) {
      if (e.index !== expected) {
        problem(`index gap: expected ${expected}, found ${e.index}`);
        expected = e.index;
      }
      const h = leafHash(e.body);
      if (!h.equals(e.leafHash)) problem(`entry ${e.index}: stored leaf hash is not SHA-256(0x00 ‖ body)`);
      hashes.push(h);
      expected++;
    }
    // Append one by one where a checkpoint size falls inside the page, so its root can be taken.
    let batch: Buffer[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const writes = tree.append(batch);
      for (const w of writes) latestTiles.set(`${w.level}/${w.index}`, w);
      await compareFull(writes);
      batch = [];
    };
    for (const h of hashes) {
      batch.push(h);
      if (checkpointSizes.has(tree.size + BigInt(batch.length))) {
        await flush();
        rootsAt.set(tree.size, Buffer.from(tree.root()));
      }
    }
    await flush();
  }
  if (expected !== head.size) problem(`the log holds ${expected} entries but the tree head says ${head.size}`);

  // Partial tiles at the head size: the stored tile must start with the recomputed hashes.
  const partial = [...latestTiles.values()].filter((w) => w.hashes.length < 256 * 32);
  for (const s of await store.readTiles(logId, partial)) {
    tilesChecked++;
    const w = latestTiles.get(`${s.level}/${s.index}`)!;
    if (!s.hashes.subarray(0, w.hashes.length).equals(w.hashes)) problem(`partial tile ${s.level}/${s.index} differs from the recomputed one`);
  }
  const root = Buffer.from(tree.root());
  if (!root.equals(head.rootHash)) problem(`recomputed root ${root.toString("hex")} differs from the tree head's`);

  let checkpointsChecked = 0;
  let previous: { size: bigint; rootHash: Buffer } | undefined;
  for await (const cp of store.allCheckpoints(logId)) {
    checkpointsChecked++;
    try {
      const { checkpoint } = await verifyCheckpoint(cp.note, [keys.noteVerifier], { origin: keys.origin });
      if (checkpoint.size !== cp.size || !Buffer.from(checkpoint.rootHash).equals(cp.rootHash)) problem(`checkpoint ${cp.size}: the note does not match its row`);
    } catch (e) {
      problem(`checkpoint ${cp.size}: signature or format invalid (${(e as Error).message})`);
    }
    const expectedRoot = rootsAt.get(cp.size);
    if (cp.size > head.size) problem(`checkpoint ${cp.size} is beyond the tree head`);
    else if (!expectedRoot || !expectedRoot.equals(cp.rootHash)) problem(`checkpoint ${cp.size}: root differs from the recomputed tree at that size`);
    if (previous && previous.size > 0n && cp.size <= head.size) {
      try {
        const proof = await proofs.consistency(previous.size, cp.size);
        verifyConsistency({ size1: previous.size, size2: cp.size, root1: previous.rootHash, root2: cp.rootHash, proof });
      } catch (e) {
        problem(`checkpoints ${previous.size} → ${cp.size}: consistency proof failed (${(e as Error).message})`);
      }
    }
    previous = cp;
  }
  if (head.checkpoint === null) problem("the tree head has no checkpoint");

  return { ok: problems.length === 0, size: head.size, entries: Number(expected), tilesChecked, checkpointsChecked, problems };
}
