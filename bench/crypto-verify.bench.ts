/**
 * Full Sigstore bundle verification latency in Node (verifyBundle: parse, SET or RFC 3161
 * timestamp, certificate chain, SCT, log entry binding, inclusion proof, checkpoint signature,
 * artifact signature, policy), on corpus bundles from sigstore-conformance: a Rekor v1 bundle
 * (happy-path-v0.3) and a Rekor v2 bundle (rekor2-happy-path). The trusted root is parsed once,
 * as a long-running verifier would; each run parses the bundle text again.
 *
 * Run: npx tsx bench/crypto-verify.bench.ts
 */
import { readFileSync } from "node:fs";
import { parseTrustedRoot, verifyBundle } from "../packages/crypto/src/sigstore.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 1000);
const WARMUP = 200;
const GOAL_MS = 5;
const vectors = new URL("../../shared/vectors/", import.meta.url);
const IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function bench(label: string, caseName: string, rootFile: string): Promise<void> {
  const bundle = readFileSync(new URL(`sigstore-conformance/bundle-verify/${caseName}/bundle.sigstore.json`, vectors), "utf8");
  const artifact = readFileSync(new URL("sigstore-conformance/bundle-verify/a.txt", vectors));
  const trustedRoot = parseTrustedRoot(readFileSync(new URL(rootFile, vectors)));
  const policy = { identity: { subjectAlternativeName: IDENTITY, issuer: ISSUER } };
  const once = () => verifyBundle({ bundle, artifact, trustedRoot, policy });
  for (let i = 0; i < WARMUP; i++) await once();
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await once();
    times.push(performance.now() - t);
  }
  const total = performance.now() - started;
  times.sort((a, b) => a - b);
  const p50 = percentile(times, 50);
  const ok = p50 <= GOAL_MS;
  console.log(
    `${label.padEnd(38)} ${(RUNS / (total / 1000)).toFixed(0).padStart(6)} verifications/s   p50 ${p50.toFixed(3)} ms   p95 ${percentile(times, 95).toFixed(3)} ms   goal p50 ≤ ${GOAL_MS} ms ${ok ? "met" : "MISSED"}`,
  );

}

console.log(`verifyBundle, ${RUNS} runs after ${WARMUP} warm-up (Node ${process.version})`);
await bench("Rekor v1 bundle (SET + ECDSA checkpoint)", "happy-path-v0.3", "trusted-roots/public-good-production.trusted_root.json");
await bench("Rekor v2 bundle (TSA + Ed25519 checkpoint)", "rekor2-happy-path", "sigstore-conformance/bundle-verify/rekor2-happy-path/trusted_root.json");
