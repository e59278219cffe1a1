/**
 * The sidecar as the start script runs it (init-token, then main.ts as a child process) against a
 * REAL SoftHSM2 token created in a temp directory; the client and signer as the api uses them.
 */
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createHash, createPublicKey, randomBytes, verify } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pkcs11js from "pkcs11js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHsmClient, createHsmSigner, readHsmSecret } from "./client.ts";
import type { HsmClient } from "./client.ts";
import { loadHsmEnv, repoRoot } from "./env.ts";
import type { HsmEnv } from "./env.ts";
import { resolvePin } from "./softhsm.ts";

const ROOT = repoRoot();
let dataDir: string;
let env: HsmEnv;
let childEnv: NodeJS.ProcessEnv;
let sidecar: ChildProcess | undefined;
let client: HsmClient;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function runInit(): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "apps/hsm/src/init-token.ts"], {
    cwd: ROOT,
    env: childEnv,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Start main.ts; resolves once it prints its listening line, or with its exit code if it exits first. */
function startSidecar(): Promise<{ child: ChildProcess; exitCode?: number; output: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "apps/hsm/src/main.ts"], {
    cwd: ROOT,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`sidecar did not start within 30 s:\n${output}`));
    }, 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes("hsm: listening on")) {
        clearTimeout(timer);
        resolve({ child, output });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ child, exitCode: code ?? -1, output });
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code: string }).code;
  }
  return "resolved";
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "signet-hsm-it-"));
  childEnv = { ...process.env, SIGNET_DATA_DIR: dataDir, SIGNET_HSM_HEALTH_PORT: String(await freePort()) };
  // The embedded defaults, whatever the developer's shell has set.
  for (const k of ["SOFTHSM2_CONF", "SIGNET_HSM_PIN", "SIGNET_HSM_MODULE", "SIGNET_HSM_SOCKET", "SIGNET_HSM_SECRET_FILE", "SIGNET_HSM_TOKEN_LABEL"]) {
    delete childEnv[k];
  }
  env = loadHsmEnv(childEnv);
  const init = runInit();
  expect(init.stderr).toBe("");
  expect(init.status).toBe(0);
  const started = await startSidecar();
  expect(started.exitCode, started.output).toBeUndefined();
  sidecar = started.child;
  client = createHsmClient({ socketPath: env.socketPath, secret: readHsmSecret(env.secretFile) });
});

