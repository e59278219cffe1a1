// The key ceremony, issuance and timestamping against a REAL HSM: SoftHSM2 behind the apps/hsm sidecar
// (init-token, then main.ts as a child process), reached with the sidecar client exactly as the api will.
// Also the fail-closed goal G-S1: with the sidecar gone, issuance answers 503 fast; when it is back, it
// issues again without a restart.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createPublicKey, generateKeyPairSync, sign, X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHsmClient, createHsmSigner, readHsmSecret, type HsmClient } from "@signet/hsm/client";
import { parseTimestampResponse } from "@signet/crypto/timestamp/rfc3161";
import { parseCertificate } from "@signet/crypto/x509/certificate";
import { FULCIO_OIDS } from "@signet/crypto/x509/fulcio-extensions";
import type { VerifiedIdentity } from "../oidc/identity.ts";
import { createTimestampAuthority, parseTimestampJsonRequest } from "../tsa/rfc3161.ts";
import { KEY_LABELS, runKeyCeremony, type CeremonyResult } from "./ceremony.ts";
import { createMemoryCtLog } from "./ct-log.ts";
import { createCertificateAuthority, type CertificateAuthority } from "./issue.ts";
import { checkLeafProfile } from "./profile.ts";

const ROOT = process.cwd();
const hasSoftHsm = existsSync("/usr/lib/softhsm/libsofthsm2.so") && existsSync(path.join(ROOT, "apps/hsm/src/main.ts"));

let dataDir: string;
let childEnv: NodeJS.ProcessEnv;
let sidecar: ChildProcess | undefined;
let client: HsmClient;
let ceremony: CeremonyResult;
let ca: CertificateAuthority;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function startSidecar(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "apps/hsm/src/main.ts"], { cwd: ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`sidecar did not start:\n${output}`));
    }, 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes("hsm: listening on")) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`sidecar exited with ${code}:\n${output}`));
    });
  });
}

async function stopSidecar(): Promise<void> {
  const child = sidecar;
  sidecar = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

function identity(): VerifiedIdentity {
  const iss = "https://accounts.example.test";
  return {
    issuer: iss,
    subject: "s",
    san: { kind: "email", value: "hsm@example.test" },
    challenge: "hsm@example.test",
    claims: {},
    extensions: { [FULCIO_OIDS.issuerV1]: iss, [FULCIO_OIDS.issuer]: iss },
  };
}

function request() {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const id = identity();
  return {
    identity: id,
    publicKey: new Uint8Array(publicKey.export({ format: "der", type: "spki" })),
    proof: { kind: "challenge" as const, signature: new Uint8Array(sign("sha256", Buffer.from(id.challenge), { key: privateKey, dsaEncoding: "der" })) },
  };
}

describe.skipIf(!hasSoftHsm)("the CA on SoftHSM2 through the sidecar", () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "signet-ca-hsm-it-"));
    childEnv = { ...process.env, SIGNET_DATA_DIR: dataDir, SIGNET_HSM_HEALTH_PORT: String(await freePort()) };
    for (const k of ["SOFTHSM2_CONF", "SIGNET_HSM_PIN", "SIGNET_HSM_MODULE", "SIGNET_HSM_SOCKET", "SIGNET_HSM_SECRET_FILE", "SIGNET_HSM_TOKEN_LABEL"]) delete childEnv[k];
    const init = spawnSync(process.execPath, ["--import", "tsx", "apps/hsm/src/init-token.ts"], { cwd: ROOT, env: childEnv, encoding: "utf8", timeout: 60_000 });
    expect(init.status, init.stderr).toBe(0);
    sidecar = await startSidecar();
    client = createHsmClient({ socketPath: path.join(dataDir, "hsm", "hsm.sock"), secret: readHsmSecret(path.join(dataDir, "hsm", "secret")), timeoutMs: 3000 });
    ceremony = await runKeyCeremony({ keyStore: client, dir: path.join(dataDir, "ca") });
    ca = createCertificateAuthority({
      rootCert: ceremony.root.der,
      intermediateCert: ceremony.intermediate.der,
      signer: createHsmSigner(client, KEY_LABELS.caIntermediate, "P-256", { pinnedPublicKey: ceremony.publicKeys[KEY_LABELS.caIntermediate] }),
      ctLog: createMemoryCtLog({ signer: createHsmSigner(client, KEY_LABELS.ctLog, "P-256") }),
    });
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await stopSidecar();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("creates the keys on the token and the certificates once", async () => {
    expect(ceremony.created).toEqual(["root", "intermediate", "tsa"]);
    const labels = (await client.listKeys()).map((k) => `${k.label}:${k.algorithm}`).sort();
    expect(labels).toEqual(["ca-intermediate:P-256", "ca-root:P-384", "ct-log:P-256", "log:P-256", "tsa:P-256"]);
    const again = await runKeyCeremony({ keyStore: client, dir: path.join(dataDir, "ca") });
    expect(again.created).toEqual([]);
    expect(Buffer.from(again.root.der)).toEqual(Buffer.from(ceremony.root.der));
  });

  it("issues certificates signed in the HSM", async () => {
    const r = await ca.issue(request());
    const leaf = parseCertificate(r.certificate);
    checkLeafProfile(leaf, [ceremony.intermediate.cert, ceremony.root.cert]);
    expect(new X509Certificate(r.certificate).verify(createPublicKey({ key: Buffer.from(ceremony.intermediate.cert.publicKey.spki), format: "der", type: "spki" }))).toBe(true);
  });

  it("keeps 200 concurrent issuances apart on the sidecar's session pool (SECURITY.md B7)", async () => {
    const key = createPublicKey({ key: Buffer.from(ceremony.intermediate.cert.publicKey.spki), format: "der", type: "spki" });
    const reqs = Array.from({ length: 200 }, () => request());
    const results = await Promise.all(reqs.map((r) => ca.issue(r)));
    results.forEach((r, i) => {
      expect(new X509Certificate(r.certificate).verify(key)).toBe(true);
      expect(Buffer.from(parseCertificate(r.certificate).publicKey.spki)).toEqual(Buffer.from(reqs[i]!.publicKey));
    });
    expect(new Set(results.map((r) => r.serialNumber)).size).toBe(200);
  }, 60_000);

  it("timestamps with the HSM's tsa key", async () => {
    const tsa = createTimestampAuthority({ signer: createHsmSigner(client, KEY_LABELS.tsa, "P-256"), certificates: [ceremony.tsa.der, ceremony.root.der] });
    const req = parseTimestampJsonRequest(JSON.stringify({ artifactHash: Buffer.alloc(32, 7).toString("base64") }));
    expect(parseTimestampResponse(await tsa.timestamp(req)).status).toBe(0);
  });

  it("fails closed within 5 s while the HSM is gone, and recovers without a restart (G-S1)", async () => {
    await stopSidecar();
    const t0 = Date.now();
    await expect(ca.issue(request())).rejects.toMatchObject({ code: "ERR_CA_SIGNER_UNAVAILABLE", kind: "UNAVAILABLE" });
    expect(Date.now() - t0).toBeLessThan(5000);
    sidecar = await startSidecar();
    const r = await ca.issue(request());
    checkLeafProfile(parseCertificate(r.certificate), [ceremony.intermediate.cert, ceremony.root.cert]);
  }, 60_000);
});
