import { describe, expect, it } from "vitest";
import { ecdsaRawToDer } from "@signet/crypto/asn1/der";
import { isSignetCryptoError } from "@signet/crypto/errors";
import { signedEntryTimestampPayload } from "@signet/crypto/tlog/set";
import { verifyExplorerEntryTimestamp } from "./entry-timestamp.ts";
import { selectExplorerLog } from "./log-trust.ts";
import { createTestLog } from "./test-support.ts";

describe("verifyExplorerEntryTimestamp (Rekor v1 SET)", () => {
  it("verifies a SET made with the log key and rejects any change to what it signs", async () => {
    const log = await createTestLog();
    const trusted = selectExplorerLog(log.root);
    const body = new TextEncoder().encode('{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}');
    const entry = { index: 7n, integratedTime: 1_760_000_000n, body, kind: "hashedrekord", apiVersion: "0.0.1" };
    const payload = signedEntryTimestampPayload({
      logIndex: entry.index,
      logId: trusted.logId,
      kindVersion: { kind: entry.kind, version: entry.apiVersion },
      integratedTime: entry.integratedTime,
      inclusionPromise: undefined,
      inclusionProof: undefined,
      canonicalizedBody: body,
    });
    const set = ecdsaRawToDer(await log.sign(payload));
    expect(await verifyExplorerEntryTimestamp({ ...entry, signedEntryTimestamp: set }, trusted)).toBe(1_760_000_000_000);

    for (const changed of [{ ...entry, index: 8n }, { ...entry, integratedTime: 1_760_000_001n }, { ...entry, body: new TextEncoder().encode("{}") }]) {
      let code = "no error";
      try {
        await verifyExplorerEntryTimestamp({ ...changed, signedEntryTimestamp: set }, trusted);
      } catch (e) {
        code = isSignetCryptoError(e) ? e.code : "untyped";
      }
      expect(code).toBe("ERR_TLOG_SET_INVALID");
    }
  });
});
