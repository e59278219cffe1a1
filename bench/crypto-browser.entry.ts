/**
 * Browser entry for bench/crypto-browser.bench.ts: verify corpus bundles repeatedly inside Chromium
 * and report the latencies (bundled by e2e/harness/browser-bundle.ts).
 */
import { parseTrustedRoot, verifyBundle } from "../packages/crypto/src/sigstore.ts";

const IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";

export async function run(f: Record<string, string | Uint8Array>) {
  const runs = Number(f["runs"] ?? 300);
  const out: Record<string, { p50: number; p99: number; perSecond: number }> = {};
  for (const name of ["v1", "v2"]) {
    const bundle = f[`${name}.json`] as string;
    const trustedRoot = parseTrustedRoot(f[`${name}.root`] as string);
    const artifact = f["artifact"] as Uint8Array;
    const policy = { identity: { subjectAlternativeName: IDENTITY, issuer: ISSUER } };
    const once = () => verifyBundle({ bundle, artifact, trustedRoot, policy });
    for (let i = 0; i < 50; i++) await once();
    const times: number[] = [];
    const start = performance.now();
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await once();
      times.push(performance.now() - t);
    }
    const total = performance.now() - start;
    times.sort((a, b) => a - b);
    out[name] = { p50: times[Math.floor(runs / 2)]!, p99: times[Math.floor(runs * 0.99)]!, perSecond: (runs / total) * 1000 };
  }
  return out;
}
