import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromBase64 } from "../encoding/base64.ts";
import { utf8 } from "../encoding/bytes.ts";
import { parseCertificate } from "./certificate.ts";
import { FULCIO_OIDS, decodeFulcioExtension, readFulcioExtensions, readFulcioIssuer, readSignerIdentity } from "./fulcio-extensions.ts";

// Fixture: the Fulcio leaf of sigstore-conformance happy-path-v0.3.
const vectors = new URL("../../../../../shared/vectors/", import.meta.url);
const bundle = JSON.parse(readFileSync(new URL("sigstore-conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json", vectors), "utf8"));
const leaf = parseCertificate(fromBase64(bundle.verificationMaterial.certificate.rawBytes));

describe("Fulcio extensions (sigstore/fulcio docs/oid-info.md)", () => {
  it("decodes the issuer from .8 (UTF8String) and the deprecated .1 (raw)", () => {
    expect(readFulcioIssuer(leaf)).toBe("https://token.actions.githubusercontent.com");
    const all = readFulcioExtensions(leaf);
    expect(all.issuerV1).toBe("https://token.actions.githubusercontent.com");
    expect(all.issuer).toBe("https://token.actions.githubusercontent.com");
    expect(all.githubWorkflowTrigger).toBe("workflow_dispatch");
    expect(all.runnerEnvironment).toBe("github-hosted");
    expect(all.sourceRepositoryVisibilityAtSigning).toBe("public");
    expect(all.sourceRepositoryUri).toBe("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon");
  });
  it("reads the signer identity from the SAN URI", () => {
    expect(readSignerIdentity(leaf)).toMatch(/^https:\/\/github\.com\/sigstore-conformance\//);
  });
  it("rejects a .8 value that is not a DER UTF8String", () => {
    expect(() => decodeFulcioExtension(FULCIO_OIDS.issuer, utf8("https://raw.example"))).toThrow(
      expect.objectContaining({ code: "ERR_CERT_EXTENSION_MALFORMED" }),
    );
    expect(() => decodeFulcioExtension(FULCIO_OIDS.issuer, Uint8Array.of(0x13, 0x01, 0x41))).toThrow(
      expect.objectContaining({ code: "ERR_CERT_EXTENSION_MALFORMED" }),
    );
    expect(() => decodeFulcioExtension(FULCIO_OIDS.issuerV1, Uint8Array.of(0xc3))).toThrow(
      expect.objectContaining({ code: "ERR_CERT_EXTENSION_MALFORMED" }),
    );
  });
});
