/**
 * Interop with the client most people will point at Signet: the exact ProposedEntry (Rekor v1) and
 * CreateEntryRequest (Rekor v2) bodies that @sigstore/sign 4.1.1 POSTs must be accepted, and give the
 * bodies INTEROP.md describes. (@sigstore/* is a dev dependency of the workspace, used here as a
 * reference client only.)
 */
import crypto from "node:crypto";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { preAuthEncoding } from "@signet/crypto/dsse/pae";
import { prepareRekorV1Entry, prepareRekorV2Entry } from "./prepare.ts";
import { certFor, key, pem, statement } from "./test-support.ts";

const require = createRequire(import.meta.url);
// Deep paths: these builders are what RekorWitness uses internally (dist/witness/tlog/entry.js).
const { toProposedEntry, toCreateEntryRequest } = require("@sigstore/sign/dist/witness/tlog/entry.js") as {
  toProposedEntry: (content: unknown, publicKey: string, entryType?: string) => unknown;
  toCreateEntryRequest: (content: unknown, publicKey: string) => unknown;
};
const { CreateEntryRequest } = require("@sigstore/protobuf-specs/rekor/v2") as { CreateEntryRequest: { toJSON: (m: unknown) => unknown } };

const k = key("P-256");
const certDer = certFor(k);
const certPem = pem(certDer, "CERTIFICATE");
const artifact = Buffer.from("signed by sigstore-js");
const messageSignature = {
  $case: "messageSignature",
  messageSignature: { messageDigest: { algorithm: 1 /* SHA2_256 */, digest: crypto.hash("sha256", artifact, "buffer") }, signature: crypto.sign("sha256", artifact, k.privateKey) },
};

/** What goes over the wire: sigstore-js JSON.stringify()s the entry. */
const wire = (v: unknown) => Buffer.from(JSON.stringify(v));

describe("@sigstore/sign 4.1.1 submissions", () => {
  it("hashedrekord 0.0.1 (RekorWitness, v1 API)", () => {
    const e = prepareRekorV1Entry(wire(toProposedEntry(messageSignature, certPem)));
    expect(`${e.kind}/${e.apiVersion}`).toBe("hashedrekord/0.0.1");
    expect(e.search.identity).toBe("dev@example.test");
    expect(JSON.parse(e.body.toString()).spec.signature.publicKey.content).toBe(Buffer.from(certPem).toString("base64"));
  });

  it("dsse 0.0.1 (RekorWitness default for attestations, v1 API)", () => {
    const payload = statement(artifact);
    const sig = crypto.sign("sha256", preAuthEncoding("application/vnd.in-toto+json", payload), k.privateKey);
    const envelope = { payloadType: "application/vnd.in-toto+json", payload, signatures: [{ keyid: "", sig }] };
    const e = prepareRekorV1Entry(wire(toProposedEntry({ $case: "dsseEnvelope", dsseEnvelope: envelope }, certPem)));
    expect(`${e.kind}/${e.apiVersion}`).toBe("dsse/0.0.1");
    expect(e.search.artifactDigest).toBe(`sha256:${crypto.hash("sha256", artifact, "hex")}`);
  });

  it("intoto 0.0.2 (the legacy entry type) is refused with ERR_ENTRY_UNSUPPORTED_KIND", () => {
    const payload = statement(artifact);
    const envelope = { payloadType: "application/vnd.in-toto+json", payload, signatures: [{ keyid: "", sig: Buffer.alloc(70) }] };
    expect(() => prepareRekorV1Entry(wire(toProposedEntry({ $case: "dsseEnvelope", dsseEnvelope: envelope }, certPem, "intoto")))).toThrow(
      expect.objectContaining({ code: "ERR_ENTRY_UNSUPPORTED_KIND" }),
    );
  });

  it("hashedrekord 0.0.2 (RekorV2Witness, v2 API)", () => {
    const e = prepareRekorV2Entry(wire(CreateEntryRequest.toJSON(toCreateEntryRequest(messageSignature, certPem))));
    expect(`${e.kind}/${e.apiVersion}`).toBe("hashedrekord/0.0.2");
    expect(e.search.certFingerprint).toBe(crypto.hash("sha256", certDer, "hex"));
  });

  it("its dsseRequestV002 is refused with ERR_ENTRY_UNSUPPORTED_KIND", () => {
    const envelope = { payloadType: "text/plain", payload: Buffer.from("x"), signatures: [{ keyid: "", sig: Buffer.alloc(70) }] };
    const req = CreateEntryRequest.toJSON(toCreateEntryRequest({ $case: "dsseEnvelope", dsseEnvelope: envelope }, certPem));
    expect(() => prepareRekorV2Entry(wire(req))).toThrow(expect.objectContaining({ code: "ERR_ENTRY_UNSUPPORTED_KIND" }));
  });
});
