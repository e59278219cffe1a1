/**
 * Test helper: the real development OpenID provider (apps/idp) in-process on a free port, and
 * dev tokens from it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startIdp } from "../../../idp/src/provider.ts";

export interface TestIdp {
  issuer: string;
  token(body: Record<string, unknown>): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestIdp(): Promise<TestIdp> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "signet-idp-"));
  const idp = await startIdp({ port: 0, webUrl: "http://localhost:3000", dataDir, devTokens: true });
  return {
    issuer: idp.issuer,
    async token(body) {
      const res = await fetch(`${idp.issuer}/dev/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      if (res.status !== 200) throw new Error(`dev token: HTTP ${res.status} ${await res.text()}`);
      return ((await res.json()) as { token: string }).token;
    },
    async stop() {
      await idp.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
