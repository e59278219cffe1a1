/**
 * npm run bench -- log
 *
 * In one run, on this machine:
 *  1. bulk-loads a 1,000,000-leaf tree (tiles + signed checkpoint) into a throwaway PostgreSQL,
 *  2. starts the real api process on it (with the real HSM sidecar on SoftHSM2),
 *  3. appends real hashedrekord entries (P-256 signatures over SHA-256 digests) over HTTP from 64
 *     concurrent clients: appends/s and append latency p50/p99,
 *  4. measures inclusion proof latency at 1M entries, in-process (tile cache cold and warm) and over HTTP,
 *  5. measures, as the reference, one durable commit per entry on the same PostgreSQL.
 * Goals (issue 4): ≥ 2,500 appends/s with p99 ≤ 1.5 s; inclusion proof p50 ≤ 0.5 ms, p99 ≤ 3 ms.
 */
import crypto from "node:crypto";
import http from "node:http";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { cpuByComponent, describeCpu, machineGauge } from "./lib/cpu.ts";
import { startApiProcess } from "./lib/api-process.ts";
import { jsonPost, runClosedLoop } from "./lib/http-load.ts";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createHsmSigner } from "@signet/hsm/client";
import { createCluster } from "../scripts/lib/postgres.mjs";
import { freePort } from "../scripts/lib/ports.mjs";
import { migrate } from "../apps/api/src/db/migrate.ts";
import { createDb } from "../apps/api/src/db.ts";
import { startTestHsm } from "../apps/api/src/testing/hsm.ts";
import { TreeState } from "../apps/api/src/services/log/tree-state.ts";
import { createLogKeys } from "../apps/api/src/services/log/signing.ts";
import { createLogService } from "../apps/api/src/services/log/log-service.ts";

const TREE_SIZE = Number(process.env.BENCH_LOG_TREE_SIZE ?? 1_000_000);
const CLIENTS = 64;
const APPEND_SECONDS = Number(process.env.BENCH_LOG_SECONDS ?? 20);
const ORIGIN = "bench.signet.test";

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const ms = (x: number) => `${x.toFixed(x < 10 ? 3 : 1)} ms`;

