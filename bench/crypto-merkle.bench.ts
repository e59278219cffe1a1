/**
 * Inclusion proof + checkpoint verification latency in Node, at tree sizes 1M and 100M.
 *
 * No tree is built: a random leaf and a random proof of the right length for a random index give
 * a root (rootFromInclusionProof), which goes into a really signed checkpoint (Ed25519 as a C2SP
 * log, and ECDSA P-256 as Rekor v1). Each run then does what a verifier does with a bundle entry:
 * parse + verify the signed checkpoint, parse it, verify the inclusion proof against its root.
 *
 * Run: npx tsx bench/crypto-merkle.bench.ts
 */
import {
  createEcdsaNoteSigner,
  createEcdsaNoteVerifier,
  createEd25519NoteSigner,
  createEd25519NoteVerifier,
  inclusionProofPlan,
  rootFromInclusionProof,
  signCheckpoint,
  verifyCheckpoint,
  verifyInclusion,
} from "../packages/crypto/src/transparency.ts";
import type { NoteSigner, NoteVerifier } from "../packages/crypto/src/transparency.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 2000);
const WARMUP = 1000;
const GOAL_MS = 1;

function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(n));
}

function randomIndex(size: bigint): bigint {
  const r = new DataView(randomBytes(8).buffer).getBigUint64(0);
  return r % size;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function keys(): Promise<Record<string, { signer: NoteSigner; verifier: NoteVerifier }>> {
  const ed = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const edPub = new Uint8Array(await crypto.subtle.exportKey("raw", ed.publicKey));
  const ec = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", ec.publicKey));
  return {
    ed25519: {
      signer: createEd25519NoteSigner({
        name: "bench.signet.example/log",
        publicKey: edPub,
        sign: async (m) => new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, ed.privateKey, m)),
      }),
      verifier: await createEd25519NoteVerifier({ name: "bench.signet.example/log", publicKey: edPub }),
    },
    "ecdsa-p256": {
      signer: createEcdsaNoteSigner({
        name: "bench.signet.example/log",
        spki,
        sign: async (m) => new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, ec.privateKey, m)),
      }),
      verifier: await createEcdsaNoteVerifier({ name: "bench.signet.example/log", spki }),
    },
  };
}

interface Sample {
  proof: number[];
  checkpoint: number[];
  total: number[];
}

interface Case {
  index: bigint;
  size: bigint;
  leafHash: Uint8Array;
  proof: Uint8Array[];
  note: string;
  verifier: NoteVerifier;
}

async function prepare(size: bigint, signer: NoteSigner, verifier: NoteVerifier): Promise<Case> {
  const index = size - 1n - randomIndex(size / 2n); // right half: the longest proofs near the border
  const proofLength = inclusionProofPlan(index, size).length;
  const leafHash = randomBytes(32);
  const proof = Array.from({ length: proofLength }, () => randomBytes(32));
  const rootHash = rootFromInclusionProof({ index, size, leafHash, proof });
  const note = await signCheckpoint({ origin: "bench.signet.example/log", size, rootHash }, [signer]);
  return { index, size, leafHash, proof, note, verifier };
}

async function measure(c: Case, runs: number): Promise<Sample> {
  const sample: Sample = { proof: [], checkpoint: [], total: [] };
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const { checkpoint } = await verifyCheckpoint(c.note, [c.verifier]);
    const t1 = performance.now();
    verifyInclusion({ index: c.index, size: checkpoint.size, leafHash: c.leafHash, proof: c.proof, root: checkpoint.rootHash });
    const t2 = performance.now();
    sample.checkpoint.push(t1 - t0);
    sample.proof.push(t2 - t1);
    sample.total.push(t2 - t0);
  }
  return sample;
}

const fmt = (ms: number) => `${(ms * 1000).toFixed(1).padStart(7)} µs`;

async function main(): Promise<void> {
  console.log(`crypto-merkle bench: Node ${process.version}, ${RUNS} runs after ${WARMUP} warm-up, @noble/hashes SHA-256, WebCrypto signatures`);
  console.log(`goal: inclusion proof + checkpoint verification ≤ ${GOAL_MS} ms (p99, per entry)`);
  const allKeys = await keys();
  const cases: [string, string, Case][] = [];
  for (const [label, size] of [["1M", 1_000_000n], ["100M", 100_000_000n]] as const) {
    for (const [alg, k] of Object.entries(allKeys)) cases.push([label, alg, await prepare(size, k.signer, k.verifier)]);
  }
  // Warm every code path (JIT, WebCrypto's worker threads) before measuring any of them.
  for (const [, , c] of cases) await measure(c, WARMUP);
  let worstP99 = 0;
  for (const [label, alg, c] of cases) {
    const s = await measure(c, RUNS);
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const [p, cp, t] = [sorted(s.proof), sorted(s.checkpoint), sorted(s.total)];
    worstP99 = Math.max(worstP99, percentile(t, 99));
    console.log(
      `size ${label.padEnd(4)} ${alg.padEnd(10)} proof ${String(c.proof.length).padStart(2)} hashes | ` +
        `inclusion p50 ${fmt(percentile(p, 50))} p99 ${fmt(percentile(p, 99))} | ` +
        `checkpoint p50 ${fmt(percentile(cp, 50))} p99 ${fmt(percentile(cp, 99))} | ` +
        `total p50 ${fmt(percentile(t, 50))} p99 ${fmt(percentile(t, 99))}`,
    );
  }
  console.log(`goal: proof + checkpoint ≤ ${GOAL_MS} ms — worst p99 ${(worstP99).toFixed(3)} ms: ${worstP99 <= GOAL_MS ? "MET" : "MISSED"}`);
}

await main();
