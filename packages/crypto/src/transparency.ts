/**
 * Transparency-log primitives of @signet/crypto: RFC 6962 Merkle proofs, C2SP signed notes,
 * checkpoints, cosignatures and tlog-tiles. Re-exported from `src/index.ts`.
 */
export {
  HASH_SIZE,
  LEAF_HASH_PREFIX,
  NODE_HASH_PREFIX,
  EMPTY_ROOT,
  hashLeaf,
  hashChildren,
  rootFromLeafHashes,
} from "./merkle/rfc6962.ts";
export { MAX_PROOF_HASHES, UINT64_MAX } from "./merkle/tree-math.ts";
export { verifyInclusion, rootFromInclusionProof } from "./merkle/inclusion.ts";
export type { InclusionProof } from "./merkle/inclusion.ts";
export { verifyConsistency } from "./merkle/consistency.ts";
export type { ConsistencyProof } from "./merkle/consistency.ts";
export {
  MemoryTree,
  consistencyProofFrom,
  consistencyProofPlan,
  inclusionProofFrom,
  inclusionProofPlan,
  planNodeIds,
  proofFromPlan,
  rangeNodeIds,
  rootFrom,
  rootPlan,
} from "./merkle/proof.ts";
export type { GetNode, NodeId, ProofPlan } from "./merkle/proof.ts";
export {
  isValidSubtree,
  subtreeConsistencyProofFrom,
  subtreeConsistencyProofPlan,
  subtreeInclusionProofPlan,
  subtreeRootFromInclusionProof,
  verifySubtreeConsistency,
  verifySubtreeInclusion,
} from "./merkle/subtree.ts";
export type { SubtreeConsistencyProof, SubtreeInclusionProof } from "./merkle/subtree.ts";

export {
  MAX_NOTE_SIGNATURES,
  MAX_NOTE_SIZE,
  SIGNATURE_TYPE_COSIGNATURE_V1,
  SIGNATURE_TYPE_ECDSA,
  SIGNATURE_TYPE_ED25519,
  addNoteSignatures,
  computeEcdsaKeyId,
  computeKeyId,
  createEcdsaNoteSigner,
  createEcdsaNoteVerifier,
  createEd25519NoteSigner,
  createEd25519NoteVerifier,
  createNoteVerifierFromVkey,
  formatSignedNote,
  formatVerifierKey,
  isValidKeyName,
  parseSignedNote,
  parseVerifierKey,
  signNote,
  verifySignedNote,
} from "./note/signed-note.ts";
export type {
  NoteSignature,
  NoteSigner,
  NoteVerifier,
  SignFunction,
  SignedNote,
  VerifiedNote,
  VerifierKey,
} from "./note/signed-note.ts";

export {
  MAX_CHECKPOINT_EXTENSIONS,
  MAX_CHECKPOINT_SIZE,
  formatCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  verifyCheckpoint,
} from "./checkpoint/checkpoint.ts";
export type { Checkpoint, VerifiedCheckpoint } from "./checkpoint/checkpoint.ts";

export {
  MAX_COSIGNATURE_TIME,
  cosignatureMessage,
  cosignatureTime,
  createCosignatureSigner,
  createCosignatureVerifier,
} from "./note/cosignature.ts";

export { MAX_TILE_LEVEL, TILE_HEIGHT, TILE_WIDTH, formatTileIndex, formatTilePath, parseTilePath } from "./tiles/tile-path.ts";
export type { EntryBundleTile, HashTile, Tile } from "./tiles/tile-path.ts";
export { MAX_BUNDLE_ENTRY_SIZE, decodeEntryBundle, encodeEntryBundle } from "./tiles/entry-bundle.ts";
export {
  consistencyProofFromTiles,
  inclusionProofFromTiles,
  locateNode,
  nodesFromTiles,
  rootFromTiles,
  tilesForNodes,
  verifyConsistencyFromTiles,
  verifyInclusionFromTiles,
} from "./tiles/tile-client.ts";
export type { FetchCheckpoint, FetchTile, NodeLocation } from "./tiles/tile-client.ts";