async function bulkLoad(url: string, signer: ReturnType<typeof createHsmSigner>) {
  const t0 = performance.now();
  const tree = TreeState.empty();
  const tiles = new Map<string, { level: number; index: bigint; hashes: Buffer }>();
  const chunk = 65_536;
  for (let i = 0; i < TREE_SIZE; i += chunk) {
    const leaves = Array.from({ length: Math.min(chunk, TREE_SIZE - i) }, (_, j) => crypto.hash("sha256", `leaf ${i + j}`, "buffer"));
    for (const w of tree.append(leaves)) tiles.set(`${w.level}/${w.index}`, w);
  }
  const root = Buffer.from(tree.root());
  const keys = await createLogKeys(ORIGIN, signer);
  const note = await keys.signCheckpoint(tree.size, root);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const { rows } = await c.query(`INSERT INTO logs (origin, root_hash, tree_size, checkpoint_note, version, updated_at) VALUES ($1, $2, $3, $4, 1, now()) RETURNING id`, [ORIGIN, root, String(tree.size), note]);
  const id = rows[0].id;
  const all = [...tiles.values()];
  for (let i = 0; i < all.length; i += 1000) {
    const part = all.slice(i, i + 1000);
    await c.query(`INSERT INTO log_tiles (log_id, level, index, width, hashes) SELECT $1, l, i, w, h FROM unnest($2::int[], $3::bigint[], $4::int[], $5::bytea[]) AS t(l, i, w, h)`, [
      id,
      part.map((t) => t.level),
      part.map((t) => String(t.index)),
      part.map((t) => t.hashes.length / 32),
      part.map((t) => t.hashes),
    ]);
  }
  await c.query(`INSERT INTO checkpoints (log_id, size, root_hash, note) VALUES ($1, $2, $3, $4)`, [id, String(tree.size), root, note]);
  await c.end();
  console.log(`bulk-loaded ${TREE_SIZE.toLocaleString()} leaves (${all.length} tiles) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** Real hashedrekord 0.0.1 proposals: distinct artifacts signed with one P-256 key. */
function makeEntries(n: number): Buffer[] {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pem = Buffer.from(publicKey.export({ type: "spki", format: "pem" }) as string).toString("base64");
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const artifact = crypto.randomBytes(32);
    const digest = crypto.hash("sha256", artifact, "hex");
    const sig = crypto.sign("sha256", artifact, privateKey).toString("base64");
    out.push(Buffer.from(JSON.stringify({ apiVersion: "0.0.1", kind: "hashedrekord", spec: { data: { hash: { algorithm: "sha256", value: digest } }, signature: { content: sig, publicKey: { content: pem } } } })));
  }
  return out;
}

function post(agent: http.Agent, port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: "/api/v1/log/entries", method: "POST", agent, headers: { "content-type": "application/json", "content-length": body.length } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function oneCommitPerEntry(url: string, seconds: number, connections: number) {
  const clients = await Promise.all(Array.from({ length: connections }, async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    return c;
  }));
  await clients[0]!.query(`CREATE TABLE IF NOT EXISTS bench_commit (id bigserial PRIMARY KEY, body bytea NOT NULL)`);
  const body = crypto.randomBytes(1200);
  let n = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(clients.map(async (c) => {
    while (performance.now() < end) {
      await c.query(`INSERT INTO bench_commit (body) VALUES ($1)`, [body]); // autocommit: one fsync'd commit each
      n++;
    }
  }));
  await Promise.all(clients.map((c) => c.end()));
  return n / seconds;
}

async function main() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "signet-bench-log-"));
  chmodSync(tmp, 0o755); // the cluster runs as the postgres user
  const cluster = createCluster({ dir: path.join(tmp, "pg"), port: await freePort() });
  await cluster.start();
  const url = await cluster.ensureDatabase("bench");
  await migrate(url);
  const hsm = await startTestHsm();
  const signer = createHsmSigner(hsm.client, "log", "P-256", { create: true });
  let api: Awaited<ReturnType<typeof startApiProcess>> | undefined;
  try {
    await bulkLoad(url, signer);

    // Inclusion proofs in-process at 1M (the service the api runs), cold then warm tile cache.
    const db = createDb(url);
    const svc = await createLogService({ db, origin: ORIGIN, signer, stateDir: path.join(tmp, "state-inproc") });
    const size = svc.size;
    const sample = (n: number) => Array.from({ length: n }, () => BigInt(Math.floor(Math.random() * Number(size))));
    const timeProofs = async (idx: bigint[]) => {
      const t: number[] = [];
      for (const i of idx) {
        const s = performance.now();
        await svc.inclusionProof(i, size);
        t.push(performance.now() - s);
      }
      return t;
    };
    const cold = await timeProofs(sample(2000));
    await timeProofs(Array.from({ length: Math.ceil(Number(size) / 256) }, (_, k) => BigInt(k * 256))); // touch every level-0 tile once
    const warm = await timeProofs(sample(20_000));
    svc.stop();
    await db.$disconnect();

    // The api process on the same database and HSM.
    api = await startApiProcess({ DATABASE_URL: url, SIGNET_DATA_DIR: hsm.dataDir, SIGNET_LOG_ORIGIN: ORIGIN });
    const port = api.port;

    const entries = makeEntries(Math.ceil(APPEND_SECONDS * 6000));
    const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
    // Warm-up: JIT, connections, tile cache.
    await Promise.all(entries.splice(0, 256).map((e) => post(agent, port, e)));
    const gaugeBefore = machineGauge();
    const cpuBefore = cpuByComponent();
    // A lean closed-loop client (bench/lib/http-load.ts): 64 keep-alive connections, one request in flight each.
    const load = await runClosedLoop({ port, connections: CLIENTS, seconds: APPEND_SECONDS, request: (i) => (i < entries.length ? jsonPost("/api/v1/log/entries", entries[i]!) : undefined) });
    const { latencies, statuses } = load;
    const elapsed = load.seconds;
    const created = statuses.get(201) ?? 0;
    const cpuPerEntry = describeCpu(cpuBefore, cpuByComponent(), created, elapsed);
    const gaugeAfter = machineGauge();

    // Inclusion proofs over HTTP (tRPC query) on the grown tree.
    const httpProof: number[] = [];
    const cp = await (await fetch(`http://127.0.0.1:${port}/api/v1/log`)).json() as { treeSize: number };
    for (let k = 0; k < 2000; k++) {
      const i = Math.floor(Math.random() * cp.treeSize);
      const input = encodeURIComponent(JSON.stringify({ index: String(i), size: String(cp.treeSize) }));
      const s = performance.now();
      const r = await fetch(`http://127.0.0.1:${port}/trpc/log.inclusionProof?input=${input}`);
      await r.arrayBuffer();
      httpProof.push(performance.now() - s);
    }
    agent.destroy();

    const ref1 = await oneCommitPerEntry(url, 5, 1);
    const ref16 = await oneCommitPerEntry(url, 5, 16);

    console.log("");
    console.log(`log bench — tree of ${TREE_SIZE.toLocaleString()} leaves, ${CLIENTS} concurrent HTTP/1.1 keep-alive clients (closed loop), ${APPEND_SECONDS} s, ${os.cpus().length} cores`);
    console.log(`  appends (hashedrekord 0.0.1, P-256, 201 Created): ${Math.round(created / elapsed).toLocaleString()}/s   [goal ≥ 2,500/s; stretch 5,000/s]`);
    console.log(`  append latency: p50 ${ms(pct(latencies, 50))}, p99 ${ms(pct(latencies, 99))}   [goal p99 ≤ 1,500 ms]`);
    console.log(`  responses: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(", ")}`);
    console.log(`  CPU per appended entry: ${cpuPerEntry}`);
    console.log(`  inclusion proof at ${TREE_SIZE.toLocaleString()} (in-process, cold cache): p50 ${ms(pct(cold, 50))}, p99 ${ms(pct(cold, 99))}`);
    console.log(`  inclusion proof at ${TREE_SIZE.toLocaleString()} (in-process, warm cache): p50 ${ms(pct(warm, 50))}, p99 ${ms(pct(warm, 99))}   [goal p50 ≤ 0.5 ms, p99 ≤ 3 ms]`);
    console.log(`  inclusion proof over HTTP (tRPC): p50 ${ms(pct(httpProof, 50))}, p99 ${ms(pct(httpProof, 99))}`);
    console.log(`  reference, one durable commit per entry on the same PostgreSQL: ${Math.round(ref1).toLocaleString()}/s (1 connection), ${Math.round(ref16).toLocaleString()}/s (16 connections)`);
    console.log(`  reference, Tessera's published figure on 2 vCPU: 1,500–2,000/s`);
    console.log(`  machine gauge (P-256 verifies per CPU-second, one thread; lib/cpu.ts): ${Math.round(gaugeBefore).toLocaleString()} before the appends, ${Math.round(gaugeAfter).toLocaleString()} after`);
  } finally {
    await api?.stop();
    await hsm.stop();
    await cluster.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
