import { spawnSync } from "node:child_process";
import { generateKeyPairSync, hash, randomBytes, sign, verify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { createHsmClient, createHsmSigner, createMemorySigner, verifyEcdsaDer } from "./client.ts";
import type { HsmClient } from "./client.ts";
import { HsmError } from "./errors.ts";
import type { HsmBackend } from "./protocol.ts";
import { claimSocketPath, startHsmServer } from "./server.ts";
import type { HsmServer } from "./server.ts";

// The client and server over a real Unix socket, with an in-memory backend standing in for the token.

const dir = mkdtempSync(path.join(tmpdir(), "signet-hsm-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = randomBytes(32).toString("hex");
let n = 0;
const sockPath = () => path.join(dir, `s${n++}.sock`);

/** A backend double: ECDSA keys in memory; it signs a digest only for data the test registered (no prehash in node:crypto). */
function memoryBackend() {
  const keys = new Map<string, { alg: "P-256" | "P-384"; priv: KeyObject; spki: Uint8Array }>();
  const registered = new Map<string, Uint8Array>();
  const state = { delayMs: 0, hang: false, fail: undefined as HsmError | undefined, foreignSignature: false, batches: [] as number[] };
  const backend: HsmBackend = {
    async ensureKey(label, algorithm) {
      const existing = keys.get(label);
      if (existing) return { algorithm: existing.alg, spki: existing.spki, created: false };
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: algorithm === "P-256" ? "prime256v1" : "secp384r1" });
      const spki = new Uint8Array(publicKey.export({ format: "der", type: "spki" }));
      keys.set(label, { alg: algorithm, priv: privateKey, spki });
      return { algorithm, spki, created: true };
    },
    async publicKey(label) {
      const k = keys.get(label);
      if (!k) throw new HsmError("ERR_HSM_KEY_NOT_FOUND", `no key ${label}`);
      return { algorithm: k.alg, spki: k.spki };
    },
    async signDigest(label, digest) {
      if (state.hang) return new Promise<Uint8Array>(() => {});
      if (state.fail) throw state.fail;
      if (state.delayMs) await new Promise((r) => setTimeout(r, Math.random() * state.delayMs));
      const k = keys.get(label);
      if (!k) throw new HsmError("ERR_HSM_KEY_NOT_FOUND", `no key ${label}`);
      const data = registered.get(Buffer.from(digest).toString("hex"));
      if (!data) throw new HsmError("ERR_HSM_BAD_REQUEST", "digest of unregistered data");
      const hashAlg = k.alg === "P-256" ? "sha256" : "sha384";
      const signer = state.foreignSignature
        ? generateKeyPairSync("ec", { namedCurve: k.alg === "P-256" ? "prime256v1" : "secp384r1" }).privateKey
        : k.priv;
      return new Uint8Array(sign(hashAlg, data, { key: signer, dsaEncoding: "ieee-p1363" }));
    },
    async signDigests(label, digests) {
      state.batches.push(digests.length);
      const out: Uint8Array[] = [];
      for (const d of digests) out.push(await backend.signDigest(label, d));
      return out;
    },
    async listKeys() {
      return [...keys].map(([label, k]) => ({ label, algorithm: k.alg }));
    },
    async health() {
      if (state.fail) throw state.fail;
      return { token: "signet", keys: [...keys.keys()] };
    },
  };
  const register = (data: Uint8Array) => {
    for (const h of ["sha256", "sha384"]) registered.set(hash(h, data, "hex"), data);
    return data;
  };
  return { backend, state, register };
}

const servers: HsmServer[] = [];
const clients: HsmClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close(100)));
});

async function serve(backend: HsmBackend, socketPath = sockPath()) {
  const s = await startHsmServer({ socketPath, secret: SECRET, backend, tokenLabel: "signet", healthPort: 0 });
  servers.push(s);
  return s;
}

function client(socketPath: string, extra: { secret?: string; timeoutMs?: number } = {}) {
  const c = createHsmClient({ socketPath, secret: extra.secret ?? SECRET, timeoutMs: extra.timeoutMs ?? 2_000 });
  clients.push(c);
  return c;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code: string }).code;
  }
  return "resolved";
}

