// Reading the artifact: one streaming pass that hashes (@noble/hashes) and buffers, with the size
// checked before anything is allocated.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readArtifact } from "./artifact.ts";

const dir = mkdtempSync(join(tmpdir(), "signet-artifact-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("readArtifact", () => {
  it("hashes a multi-chunk file exactly as OpenSSL does and keeps its bytes", async () => {
    const data = Buffer.alloc(2.5 * 1024 * 1024 + 7);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    const path = join(dir, "big.bin");
    writeFileSync(path, data);
    const a = await readArtifact(path);
    expect(Buffer.from(a.sha256).toString("hex")).toBe(createHash("sha256").update(data).digest("hex"));
    expect(Buffer.compare(Buffer.from(a.bytes), data)).toBe(0);
  });

  it("reads an empty file", async () => {
    const path = join(dir, "empty");
    writeFileSync(path, "");
    expect(Buffer.from((await readArtifact(path)).sha256).toString("hex")).toBe(createHash("sha256").digest("hex"));
  });

  it("refuses files above the cap before reading them", async () => {
    const path = join(dir, "eleven");
    writeFileSync(path, "x".repeat(11));
    await expect(readArtifact(path, 10)).rejects.toMatchObject({ code: "ERR_SIGN_ARTIFACT_TOO_LARGE" });
    await expect(readArtifact(path, 11)).resolves.toBeDefined();
  });

  it("refuses directories and missing files", async () => {
    await expect(readArtifact(dir)).rejects.toMatchObject({ code: "ERR_SIGN_ARTIFACT_UNREADABLE" });
    await expect(readArtifact(join(dir, "missing"))).rejects.toMatchObject({ code: "ERR_SIGN_ARTIFACT_UNREADABLE" });
  });
});
