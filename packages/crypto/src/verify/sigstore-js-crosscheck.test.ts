/**
 * Independent check: every corpus case through @sigstore/verify 3.1.1
 * (Verifier + toTrustMaterial + toSignedEntity, INTEROP.md last section) and
 * through verifyBundle; outcomes must agree except for the listed, explained
 * differences.
 */
import { createPublicKey } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { Verifier, toSignedEntity, toTrustMaterial } from "@sigstore/verify";
import { describe, expect, it } from "vitest";
import { parseTrustedRoot } from "../trust/trusted-root.ts";
import { verifyBundle } from "./verify-bundle.ts";

const vectors = fileURLToPath(new URL("../../../../../shared/vectors/", import.meta.url));
const corpus = `${vectors}sigstore-conformance/bundle-verify`;
const defaultRoot = `${vectors}trusted-roots/public-good-production.trusted_root.json`;
const IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";

/** Where @sigstore/verify 3.1.1 is known to differ, and why Signet's answer is the conformance one. */
const KNOWN_DIFFERENCES: Record<string, string> = {
  // 3.1.1 predates "hashedrekord-over-DSSE" (rekor-v2-spec §6.1.4): it compares the entry digest with the message digest.
  "rekor2-dsse-happy-path": "sigstore-js rejects, Signet accepts",
  // 3.1.1 treats a missing validFor.start as the beginning of time; the conformance case says reject.
  "trust-root-tlog-missing-validity-start_fail": "sigstore-js accepts, Signet rejects",
};

const cases = readdirSync(corpus, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function material(name: string) {
  const dir = `${corpus}/${name}`;
  const file = (f: string) => `${dir}/${f}`;
  return {
    bundleText: readFileSync(file("bundle.sigstore.json"), "utf8"),
    rootText: readFileSync(existsSync(file("trusted_root.json")) ? file("trusted_root.json") : defaultRoot, "utf8"),
    artifact: readFileSync(existsSync(file("artifact")) ? file("artifact") : `${corpus}/a.txt`),
    keyPem: existsSync(file("key.pub")) ? readFileSync(file("key.pub"), "utf8") : undefined,
    identity: existsSync(file("identity")) ? readFileSync(file("identity"), "utf8").trim() : IDENTITY,
    issuer: existsSync(file("issuer")) ? readFileSync(file("issuer"), "utf8").trim() : ISSUER,
  };
}

function sigstoreJs(name: string): boolean {
  const m = material(name);
  try {
    const bundle = bundleFromJSON(JSON.parse(m.bundleText));
    let keys: Record<string, { rawBytes: Buffer; keyDetails: number }> | undefined;
    if (m.keyPem !== undefined) {
      const content = bundle.verificationMaterial.content;
      const hint = content.$case === "publicKey" ? content.publicKey.hint : "";
      keys = { [hint]: { rawBytes: createPublicKey(m.keyPem).export({ type: "spki", format: "der" }), keyDetails: 5 } };
    }
    const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(m.rootText)), keys as never), { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 });
    verifier.verify(toSignedEntity(bundle, m.artifact), keys ? undefined : { subjectAlternativeName: m.identity, extensions: { issuer: m.issuer } });
    return true;
  } catch {
    return false;
  }
}

async function signet(name: string): Promise<boolean> {
  const m = material(name);
  try {
    await verifyBundle({
      bundle: m.bundleText,
      artifact: m.artifact,
      trustedRoot: parseTrustedRoot(m.rootText),
      policy: m.keyPem !== undefined ? { publicKey: m.keyPem } : { identity: { subjectAlternativeName: m.identity, issuer: m.issuer } },
    });
    return true;
  } catch {
    return false;
  }
}

describe("cross-check with @sigstore/verify 3.1.1", () => {
  it("covers the whole corpus", () => expect(cases).toHaveLength(70));
  it.each(cases)("%s", async (name) => {
    const ours = await signet(name);
    const theirs = sigstoreJs(name);
    expect(ours, "Signet must give the conformance answer").toBe(!name.endsWith("_fail"));
    if (name in KNOWN_DIFFERENCES) expect(theirs, KNOWN_DIFFERENCES[name]).toBe(!ours);
    else expect(theirs, "sigstore-js disagrees with Signet").toBe(ours);
  });
});
