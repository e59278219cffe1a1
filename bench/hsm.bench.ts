/**
 * HSM sidecar throughput: P-256 signatures per second through the Unix socket (concurrency 16),
 * with raw pkcs11js in the same run as the reference for what the token itself can do.
 *
 *   npx tsx bench/hsm.bench.ts            (BENCH_SECONDS=3 per phase by default)
 *
 * Uses a throw-away SoftHSM2 token in a temp directory; prints a table and one JSON line.
 */
import { spawn } from "node:child_process";
import { hash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pkcs11js from "pkcs11js";
import { createHsmClient, createHsmSigner, readHsmSecret } from "../apps/hsm/src/client.ts";
import { loadHsmEnv, repoRoot } from "../apps/hsm/src/env.ts";
import { initHsm, resolvePin } from "../apps/hsm/src/softhsm.ts";

const SECONDS = Math.min(Math.max(Number(process.env.BENCH_SECONDS ?? 3) || 3, 1), 60);
const CONCURRENCY = 16;

async function timed(label: string, concurrency: number, op: (worker: number) => Promise<unknown> | unknown) {
  const until = performance.now() + SECONDS * 1000;
  let count = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < until) {
        await op(worker);
        count++;
      }
    }),
  );
  const perSecond = Math.round(count / ((performance.now() - started) / 1000));
  console.log(`${label.padEnd(58)} ${String(perSecond).padStart(7)} signs/s`);
  return perSecond;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "signet-hsm-bench-"));
  const env = loadHsmEnv({ SIGNET_DATA_DIR: dataDir, SIGNET_HSM_HEALTH_PORT: "0" });
  const childEnv: NodeJS.ProcessEnv = { ...process.env, SIGNET_DATA_DIR: dataDir, SIGNET_HSM_HEALTH_PORT: "0" };
  for (const k of ["SOFTHSM2_CONF", "SIGNET_HSM_PIN", "SIGNET_HSM_MODULE", "SIGNET_HSM_SOCKET", "SIGNET_HSM_SECRET_FILE"]) delete childEnv[k];
  initHsm(env);

  const sidecar = spawn(process.execPath, ["--import", "tsx", "apps/hsm/src/main.ts"], {
    cwd: repoRoot(),
    env: childEnv,
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("sidecar did not start within 30 s")), 30_000);
      sidecar.stdout!.on("data", (d: Buffer) => {
        if (d.toString().includes("hsm: listening on")) {
          clearTimeout(t);
          resolve();
        }
      });
      sidecar.once("exit", (code) => reject(new Error(`sidecar exited with ${code}`)));
    });
    const client = createHsmClient({ socketPath: env.socketPath, secret: readHsmSecret(env.secretFile) });
    await client.ensureKey("bench-p256", "P-256");
    const digest = hash("sha256", randomBytes(64), "buffer");
    const signer = createHsmSigner(client, "bench-p256", "P-256");
    const data = randomBytes(512);

    // Warm up both processes (JIT, first session use) so the first phase is not penalised.
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      for (let i = 0; i < 50; i++) await signer.sign(data);
    }));

    console.log(`SoftHSM2 P-256, ${SECONDS} s per phase, sidecar pool ${env.poolSize} sessions`);
    const socketRaw = await timed(`socket: client.sign (digest → raw r‖s), concurrency ${CONCURRENCY}`, CONCURRENCY, () =>
      client.sign("bench-p256", digest),
    );
    const socketSigner = await timed(`socket: HSM Signer (hash, sign, DER, self-verify), conc. ${CONCURRENCY}`, CONCURRENCY, () =>
      signer.sign(data),
    );
    await client.close();

    // The reference: the same token through pkcs11js in this process, no socket, no pool logic.
    process.env.SOFTHSM2_CONF = env.softhsmConf;
    const p = new pkcs11js.PKCS11();
    p.load(env.modulePath);
    p.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    let rawSync = 0;
    let rawAsync = 0;
    try {
      const slot = p.C_GetSlotList(true).find((s) => p.C_GetTokenInfo(s).label.trim() === env.tokenLabel)!;
      const sessions = Array.from({ length: env.poolSize }, () => p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION));
      p.C_Login(sessions[0]!, pkcs11js.CKU_USER, resolvePin(env));
      p.C_FindObjectsInit(sessions[0]!, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_LABEL, value: "bench-p256" },
      ]);
      const key = p.C_FindObjects(sessions[0]!, 1)[0]!;
      p.C_FindObjectsFinal(sessions[0]!);
      rawSync = await timed("raw pkcs11js: C_Sign, 1 session, synchronous", 1, () => {
        p.C_SignInit(sessions[0]!, { mechanism: pkcs11js.CKM_ECDSA }, key);
        p.C_Sign(sessions[0]!, digest, Buffer.alloc(64));
      });
      rawAsync = await timed(`raw pkcs11js: C_SignAsync, ${env.poolSize} sessions`, env.poolSize, async (worker) => {
        const s = sessions[worker]!; // one operation per session at a time
        p.C_SignInit(s, { mechanism: pkcs11js.CKM_ECDSA }, key);
        await p.C_SignAsync(s, digest, Buffer.alloc(64));
      });
    } finally {
      p.C_Finalize();
    }
    console.log(
      JSON.stringify({
        bench: "hsm",
        curve: "P-256",
        seconds: SECONDS,
        socketConcurrency: CONCURRENCY,
        socketSignsPerSec: socketRaw,
        socketSignerSignsPerSec: socketSigner,
        rawSyncSignsPerSec: rawSync,
        rawAsyncSignsPerSec: rawAsync,
      }),
    );
  } finally {
    sidecar.kill("SIGTERM");
    await new Promise((r) => (sidecar.exitCode !== null ? r(undefined) : sidecar.once("exit", r)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