afterAll(async () => {
  await client?.close();
  if (sidecar && sidecar.exitCode === null && sidecar.signalCode === null) {
    sidecar.kill("SIGKILL");
    await exited(sidecar);
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("init-token", () => {
  it("creates the token files with mode 0600 and is idempotent", () => {
    for (const f of [env.pinFile, env.soPinFile, env.secretFile, env.softhsmConf!]) {
      expect(statSync(f).mode & 0o777, f).toBe(0o600);
    }
    expect(statSync(env.hsmDir).mode & 0o777).toBe(0o700);
    const again = runInit();
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/^hsm: token "signet" ready in .* \(nothing to do\)\n$/);
    expect(again.stdout).not.toContain(readHsmSecret(env.pinFile));
  });
});

describe("the sidecar with a real SoftHSM2 token", () => {
  it("listens on a 0600 socket and reports health over HTTP", async () => {
    expect(statSync(env.socketPath).mode & 0o777).toBe(0o600);
    const res = await fetch(`http://127.0.0.1:${env.healthPort}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", token: "signet" });
  });

  it.each([
    ["P-256", "sha256", "prime256v1"],
    ["P-384", "sha384", "secp384r1"],
  ] as const)("ensures a %s key and signs with it; node:crypto verifies the DER signature", async (alg, hashAlg, curve) => {
    const label = `it-${alg.toLowerCase()}`;
    const first = await client.ensureKey(label, alg);
    expect(first.created).toBe(true);
    const again = await client.ensureKey(label, alg);
    expect(again.created).toBe(false);
    expect(Buffer.from(again.spki).equals(Buffer.from(first.spki))).toBe(true);
    const key = createPublicKey({ key: Buffer.from(first.spki), format: "der", type: "spki" });
    expect(key.asymmetricKeyDetails?.namedCurve).toBe(curve);

    const signer = createHsmSigner(client, label, alg, { pinnedPublicKey: first.spki });
    const data = randomBytes(1000);
    const der = await signer.sign(data);
    expect(verify(hashAlg, data, { key, dsaEncoding: "der" }, der)).toBe(true);
    expect(verify(hashAlg, randomBytes(1000), { key, dsaEncoding: "der" }, der)).toBe(false);
    expect(await codeOf(client.ensureKey(label, alg === "P-256" ? "P-384" : "P-256"))).toBe("ERR_HSM_KEY_MISMATCH");
    expect((await client.listKeys()).find((k) => k.label === label)).toEqual({ label, algorithm: alg });
  });

  it("generated the private keys non-extractable: reading CKA_VALUE fails", () => {
    // A separate PKCS#11 application (this test process) on the same token store.
    process.env.SOFTHSM2_CONF = env.softhsmConf;
    const p = new pkcs11js.PKCS11();
    p.load(env.modulePath);
    p.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    try {
      const slot = p.C_GetSlotList(true).find((s) => p.C_GetTokenInfo(s).label.trim() === "signet")!;
      const s = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
      p.C_Login(s, pkcs11js.CKU_USER, resolvePin(env));
      for (const label of ["it-p-256", "it-p-384"]) {
        p.C_FindObjectsInit(s, [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
          { type: pkcs11js.CKA_LABEL, value: label },
        ]);
        const found = p.C_FindObjects(s, 10);
        p.C_FindObjectsFinal(s);
        expect(found).toHaveLength(1);
        let readError: unknown;
        try {
          p.C_GetAttributeValue(s, found[0]!, [{ type: pkcs11js.CKA_VALUE }]);
        } catch (e) {
          readError = e;
        }
        expect((readError as { message?: string })?.message).toBe("CKR_ATTRIBUTE_SENSITIVE");
        const [extractable, neverExtractable, alwaysSensitive, token] = p
          .C_GetAttributeValue(s, found[0]!, [
            { type: pkcs11js.CKA_EXTRACTABLE },
            { type: pkcs11js.CKA_NEVER_EXTRACTABLE },
            { type: pkcs11js.CKA_ALWAYS_SENSITIVE },
            { type: pkcs11js.CKA_TOKEN },
          ])
          .map((a) => a.value[0]);
        expect({ extractable, neverExtractable, alwaysSensitive, token }).toEqual({
          extractable: 0,
          neverExtractable: 1,
          alwaysSensitive: 1,
          token: 1,
        });
      }
      p.C_Logout(s);
      p.C_CloseSession(s);
    } finally {
      p.C_Finalize();
    }
  });

  it("runs 200 concurrent signatures with P-256 and P-384 keys interleaved; every one verifies under its own key (B7)", async () => {
    const s256 = createHsmSigner(client, "it-p-256", "P-256");
    const s384 = createHsmSigner(client, "it-p-384", "P-384");
    const k256 = createPublicKey({ key: Buffer.from(await s256.publicKey()), format: "der", type: "spki" });
    const k384 = createPublicKey({ key: Buffer.from(await s384.publicKey()), format: "der", type: "spki" });
    const inputs = Array.from({ length: 200 }, (_, i) => ({ p384: i % 3 === 0, data: randomBytes(64) }));
    const sigs = await Promise.all(inputs.map((x) => (x.p384 ? s384 : s256).sign(x.data)));
    const bad = inputs.filter(
      (x, i) => !verify(x.p384 ? "sha384" : "sha256", x.data, { key: x.p384 ? k384 : k256, dsaEncoding: "der" }, sigs[i]!),
    );
    expect(bad).toHaveLength(0);
  });

  it("signs a batch of digests in order on the token, and refuses the whole batch when one digest does not fit the key", async () => {
    const key = createPublicKey({ key: Buffer.from((await client.publicKey("it-p-256")).spki), format: "der", type: "spki" });
    const data = Array.from({ length: 64 }, () => randomBytes(20));
    const raws = await client.signBatch("it-p-256", data.map((d) => createHash("sha256").update(d).digest()));
    expect(raws).toHaveLength(64);
    // Each raw r‖s verifies over its own input, so the answers are in request order.
    expect(raws.every((raw, i) => verify("sha256", data[i]!, { key, dsaEncoding: "ieee-p1363" }, raw))).toBe(true);
    expect(await codeOf(client.signBatch("it-p-256", [randomBytes(32), randomBytes(48)]))).toBe("ERR_HSM_BAD_REQUEST");
    // Digests of one length, but not the key's: the token refuses the whole batch.
    expect(await codeOf(client.signBatch("it-p-256", [randomBytes(48), randomBytes(48)]))).toBe("ERR_HSM_BAD_REQUEST");
  });

  it("rejects a wrong secret with ERR_HSM_UNAUTHORIZED and unknown labels with ERR_HSM_KEY_NOT_FOUND", async () => {
    const intruder = createHsmClient({ socketPath: env.socketPath, secret: randomBytes(32).toString("hex") });
    try {
      expect(await codeOf(intruder.sign("it-p-256", new Uint8Array(32)))).toBe("ERR_HSM_UNAUTHORIZED");
      expect(await codeOf(intruder.health())).toBe("ERR_HSM_UNAUTHORIZED");
    } finally {
      await intruder.close();
    }
    expect(await codeOf(client.sign("no-such-key", new Uint8Array(32)))).toBe("ERR_HSM_KEY_NOT_FOUND");
    expect(await codeOf(createHsmSigner(client, "no-such-key", "P-256").sign(Uint8Array.of(1)))).toBe("ERR_HSM_KEY_NOT_FOUND");
  });

  it("fails closed while the token's files are gone under a signing load, and recovers by itself (B5)", async () => {
    // The sidecar signs with session copies of the keys here (the embedded default); they must not outlive the token.
    expect(env.keyCopies).toBe(true);
    const key = createPublicKey({ key: Buffer.from((await client.publicKey("it-p-256")).spki), format: "der", type: "spki" });
    const digest = createHash("sha256").update("x").digest();
    let stop = false;
    const outcomes: Array<{ at: number; ok: boolean; code?: string }> = [];
    const load = (async () => {
      while (!stop) {
        const r = await client.signBatch("it-p-256", [digest, digest]).then(
          (raws) => ({ at: Date.now(), ok: raws.every((raw) => verify("sha256", Buffer.from("x"), { key, dsaEncoding: "ieee-p1363" }, raw)) }),
          (e: { code?: string }) => ({ at: Date.now(), ok: false, code: e.code }),
        );
        outcomes.push(r);
        if (!r.ok) await new Promise((res) => setTimeout(res, 5));
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    const [dir] = readdirSync(env.tokenDir);
    const aside = path.join(env.hsmDir, "token-aside");
    renameSync(path.join(env.tokenDir, dir!), aside);
    const removedAt = Date.now();
    try {
      await new Promise((r) => setTimeout(r, 500));
      const during = outcomes.filter((o) => o.at > removedAt + 50);
      expect(during.length).toBeGreaterThan(0);
      expect(during.filter((o) => o.ok)).toHaveLength(0);
      // Nothing was signed from a copy that outlived its token.
      expect(new Set(during.map((o) => o.code))).toEqual(new Set(["ERR_HSM_UNAVAILABLE"]));
    } finally {
      renameSync(aside, path.join(env.tokenDir, dir!));
    }
    const back = Date.now();
    while (!outcomes.some((o) => o.at > back && o.ok) && Date.now() - back < 60_000) await new Promise((r) => setTimeout(r, 50));
    stop = true;
    await load;
    expect(outcomes.filter((o) => o.at > back && o.ok).length).toBeGreaterThan(0);
  });

  it("refuses to start a second sidecar on the same socket (exit 2), leaving the first one serving", async () => {
    const second = await startSidecar();
    expect(second.exitCode, second.output).toBe(2);
    expect(second.output).toContain("already listening");
    expect((await client.health()).status).toBe("ok");
  });

  it("fails within 5 s with ERR_HSM_UNAVAILABLE when the sidecar dies, and recovers by itself after a restart", async () => {
    const signer = createHsmSigner(client, "it-p-256", "P-256");
    await signer.sign(Uint8Array.of(1));
    sidecar!.kill("SIGKILL");
    await exited(sidecar!);
    expect(existsSync(env.socketPath)).toBe(true); // a stale socket, left by the crash

    const started = Date.now();
    expect(await codeOf(signer.sign(Uint8Array.of(2)))).toBe("ERR_HSM_UNAVAILABLE");
    expect(await codeOf(client.health())).toBe("ERR_HSM_UNAVAILABLE");
    expect(Date.now() - started).toBeLessThan(5_000);

    const restarted = await startSidecar();
    expect(restarted.exitCode, restarted.output).toBeUndefined();
    sidecar = restarted.child;
    // Same client object, no reconnect call: the next request finds the new sidecar.
    const data = randomBytes(32);
    const der = await signer.sign(data);
    expect(verify("sha256", data, { key: Buffer.from(await signer.publicKey()), format: "der", type: "spki", dsaEncoding: "der" }, der)).toBe(true);
  });

  it("shuts down gracefully on SIGTERM: exit 0 and the socket removed", async () => {
    sidecar!.kill("SIGTERM");
    expect(await exited(sidecar!)).toBe(0);
    expect(existsSync(env.socketPath)).toBe(false);
    expect(await codeOf(client.health())).toBe("ERR_HSM_UNAVAILABLE");
  });
});
