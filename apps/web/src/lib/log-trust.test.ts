import { describe, expect, it } from "vitest";
import { isSignetCryptoError } from "@signet/crypto/errors";
import { parseTrustedRoot } from "@signet/crypto/trust/trusted-root";
import { isSignetWebError } from "../errors.ts";
import { createTestLog } from "./test-support.ts";
import { logKeyIdHex, selectExplorerLog, verifyLogCheckpoint } from "./log-trust.ts";

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return isSignetCryptoError(e) || isSignetWebError(e) ? e.code : `untyped ${String(e)}`;
  }
  return "no error";
}

describe("selectExplorerLog", () => {
  it("takes the first log with a checkpoint-capable key valid now", async () => {
    const log = await createTestLog();
    const selected = selectExplorerLog(log.root);
    expect(selected.host).toBe(log.host);
    expect(logKeyIdHex(selected)).toMatch(/^[0-9a-f]{8}$/);
  });

  it("refuses a root without a usable log (ERR_WEB_TRUST_NO_LOG)", async () => {
    const log = await createTestLog();
    const expired = JSON.parse(log.rootJson);
    expired.tlogs[0].publicKey.validFor = { start: "2020-01-01T00:00:00Z", end: "2021-01-01T00:00:00Z" };
    const none = { ...JSON.parse(log.rootJson), tlogs: [] };
    for (const json of [expired, none]) {
      let code = "no error";
      try {
        selectExplorerLog(parseTrustedRoot(JSON.stringify(json)));
      } catch (e) {
        code = isSignetWebError(e) ? e.code : "untyped";
      }
      expect(code).toBe("ERR_WEB_TRUST_NO_LOG");
    }
  });
});

describe("verifyLogCheckpoint (C2SP signed-note + tlog-checkpoint)", () => {
  it("verifies a checkpoint signed by the trusted key and returns its tree head", async () => {
    const log = await createTestLog();
    log.append(5);
    const cp = await verifyLogCheckpoint(await log.checkpoint(), selectExplorerLog(log.root));
    expect(cp.origin).toBe(log.host);
    expect(cp.size).toBe(5n);
    expect(cp.rootHash).toEqual(log.tree.root());
  });

  it("rejects a checkpoint for another origin, by another key, or altered", async () => {
    const log = await createTestLog();
    const other = await createTestLog();
    log.append(3);
    other.append(3);
    const trusted = selectExplorerLog(log.root);
    expect(await codeOf(verifyLogCheckpoint(await log.checkpoint(3n, "evil.example"), trusted))).toBe("ERR_CHECKPOINT_ORIGIN_MISMATCH");
    // Same key name, different key: the signature line is for a key this root does not hold.
    expect(await codeOf(verifyLogCheckpoint(await other.checkpoint(), selectExplorerLog((await createTestLog(other.host)).root)))).toMatch(/^ERR_NOTE_/);
    const note = await log.checkpoint();
    const tampered = note.replace(/^(.*\n)3\n/, "$14\n");
    expect(tampered).not.toBe(note);
    expect(await codeOf(verifyLogCheckpoint(tampered, trusted))).toMatch(/^ERR_NOTE_/);
    expect(await codeOf(verifyLogCheckpoint("not a note", trusted))).toMatch(/^ERR_NOTE_MALFORMED$/);
  });
});
