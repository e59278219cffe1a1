import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { assertPortsFree, defaultPorts, takeLock } from "./platform.mjs";
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