describe("client ↔ server over the Unix socket", () => {
  it("creates the socket with mode 0600 and answers every op", async () => {
    const { backend } = memoryBackend();
    const s = await serve(backend);
    expect(statSync(s.socketPath).mode & 0o777).toBe(0o600);
    const c = client(s.socketPath);
    const k = await c.ensureKey("ca", "P-256");
    expect(k.created).toBe(true);
    expect((await c.ensureKey("ca", "P-256")).created).toBe(false);
    expect(Buffer.from((await c.publicKey("ca")).spki).equals(Buffer.from(k.spki))).toBe(true);
    expect(await c.listKeys()).toEqual([{ label: "ca", algorithm: "P-256" }]);
    expect(await c.health()).toEqual({ status: "ok", token: "signet", keys: ["ca"] });
    expect(await codeOf(c.publicKey("nope"))).toBe("ERR_HSM_KEY_NOT_FOUND");
  });

  it("matches many concurrent answers, returned out of order, to their calls", async () => {
    const { backend, state, register } = memoryBackend();
    state.delayMs = 20;
    const s = await serve(backend);
    const c = client(s.socketPath);
    const signer = createHsmSigner(c, "ca", "P-256", { create: true });
    const inputs = Array.from({ length: 100 }, () => register(randomBytes(16)));
    const sigs = await Promise.all(inputs.map((d) => signer.sign(d)));
    const spki = await signer.publicKey();
    expect(sigs.every((sig, i) => verifyEcdsaDer(spki, "P-256", inputs[i]!, sig))).toBe(true);
  });

  it("sends the calls made in one tick in a single socket write", async () => {
    // A raw listener in place of the sidecar that answers every line; writes are counted per socket.
    const socketPath = sockPath();
    const serverSide = new Set<net.Socket>();
    const srv = net.createServer((sock) => {
      serverSide.add(sock);
      sock.on("data", (d) => {
        const lines = d.toString().split("\n").filter(Boolean);
        sock.write(lines.map((l) => `${JSON.stringify({ id: JSON.parse(l).id, ok: true, status: "ok", token: "t", keys: [] })}\n`).join(""));
      });
    });
    await new Promise<void>((r) => srv.listen(socketPath, r));
    const write = vi.spyOn(net.Socket.prototype, "write");
    try {
      const c = client(socketPath);
      await c.health(); // connect first, so the next calls all find the connection open
      write.mockClear();
      const answers = await Promise.all(Array.from({ length: 40 }, () => c.health()));
      expect(answers).toHaveLength(40);
      const clientWrites = write.mock.contexts.filter((sock) => !serverSide.has(sock as net.Socket));
      expect(clientWrites).toHaveLength(1);
    } finally {
      write.mockRestore();
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await new Promise((r) => srv.close(r));
    }
  });

  it("answers the requests completed in one event-loop turn in a single write, all of them", async () => {
    const { backend } = memoryBackend();
    const s = await serve(backend);
    const write = vi.spyOn(net.Socket.prototype, "write");
    let raw: net.Socket | undefined;
    try {
      const reply = await new Promise<string>((resolve) => {
        const sock = net.connect(s.socketPath, () => {
          sock.end(Array.from({ length: 30 }, (_, i) => `${JSON.stringify({ id: i, secret: SECRET, op: "health" })}\n`).join(""));
        });
        raw = sock;
        let got = "";
        sock.on("data", (d) => (got += d.toString()));
        sock.on("close", () => resolve(got));
      });
      const answers = reply.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { id: number; ok: boolean });
      expect(answers.map((a) => a.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
      expect(answers.every((a) => a.ok)).toBe(true);
      expect(write.mock.contexts.filter((sock) => sock !== raw)).toHaveLength(1);
    } finally {
      write.mockRestore();
    }
  });

  it("refuses a wrong secret with ERR_HSM_UNAUTHORIZED", async () => {
    const { backend } = memoryBackend();
    const s = await serve(backend);
    expect(await codeOf(client(s.socketPath, { secret: "x".repeat(64) }).health())).toBe("ERR_HSM_UNAUTHORIZED");
  });

  it("answers an oversize line with ERR_HSM_BAD_REQUEST and closes the connection", async () => {
    const { backend } = memoryBackend();
    const s = await serve(backend);
    const reply = await new Promise<string>((resolve) => {
      const sock = net.connect(s.socketPath);
      let got = "";
      sock.on("data", (d) => (got += d.toString()));
      sock.on("close", () => resolve(got));
      sock.write(Buffer.alloc(64 * 1024 + 10, 0x61));
    });
    expect(JSON.parse(reply)).toMatchObject({ id: null, ok: false, code: "ERR_HSM_BAD_REQUEST" });
  });

  it("answers requests sent before a half-close", async () => {
    const { backend } = memoryBackend();
    const s = await serve(backend);
    const reply = await new Promise<string>((resolve) => {
      const sock = net.connect(s.socketPath, () => {
        sock.end(`${JSON.stringify({ id: 1, secret: SECRET, op: "health" })}\n`);
      });
      let got = "";
      sock.on("data", (d) => (got += d.toString()));
      sock.on("close", () => resolve(got));
    });
    expect(JSON.parse(reply)).toMatchObject({ id: 1, ok: true, status: "ok" });
  });

  it("times out a call the sidecar does not answer with ERR_HSM_TIMEOUT", async () => {
    const { backend, state } = memoryBackend();
    const s = await serve(backend);
    const c = client(s.socketPath, { timeoutMs: 150 });
    await c.ensureKey("ca", "P-256");
    state.hang = true;
    const started = Date.now();
    expect(await codeOf(c.sign("ca", new Uint8Array(32)))).toBe("ERR_HSM_TIMEOUT");
    expect(Date.now() - started).toBeLessThan(1_000);
    state.hang = false;
    expect((await c.health()).status).toBe("ok"); // the connection is still usable
  });

  it("fails fast with ERR_HSM_UNAVAILABLE when nothing listens, and reconnects by itself once something does", async () => {
    const p = sockPath();
    const c = client(p);
    const started = Date.now();
    expect(await codeOf(c.health())).toBe("ERR_HSM_UNAVAILABLE");
    expect(Date.now() - started).toBeLessThan(1_000);
    const { backend } = memoryBackend();
    const s = await serve(backend, p);
    expect((await c.health()).status).toBe("ok");
    await s.close(100);
    servers.splice(servers.indexOf(s), 1);
    expect(await codeOf(c.health())).toBe("ERR_HSM_UNAVAILABLE");
    await serve(backend, p);
    expect((await c.health()).status).toBe("ok");
  });

  it("rejects in-flight calls with ERR_HSM_UNAVAILABLE when the connection drops", async () => {
    const { backend, state } = memoryBackend();
    const s = await serve(backend);
    const c = client(s.socketPath);
    await c.ensureKey("ca", "P-256");
    state.hang = true;
    const pending = codeOf(c.sign("ca", new Uint8Array(32)));
    await new Promise((r) => setTimeout(r, 50));
    await s.close(10);
    servers.splice(servers.indexOf(s), 1);
    expect(await pending).toBe("ERR_HSM_UNAVAILABLE");
  });

  it("serves GET /healthz: 200 when the token answers, 503 when it does not, 404 elsewhere", async () => {
    const { backend, state } = memoryBackend();
    const s = await serve(backend);
    const base = `http://127.0.0.1:${s.healthPort}`;
    const ok = await fetch(`${base}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: "ok", token: "signet", keys: [] });
    state.fail = new HsmError("ERR_HSM_UNAVAILABLE", "token removed");
    const down = await fetch(`${base}/healthz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: "unavailable", token: "signet" });
    expect((await fetch(`${base}/other`)).status).toBe(404);
  });
});

