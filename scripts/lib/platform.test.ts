import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { assertPortsFree, defaultPorts, ownSession, takeLock } from "./platform.mjs";
import { ensureDataDir } from "./setup.mjs";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), "signet-platform-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("start command guards", () => {
  it("names the port that is taken and the variable to change it", async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      await expect(assertPortsFree({ web: 1, api: port }, { withPostgres: false })).rejects.toThrow(new RegExp(`port ${port} \\(api\\) is already in use.*SIGNET_API_PORT`));
    } finally {
      server.close();
    }
  });

  it("rejects port variables that are not port numbers", () => {
    expect(() => defaultPorts({ SIGNET_WEB_PORT: "80x" })).toThrow(/SIGNET_WEB_PORT=80x is not a port number/);
    expect(defaultPorts({}).web).toBe(3000);
  });

  it("refuses a second platform on the same data directory and leaves the lock intact", () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "signet.pid"), String(process.ppid)); // a live process that is not us
    expect(() => takeLock(dir)).toThrow(/already running/);
    expect(readFileSync(path.join(dir, "signet.pid"), "utf8")).toBe(String(process.ppid));
  });

  it("takes over a stale lock and releases its own", () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "signet.pid"), "999999999");
    const release = takeLock(dir);
    expect(readFileSync(path.join(dir, "signet.pid"), "utf8")).toBe(String(process.pid));
    release();
    expect(() => readFileSync(path.join(dir, "signet.pid"))).toThrow();
  });

  it("recreates a missing data directory and names a file standing in its place", () => {
    const base = tmp();
    ensureDataDir(path.join(base, "a", "b"));
    const file = path.join(base, "file");
    writeFileSync(file, "x");
    expect(() => ensureDataDir(file)).toThrow(new RegExp(`${file} exists but is not a directory`));
  });
});

describe.runIf(process.platform === "linux")("a service in its own session (ownSession)", () => {
  const ROOT = path.resolve(import.meta.dirname, "../..");
  // A stand-in for the api: the same lifeline module, then it idles.
  const script = `import(${JSON.stringify(pathToFileURL(path.join(ROOT, "apps/api/src/lifeline.ts")).href)}).then((m) => {
    m.stopWithParent(process.env.SIGNET_LIFELINE, process.stdin, () => { process.stdout.write("stopped\\n"); process.exit(0); });
    process.stdout.write("ready\\n");
    setInterval(() => undefined, 1000);
  });`;
  const sessionOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ")[3]);
  const start = async (opts: ReturnType<typeof ownSession>) => {
    const child = spawn(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: opts.stdio as ("pipe" | "inherit")[], detached: opts.detached });
    let out = "";
    child.stdout!.on("data", (c) => (out += c));
    for (let i = 0; i < 300 && !out.includes("ready"); i++) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain("ready");
    return { child, output: () => out };
  };
  const exited = (child: ChildProcess) => new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once("exit", (code) => r(code))));

  it("runs in a session of its own and stops when its parent's end of stdin closes", async () => {
    const { child, output } = await start(ownSession());
    expect(sessionOf(child.pid!)).toBe(child.pid); // a session leader: its own autogroup
    expect(sessionOf(child.pid!)).not.toBe(sessionOf(process.pid));
    child.stdin!.end(); // what the parent's death does to the pipe
    expect(await exited(child)).toBe(0);
    expect(output()).toContain("stopped");
  });

  it("without the lifeline variable, a closed stdin does not stop it", async () => {
    const opts = ownSession();
    const { child, output } = await start({ ...opts, env: {} });
    child.stdin!.end();
    await new Promise((r) => setTimeout(r, 500));
    expect(child.exitCode).toBeNull();
    expect(output()).not.toContain("stopped");
    child.kill("SIGKILL");
    await exited(child);
  });
});
