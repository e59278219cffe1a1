/**
 * Test helper: a real HSM sidecar (apps/hsm) on a fresh SoftHSM2 token in a temporary directory.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createHsmClient, readHsmSecret, type HsmClient } from "@signet/hsm/client";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface TestHsm {
  client: HsmClient;
  dataDir: string;
  healthUrl: string;
  /** Stop the sidecar process (the token stays). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Start the sidecar again on the same token. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestHsm(): Promise<TestHsm> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "signet-hsm-"));
  const env: NodeJS.ProcessEnv = { ...process.env, SIGNET_DATA_DIR: dataDir };
  delete env.SOFTHSM2_CONF;
  await promisify(execFile)(TSX, [path.join(ROOT, "apps/hsm/src/init-token.ts")], { cwd: ROOT, env });
  const port = await freePort();
  const healthUrl = `http://127.0.0.1:${port}/healthz`;
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "apps/hsm/src/main.ts")], { cwd: ROOT, env: { ...env, SIGNET_HSM_HEALTH_PORT: String(port) }, stdio: "ignore" });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await fetch(healthUrl)).status === 200) return;
      } catch {}
      if (Date.now() > deadline || child.exitCode !== null) throw new Error("the HSM sidecar did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const kill = async (signal: NodeJS.Signals = "SIGTERM") => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((r) => {
      c.once("exit", () => r());
      c.kill(signal);
    });
  };
  await start();
  const client = createHsmClient({ socketPath: path.join(dataDir, "hsm", "hsm.sock"), secret: readHsmSecret(path.join(dataDir, "hsm", "secret")) });
  return {
    client,
    dataDir,
    healthUrl,
    kill,
    restart: start,
    async stop() {
      await client.close();
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
