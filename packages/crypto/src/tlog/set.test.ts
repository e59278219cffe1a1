import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromUtf8 } from "../encoding/bytes.ts";
import { parseBundle } from "../bundle/parse.ts";
import { parseTrustedRoot } from "../trust/trusted-root.ts";
import { signedEntryTimestampPayload, verifySignedEntryTimestamp } from "./set.ts";

// Fixtures: sigstore-conformance happy-path-v0.1 and the production trusted root.
const vectors = new URL("../../../../../shared/vectors/", import.meta.url);
const bundle = parseBundle(readFileSync(new URL("sigstore-conformance/bundle-verify/happy-path-v0.1/bundle.sigstore.json", vectors)));
const root = parseTrustedRoot(readFileSync(new URL("trusted-roots/public-good-production.trusted_root.json", vectors)));
const entry = bundle.tlogEntries[0]!;

describe("signed entry timestamps", () => {
  it("builds the JCS payload with numbers and a hex log ID", () => {
    const text = fromUtf8(signedEntryTimestampPayload(entry));
    expect(text).toMatch(/^\{"body":"eyJ[^"]+","integratedTime":1689177396,"logID":"c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d","logIndex":27246492\}$/);
  });
  it("verifies against the production Rekor key", async () => {
    expect((await verifySignedEntryTimestamp(entry, root.tlogs)).baseUrl).toBe("https://rekor.sigstore.dev");
  });
  it("rejects a changed integrated time, index or body", async () => {
    for (const changed of [
      { ...entry, integratedTime: entry.integratedTime + 1n },
      { ...entry, logIndex: entry.logIndex + 1n },
      { ...entry, canonicalizedBody: Uint8Array.from([...entry.canonicalizedBody, 0x20]) },
    ]) {
      await expect(verifySignedEntryTimestamp(changed, root.tlogs)).rejects.toThrow(expect.objectContaining({ code: "ERR_TLOG_SET_INVALID" }));
    }
  });
  it("needs the log key to be valid at the integrated time", async () => {
    const early = { ...entry, integratedTime: 1_000_000n };
    await expect(verifySignedEntryTimestamp(early, root.tlogs)).rejects.toThrow(expect.objectContaining({ code: "ERR_TLOG_UNKNOWN_LOG" }));
  });
  it("refuses values a JSON number cannot carry exactly", () => {
    expect(() => signedEntryTimestampPayload({ ...entry, logIndex: 2n ** 53n })).toThrow(expect.objectContaining({ code: "ERR_TLOG_SET_INVALID" }));
  });
});
