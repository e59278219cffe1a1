/**
 * CA issuance throughput, in process (no HTTP yet): proof-of-possession check, key policy, SCT from a
 * memory CT log that, like Signet's own, logs the PreCert leaf without asking for a signed precertificate,
 * final certificate, one HSM-style CA signature verified against the pinned intermediate key. Reference rows in the same run: the raw signer rate
 * and the DER encoder alone. Goal: ≥ 500 issuances/s.
 *
 *   npx tsx bench/ca.bench.ts            (BENCH_SECONDS=3 per phase by default)
 */
import { generateKeyPairSync, sign } from "node:crypto";
import { rmSync } from "node:fs";
import { FULCIO_OIDS } from "@signet/crypto/x509/fulcio-extensions";
import { createLeafEncoder, randomSerialNumber } from "../apps/api/src/services/ca/certificate.ts";
import { createMemoryCtLog } from "../apps/api/src/services/ca/ct-log.ts";
import { createCertificateAuthority, type IssueRequest } from "../apps/api/src/services/ca/issue.ts";
import { createTestCa } from "../apps/api/src/services/ca/testing.ts";
import type { VerifiedIdentity } from "../apps/api/src/services/oidc/identity.ts";

const SECONDS = Math.min(Math.max(Number(process.env.BENCH_SECONDS ?? 3) || 3, 1), 60);
const CONCURRENCY = 16;
const GOAL = 500;

function identity(i: number): VerifiedIdentity {
  const iss = "https://token.actions.githubusercontent.com";
  const sub = `repo:org/repo${i}:ref:refs/heads/main`;
  return {
    issuer: iss,
    subject: sub,
    san: { kind: "uri", value: `https://github.com/org/repo${i}/.github/workflows/release.yml@refs/heads/main` },
    challenge: sub,
    claims: {},
    extensions: {
      [FULCIO_OIDS.issuerV1]: iss,
      [FULCIO_OIDS.issuer]: iss,
      [FULCIO_OIDS.buildSignerUri]: `https://github.com/org/repo${i}/.github/workflows/release.yml@refs/heads/main`,
      [FULCIO_OIDS.buildSignerDigest]: "a".repeat(40),
      [FULCIO_OIDS.runnerEnvironment]: "github-hosted",
      [FULCIO_OIDS.sourceRepositoryUri]: `https://github.com/org/repo${i}`,
      [FULCIO_OIDS.sourceRepositoryDigest]: "b".repeat(40),
      [FULCIO_OIDS.sourceRepositoryRef]: "refs/heads/main",
      [FULCIO_OIDS.buildTrigger]: "push",
      [FULCIO_OIDS.runInvocationUri]: `https://github.com/org/repo${i}/actions/runs/1/attempts/1`,
    },
  };
}

/** Client requests prepared up front, so the benchmark measures the CA and not the client. */
function requests(n: number): IssueRequest[] {
  return Array.from({ length: n }, (_, i) => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const id = identity(i);
    return {
      identity: id,
      publicKey: new Uint8Array(publicKey.export({ format: "der", type: "spki" })),
      proof: { kind: "challenge", signature: new Uint8Array(sign("sha256", Buffer.from(id.challenge), { key: privateKey, dsaEncoding: "der" })) },
    };
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function timed(concurrency: number, op: (i: number) => Promise<unknown> | unknown): Promise<{ perSecond: number; p50: number; p99: number }> {
  const until = performance.now() + SECONDS * 1000;
  const latencies: number[] = [];
  let n = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        await op(n++);
        latencies.push(performance.now() - t);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { perSecond: Math.round(latencies.length / ((performance.now() - started) / 1000)), p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

function row(label: string, r: { perSecond: number; p50?: number; p99?: number }, unit: string, note = ""): void {
  const lat = r.p50 === undefined ? "" : `  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99!.toFixed(2)} ms`;
  console.log(`${label.padEnd(52)} ${String(r.perSecond).padStart(7)} ${unit}${lat}${note ? `  ${note}` : ""}`);
}

async function main(): Promise<void> {
  const pool = requests(256);
  const results: Record<string, number> = {};
  for (const alg of ["P-256", "P-384"] as const) {
    const testCa = await createTestCa({ intermediateAlgorithm: alg });
    try {
      const signer = testCa.signer("ca-intermediate");
      const ca = createCertificateAuthority({
        rootCert: testCa.ceremony.root.der,
        intermediateCert: testCa.ceremony.intermediate.der,
        signer,
        ctLog: createMemoryCtLog({ signer: testCa.signer("ct-log"), retainSubmissions: false, requestPrecertificate: false }),
      });
      const encoder = createLeafEncoder({ subject: ca.intermediate.subject, subjectKeyId: ca.intermediate.subjectKeyId!, algorithm: alg });
      const tbs = encoder
        .prepare({ serialNumber: randomSerialNumber(), notBefore: 1_800_000_000_000, notAfter: 1_800_000_600_000, publicKey: pool[0]!.publicKey!, san: pool[0]!.identity.san, extensions: pool[0]!.identity.extensions })
        .finalTbs([new Uint8Array(120)]);

      console.log(`── intermediate ${alg} (memory signer: Node OpenSSL, signs then verifies like the HSM signer)`);
      const raw = await timed(CONCURRENCY, () => signer.sign(tbs));
      row(`raw signer: sign ${tbs.length}-byte TBS (reference)`, raw, "signs/s", `→ ceiling ≈ ${Math.round(raw.perSecond)} issuances/s at 1 CA signature each`);
      const enc = await timed(1, (i) => {
        const r = pool[i % pool.length]!;
        const p = encoder.prepare({ serialNumber: randomSerialNumber(), notBefore: 1_800_000_000_000, notAfter: 1_800_000_600_000, publicKey: r.publicKey!, san: r.identity.san, extensions: r.identity.extensions });
        p.precertificateTbs();
        p.tbsWithoutSct();
        return p.finalTbs([new Uint8Array(120)]);
      });
      row("DER encoder: prepare + 3 TBS variants (reference)", enc, "leaves/s");
      const issued = await timed(CONCURRENCY, (i) => ca.issue(pool[i % pool.length]!));
      row(`issue(): PoP + SCT + final + self-checks`, issued, "certs/s", alg === "P-256" ? `goal ≥ ${GOAL}/s: ${issued.perSecond >= GOAL ? "met" : "NOT met"}` : "(P-384 reference)");
      results[`issue_${alg}`] = issued.perSecond;
      results[`issue_${alg}_p50_ms`] = Number(issued.p50.toFixed(2));
      results[`issue_${alg}_p99_ms`] = Number(issued.p99.toFixed(2));
      results[`raw_sign_${alg}`] = raw.perSecond;
      results[`encoder_${alg}`] = enc.perSecond;
    } finally {
      rmSync(testCa.dir, { recursive: true, force: true });
    }
  }
  console.log(JSON.stringify({ bench: "ca", seconds: SECONDS, concurrency: CONCURRENCY, goal: GOAL, ...results }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