describe("claimSocketPath", () => {
  it("removes a stale socket that nobody answers on", async () => {
    const p = sockPath();
    // A process that dies without closing its listener leaves the socket file behind.
    spawnSync(process.execPath, ["-e", `require("net").createServer().listen(${JSON.stringify(p)}, () => process.kill(process.pid, "SIGKILL"))`]);
    expect(statSync(p).isSocket()).toBe(true);
    await claimSocketPath(p);
    expect(() => statSync(p)).toThrow();
  });

  it("refuses, with ERR_HSM_ALREADY_RUNNING, a socket another sidecar is listening on", async () => {
    const { backend } = memoryBackend();
    const s = await serve(backend);
    expect(await codeOf(claimSocketPath(s.socketPath))).toBe("ERR_HSM_ALREADY_RUNNING");
    expect(await codeOf(serve(backend, s.socketPath))).toBe("ERR_HSM_ALREADY_RUNNING");
    expect((await client(s.socketPath).health()).status).toBe("ok");
  });

  it("never deletes a file that is not a socket", async () => {
    const p = sockPath();
    writeFileSync(p, "keep me");
    expect(await codeOf(claimSocketPath(p))).toBe("ERR_HSM_CONFIG");
    expect(readFileSync(p, "utf8")).toBe("keep me");
  });
});

