import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OID } from "@signet/crypto/asn1/oid";
import { findExtension } from "@signet/crypto/x509/certificate";
import { CEREMONY_FILES, KEY_LABELS, runKeyCeremony } from "./ceremony.ts";
import { createMemoryKeyStore } from "./testing.ts";

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), "signet-ceremony-test-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe("runKeyCeremony", () => {
  it("creates the five keys and the three certificates once, then only re-reads and checks them", async () => {
    const dir = await freshDir();
    const store = createMemoryKeyStore();
    const first = await runKeyCeremony({ keyStore: store, dir, organization: "example" });
    expect(first.created).toEqual(["root", "intermediate", "tsa"]);
    expect([...store.keys.keys()].sort()).toEqual(Object.values(KEY_LABELS).sort());
    expect(store.keys.get(KEY_LABELS.caRoot)!.algorithm).toBe("P-384");
    expect(store.keys.get(KEY_LABELS.caIntermediate)!.algorithm).toBe("P-256");
    for (const label of [KEY_LABELS.log, KEY_LABELS.ctLog, KEY_LABELS.tsa]) expect(store.keys.get(label)!.algorithm).toBe("P-256");

    const signs = store.signCount;
    const second = await runKeyCeremony({ keyStore: store, dir, organization: "example" });
    expect(second.created).toEqual([]);
    expect(store.signCount).toBe(signs);
    expect(Buffer.from(second.root.der)).toEqual(Buffer.from(first.root.der));
    expect(Buffer.from(second.intermediate.der)).toEqual(Buffer.from(first.intermediate.der));
    expect(Buffer.from(second.tsa.der)).toEqual(Buffer.from(first.tsa.der));
    expect(await readFile(path.join(dir, CEREMONY_FILES.root), "utf8")).toBe(first.root.pem);
    expect(second.warnings).toEqual([]);
  });

  it("produces a chain OpenSSL verifies, with the profile each certificate needs", async () => {
    const dir = await freshDir();
    const r = await runKeyCeremony({ keyStore: createMemoryKeyStore(), dir });
    const root = path.join(dir, CEREMONY_FILES.root);
    expect(execFileSync("openssl", ["verify", "-CAfile", root, path.join(dir, CEREMONY_FILES.intermediate)]).toString()).toContain("OK");
    expect(execFileSync("openssl", ["verify", "-CAfile", root, "-purpose", "timestampsign", path.join(dir, CEREMONY_FILES.tsa)]).toString()).toContain("OK");
    expect(r.root.cert.subjectName).toBe("O=signet, CN=signet-root");
    expect(r.root.cert.basicConstraints).toEqual({ ca: true, pathLen: 1 });
    expect(r.root.cert.signatureAlgorithm).toEqual({ kind: "ecdsa", hash: "SHA-384" });
    expect(r.intermediate.cert.basicConstraints).toEqual({ ca: true, pathLen: 0 });
    expect(r.intermediate.cert.extKeyUsage).toEqual([OID.ekuCodeSigning]);
    expect(r.intermediate.cert.notAfter).toBeLessThanOrEqual(r.root.cert.notAfter);
    expect(findExtension(r.tsa.cert, OID.extKeyUsage)?.critical).toBe(true);
    expect(r.tsa.cert.extKeyUsage).toEqual([OID.ekuTimeStamping]);
    expect(new X509Certificate(r.intermediate.der).checkIssued(new X509Certificate(r.root.der))).toBe(true);
    expect(Buffer.from(r.publicKeys[KEY_LABELS.caIntermediate])).toEqual(Buffer.from(r.intermediate.cert.publicKey.spki));
  });

  it("can make a P-384 intermediate, and then refuses to switch its curve", async () => {
    const dir = await freshDir();
    const store = createMemoryKeyStore();
    const r = await runKeyCeremony({ keyStore: store, dir, intermediateAlgorithm: "P-384" });
    expect(r.intermediate.cert.publicKey).toMatchObject({ kind: "ecdsa", curve: "P-384" });
    expect(await rejection(runKeyCeremony({ keyStore: store, dir, intermediateAlgorithm: "P-256" }))).toBe("ERR_HSM_KEY_MISMATCH");
  });

  it("is fatal when the HSM holds other keys than the stored certificates (ERR_CA_CEREMONY_KEY_MISMATCH)", async () => {
    const dir = await freshDir();
    await runKeyCeremony({ keyStore: createMemoryKeyStore(), dir });
    expect(await rejection(runKeyCeremony({ keyStore: createMemoryKeyStore(), dir }))).toBe("ERR_CA_CEREMONY_KEY_MISMATCH");
  });

  it("is fatal when a stored intermediate belongs to another CA", async () => {
    const dir = await freshDir();
    const store = createMemoryKeyStore();
    await runKeyCeremony({ keyStore: store, dir });
    const other = await freshDir();
    await runKeyCeremony({ keyStore: createMemoryKeyStore(), dir: other });
    await writeFile(path.join(dir, CEREMONY_FILES.intermediate), await readFile(path.join(other, CEREMONY_FILES.intermediate)));
    expect(await rejection(runKeyCeremony({ keyStore: store, dir }))).toBe("ERR_CA_CEREMONY_KEY_MISMATCH");
  });

  it("is fatal on a damaged certificate file", async () => {
    const dir = await freshDir();
    const store = createMemoryKeyStore();
    await runKeyCeremony({ keyStore: store, dir });
    await writeFile(path.join(dir, CEREMONY_FILES.root), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    expect(await rejection(runKeyCeremony({ keyStore: store, dir }))).toBe("ERR_CA_CEREMONY_CERT_INVALID");
  });

  it("refuses to re-root when the root file is gone but others remain", async () => {
    const dir = await freshDir();
    const store = createMemoryKeyStore();
    await runKeyCeremony({ keyStore: store, dir });
    await unlink(path.join(dir, CEREMONY_FILES.root));
    expect(await rejection(runKeyCeremony({ keyStore: store, dir }))).toBe("ERR_CA_CEREMONY_INCONSISTENT");
  });

  it("resumes after a crash between steps, keeping the root", async () => {
    const dir = await freshDir();
    const store = createMemoryKeyStore();
    const first = await runKeyCeremony({ keyStore: store, dir });
    await unlink(path.join(dir, CEREMONY_FILES.intermediate));
    await unlink(path.join(dir, CEREMONY_FILES.tsa));
    const again = await runKeyCeremony({ keyStore: store, dir });
    expect(again.created).toEqual(["intermediate", "tsa"]);
    expect(Buffer.from(again.root.der)).toEqual(Buffer.from(first.root.der));
    expect(Buffer.from(again.intermediate.cert.publicKey.spki)).toEqual(Buffer.from(first.intermediate.cert.publicKey.spki));
  });

  it("lets concurrent starts agree on one set of certificates", async () => {
    const dir = await freshDir();
    const store = createMemoryKeyStore();
    const runs = await Promise.all([1, 2, 3, 4].map(() => runKeyCeremony({ keyStore: store, dir })));
    for (const r of runs) {
      expect(Buffer.from(r.root.der)).toEqual(Buffer.from(runs[0]!.root.der));
      expect(Buffer.from(r.intermediate.der)).toEqual(Buffer.from(runs[0]!.intermediate.der));
      expect(Buffer.from(r.tsa.der)).toEqual(Buffer.from(runs[0]!.tsa.der));
    }
    expect(runs.flatMap((r) => r.created).filter((c) => c === "root")).toHaveLength(1);
  });

  it("warns when a certificate is about to expire", async () => {
    const dir = await freshDir();
    const store = createMemoryKeyStore();
    const r = await runKeyCeremony({ keyStore: store, dir });
    const later = await runKeyCeremony({ keyStore: store, dir, clock: () => r.intermediate.cert.notAfter - 24 * 3600 * 1000 });
    expect(later.warnings.some((w) => w.startsWith("intermediate certificate expires"))).toBe(true);
  });
});