describe("createHsmSigner (B6)", () => {
  it("refuses a signature that does not verify under the key's public key", async () => {
    const { backend, state, register } = memoryBackend();
    const s = await serve(backend);
    const c = client(s.socketPath);
    const signer = createHsmSigner(c, "ca", "P-256", { create: true });
    const data = register(randomBytes(10));
    expect((await signer.sign(data)).length).toBeGreaterThan(8);
    state.foreignSignature = true;
    expect(await codeOf(signer.sign(data))).toBe("ERR_HSM_SIGNATURE_INVALID");
  });

  it("refuses to sign with a key other than the pinned one, or of another algorithm", async () => {
    const { backend, register } = memoryBackend();
    const s = await serve(backend);
    const c = client(s.socketPath);
    await c.ensureKey("ca", "P-256");
    const other = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ format: "der", type: "spki" });
    const data = register(randomBytes(10));
    expect(await codeOf(createHsmSigner(c, "ca", "P-256", { pinnedPublicKey: other }).sign(data))).toBe("ERR_HSM_KEY_MISMATCH");
    expect(await codeOf(createHsmSigner(c, "ca", "P-384").sign(data))).toBe("ERR_HSM_KEY_MISMATCH");
    expect(await codeOf(createHsmSigner(c, "absent", "P-256").sign(data))).toBe("ERR_HSM_KEY_NOT_FOUND");
    const pinned = await c.publicKey("ca");
    const ok = await createHsmSigner(c, "ca", "P-256", { pinnedPublicKey: pinned.spki }).sign(data);
    expect(verifyEcdsaDer(pinned.spki, "P-256", data, ok)).toBe(true);
  });

  it("sends the signatures asked for in one tick as signBatch requests of at most 16, each verified; a failed batch fails them all", async () => {
    const { backend, state, register } = memoryBackend();
    const s = await serve(backend);
    const signer = createHsmSigner(client(s.socketPath), "log", "P-256", { create: true });
    await signer.publicKey();
    const inputs = Array.from({ length: 40 }, () => register(randomBytes(16)));
    const sigs = await Promise.all(inputs.map((d) => signer.sign(d)));
    expect(state.batches).toEqual([16, 16, 8]);
    const spki = await signer.publicKey();
    expect(sigs.every((sig, i) => verifyEcdsaDer(spki, "P-256", inputs[i]!, sig))).toBe(true);
    // One signature alone still goes as a plain sign request.
    await signer.sign(inputs[0]!);
    expect(state.batches).toEqual([16, 16, 8]);
    // A foreign signature inside a batch is caught by the per-signature check (B6).
    state.foreignSignature = true;
    const codes = await Promise.all(inputs.slice(0, 3).map((d) => codeOf(signer.sign(d))));
    expect(codes).toEqual(["ERR_HSM_SIGNATURE_INVALID", "ERR_HSM_SIGNATURE_INVALID", "ERR_HSM_SIGNATURE_INVALID"]);
    state.foreignSignature = false;
    state.fail = new HsmError("ERR_HSM_UNAVAILABLE", "token removed");
    const failed = await Promise.all(inputs.slice(0, 3).map((d) => codeOf(signer.sign(d))));
    expect(failed).toEqual(["ERR_HSM_UNAVAILABLE", "ERR_HSM_UNAVAILABLE", "ERR_HSM_UNAVAILABLE"]);
  });

  it("bulk: keeps one request outstanding, so another signer's request overtakes all but one of its batches", async () => {
    // The sidecar signs synchronously, one request after another: model that with a serialised backend.
    const { backend, register } = memoryBackend();
    const answered: string[] = [];
    let tail: Promise<unknown> = Promise.resolve();
    // Resolved when the sidecar starts on a batch: by then it has taken in every line of that read.
    let batchStarted!: () => void;
    const serialised = <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      const run = tail.then(async () => {
        if (what !== "one") batchStarted();
        await new Promise((r) => setTimeout(r, 5));
        const v = await fn();
        answered.push(what);
        return v;
      });
      tail = run.catch(() => undefined);
      return run;
    };
    const s = await serve({
      ...backend,
      signDigest: (label, d) => serialised("one", () => backend.signDigest(label, d)),
      signDigests: (label, ds) => serialised(`batch of ${ds.length}`, () => backend.signDigests(label, ds)),
    });
    const c = client(s.socketPath);
    await c.ensureKey("log", "P-256");
    const inputs = Array.from({ length: 80 }, () => register(randomBytes(16)));
    const checkpoint = register(randomBytes(16));
    for (const bulk of [false, true]) {
      answered.length = 0;
      const entries = createHsmSigner(c, "log", "P-256", { bulk });
      const checkpoints = createHsmSigner(c, "log", "P-256");
      await Promise.all([entries.publicKey(), checkpoints.publicKey()]);
      // Five batches' worth of SETs, then, once the sidecar has read what was sent, one checkpoint.
      const started = new Promise<void>((r) => (batchStarted = r));
      const sets = Promise.all(inputs.map((d) => entries.sign(d)));
      await started;
      const note = checkpoints.sign(checkpoint);
      const [sigs, noteSig] = await Promise.all([sets, note]);
      const spki = await entries.publicKey();
      expect(sigs.every((sig, i) => verifyEcdsaDer(spki, "P-256", inputs[i]!, sig))).toBe(true);
      expect(verifyEcdsaDer(spki, "P-256", checkpoint, noteSig)).toBe(true);
      expect(answered.filter((a) => a !== "one")).toEqual(Array(5).fill("batch of 16"));
      // Without the flag all five batches reach the sidecar first; with it, at most one does.
      expect(answered.indexOf("one")).toBe(bulk ? 1 : 5);
    }
  });

  it("signs a single signature before a batch read in the same turn, and answers it before signing the batch", async () => {
    // SoftHSM2's synchronous C_Sign holds the sidecar's event loop for a whole batch. The checkpoint's line
    // arrives in the same write as the batch's, after it: the sidecar must sign and answer it first.
    const { backend, register } = memoryBackend();
    const calls: string[] = [];
    const s = await serve({
      ...backend,
      signDigest: (label, d) => (calls.push("one"), backend.signDigest(label, d)),
      signDigests: (label, ds) => (calls.push(`batch of ${ds.length}`), backend.signDigests(label, ds)),
    });
    const c = client(s.socketPath);
    await c.ensureKey("log", "P-256");
    const entries = createHsmSigner(c, "log", "P-256", { bulk: true });
    const checkpoints = createHsmSigner(c, "log", "P-256");
    await Promise.all([entries.publicKey(), checkpoints.publicKey()]);
    const inputs = Array.from({ length: 8 }, () => register(randomBytes(16)));
    const checkpoint = register(randomBytes(16));
    const [sigs, noteSig] = await Promise.all([Promise.all(inputs.map((d) => entries.sign(d))), checkpoints.sign(checkpoint)]);
    expect(calls).toEqual(["one", "batch of 8"]);
    const spki = await entries.publicKey();
    expect(sigs.every((sig, i) => verifyEcdsaDer(spki, "P-256", inputs[i]!, sig))).toBe(true);
    expect(verifyEcdsaDer(spki, "P-256", checkpoint, noteSig)).toBe(true);
  });

  it("bulk: batches queued behind a request that times out fail with it, not one deadline after another", async () => {
    const { backend, state, register } = memoryBackend();
    const s = await serve(backend);
    const c = client(s.socketPath, { timeoutMs: 150 });
    const signer = createHsmSigner(c, "log", "P-256", { create: true, bulk: true });
    await signer.publicKey();
    state.hang = true;
    const started = Date.now();
    const codes = await Promise.all(Array.from({ length: 48 }, () => codeOf(signer.sign(register(randomBytes(16))))));
    expect(codes).toEqual(Array(48).fill("ERR_HSM_TIMEOUT"));
    expect(Date.now() - started).toBeLessThan(400); // one deadline (150 ms), not three
    expect(state.batches).toEqual([16]); // the other two batches never reached the sidecar
    state.hang = false;
    const data = register(randomBytes(16));
    expect(verifyEcdsaDer(await signer.publicKey(), "P-256", data, await signer.sign(data))).toBe(true);
  });

  it("sends batches of batchSize when given one", async () => {
    const { backend, state, register } = memoryBackend();
    const s = await serve(backend);
    const c = client(s.socketPath);
    const signer = createHsmSigner(c, "log", "P-256", { create: true, bulk: true, batchSize: 64 });
    const inputs = Array.from({ length: 100 }, () => register(randomBytes(16)));
    const sigs = await Promise.all(inputs.map((d) => signer.sign(d)));
    const spki = await signer.publicKey();
    expect(sigs.every((sig, i) => verifyEcdsaDer(spki, "P-256", inputs[i]!, sig))).toBe(true);
    expect(state.batches).toEqual([64, 36]);
  });

  it("skips its own check only when told the caller verifies (selfCheck: false), and still checks the length", async () => {
    const { backend, state, register } = memoryBackend();
    const s = await serve(backend);
    const data = register(randomBytes(10));
    state.foreignSignature = true;
    const checked = createHsmSigner(client(s.socketPath), "ca", "P-256", { create: true });
    expect(await codeOf(checked.sign(data))).toBe("ERR_HSM_SIGNATURE_INVALID");
    const unchecked = createHsmSigner(client(s.socketPath), "ca", "P-256", { selfCheck: false });
    const der = await unchecked.sign(data);
    expect(verifyEcdsaDer(await unchecked.publicKey(), "P-256", data, der)).toBe(false);
  });

  it("uses the verifier it is given for the self-check, and refuses when it says no", async () => {
    const { backend, register } = memoryBackend();
    const s = await serve(backend);
    const seen: number[] = [];
    let answer = true;
    const signer = createHsmSigner(client(s.socketPath), "log", "P-256", {
      create: true,
      verify: async (spki, data, der) => {
        seen.push(data.length);
        return answer && verifyEcdsaDer(spki, "P-256", data, der);
      },
    });
    const data = register(randomBytes(10));
    await signer.sign(data);
    expect(seen).toEqual([10]);
    answer = false;
    expect(await codeOf(signer.sign(data))).toBe("ERR_HSM_SIGNATURE_INVALID");
  });

  it("signs P-384 with SHA-384", async () => {
    const { backend, register } = memoryBackend();
    const s = await serve(backend);
    const signer = createHsmSigner(client(s.socketPath), "log", "P-384", { create: true });
    const data = register(randomBytes(10));
    const der = await signer.sign(data);
    const spki = Buffer.from(await signer.publicKey());
    expect(verify("sha384", data, { key: spki, format: "der", type: "spki", dsaEncoding: "der" }, der)).toBe(true);
  });
});

describe("createMemorySigner (test-only)", () => {
  it.each(["P-256", "P-384"] as const)("produces DER signatures that verify (%s)", async (alg) => {
    const signer = createMemorySigner(alg);
    const data = randomBytes(100);
    const der = await signer.sign(data);
    expect(der[0]).toBe(0x30);
    expect(verifyEcdsaDer(await signer.publicKey(), alg, data, der)).toBe(true);
    expect(verifyEcdsaDer(await signer.publicKey(), alg, randomBytes(100), der)).toBe(false);
  });
});
