// The TSA against independent verifiers: requests made by `openssl ts -query`, responses verified by
// `openssl ts -verify` and by @signet/crypto's RFC 3161 verifier (the one bundles are checked with).
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectChildren, parseDer, readBitString, readSmallInteger, TAG } from "@signet/crypto/asn1/der";
import { OID } from "@signet/crypto/asn1/oid";
import { parseTimestampResponse, verifyTimestamp } from "@signet/crypto/timestamp/rfc3161";
import { createMemorySigner } from "@signet/hsm/signer";
import { createTestCa, type TestCa } from "../ca/testing.ts";
import {
  FAILURE_INFO,
  SIGSTORE_TSA_POLICY,
  TIMESTAMP_QUERY_TYPE,
  TIMESTAMP_REPLY_TYPE,
  createTimestampAuthority,
  parseTimestampJsonRequest,
  parseTimestampRequest,
  type TimestampAuthority,
} from "./rfc3161.ts";

let ca: TestCa;
let tsa: TimestampAuthority;
let dir: string;
const artifact = randomBytes(200);

beforeAll(async () => {
  ca = await createTestCa();
  tsa = createTimestampAuthority({ signer: ca.signer("tsa"), certificates: [ca.ceremony.tsa.der, ca.ceremony.root.der] });
  dir = mkdtempSync(path.join(tmpdir(), "signet-tsa-test-"));
  writeFileSync(path.join(dir, "data.bin"), artifact);
  writeFileSync(path.join(dir, "root.pem"), ca.ceremony.root.pem);
  writeFileSync(path.join(dir, "tsa.pem"), ca.ceremony.tsa.pem);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(ca.dir, { recursive: true, force: true });
});

function openssl(args: string[], input?: Uint8Array): string {
  return execFileSync("openssl", args, { input, cwd: dir, stdio: ["pipe", "pipe", "pipe"] }).toString();
}

function opensslVerify(response: Uint8Array, how: string[]): string {
  const file = path.join(dir, `resp-${randomBytes(4).toString("hex")}.tsr`);
  writeFileSync(file, response);
  return openssl(["ts", "-verify", "-in", file, ...how, "-CAfile", "root.pem", "-untrusted", "tsa.pem"]);
}

function authorities() {
  return [
    {
      subject: { organization: "signet", commonName: "signet-tsa" },
      uri: "memory",
      certChain: [ca.ceremony.tsa.cert, ca.ceremony.root.cert],
      validFor: { start: ca.ceremony.tsa.cert.notBefore, end: undefined },
      operator: "test",
    },
  ];
}

/** status and failInfo bit of a TimeStampResp. */
function statusOf(der: Uint8Array): { status: number; failBit?: number } {
  const [statusInfo] = expectChildren(parseDer(der), TAG.SEQUENCE, "TimeStampResp", 1, 2);
  const parts = expectChildren(statusInfo, TAG.SEQUENCE, "PKIStatusInfo", 1, 3);
  const status = readSmallInteger(parts[0]);
  const bits = parts.find((p) => p.tag === TAG.BIT_STRING);
  if (bits === undefined) return { status };
  const { bytes } = readBitString(bits);
  let failBit: number | undefined;
  bytes.forEach((b, i) => {
    for (let j = 0; j < 8; j++) if (b & (0x80 >> j)) failBit = i * 8 + j;
  });
  return { status, ...(failBit !== undefined ? { failBit } : {}) };
}

describe("granted timestamps", () => {
  it("answers an `openssl ts -query` request with a token `openssl ts -verify` accepts (nonce, imprint, chain, ESS)", async () => {
    openssl(["ts", "-query", "-data", "data.bin", "-sha256", "-cert", "-out", "q.tsq"]);
    const query = new Uint8Array(readFileSync(path.join(dir, "q.tsq")));
    const req = parseTimestampRequest(query);
    expect(req.certReq).toBe(true);
    expect(req.nonce).toBeDefined();
    const res = await tsa.handle(query, TIMESTAMP_QUERY_TYPE);
    expect(res.status).toBe(200);
    expect(res.contentType).toBe(TIMESTAMP_REPLY_TYPE);
    expect(opensslVerify(res.body, ["-queryfile", "q.tsq"])).toContain("Verification: OK");
    expect(opensslVerify(res.body, ["-data", "data.bin"])).toContain("Verification: OK");
    const text = openssl(["ts", "-reply", "-in", path.basename(writeTmp(res.body)), "-text"]);
    expect(text).toContain("Status: Granted.");
    expect(text).toContain(`Policy OID: ${SIGSTORE_TSA_POLICY}`);
    expect(text).toContain("Accuracy: 0x01 seconds");
  });

  it("is accepted by @signet/crypto's verifier, with genTime in whole seconds", async () => {
    const signature = randomBytes(71);
    const body = JSON.stringify({ artifactHash: createHash("sha256").update(signature).digest("base64"), hashAlgorithm: "sha256", certificates: true, nonce: 1234567 });
    const res = await tsa.handle(new TextEncoder().encode(body), "application/json; charset=utf-8");
    expect(res.status).toBe(200);
    const token = parseTimestampResponse(res.body);
    expect(token.status).toBe(0);
    expect(token.policy).toBe(SIGSTORE_TSA_POLICY);
    expect(token.genTime % 1000).toBe(0);
    expect(Math.abs(token.genTime - Date.now())).toBeLessThan(5000);
    expect(Buffer.from(token.nonce!)).toEqual(Buffer.from((1234567).toString(16).padStart(6, "0"), "hex"));
    expect(token.embeddedCertificateCount).toBe(2);
    expect(token.contentTypeAttr).toBe(OID.tstInfo);
    expect(token.signingCertificateV2Hash?.algorithm).toBe("SHA-256");
    const verified = await verifyTimestamp(token, signature, authorities());
    expect(verified.genTime).toBe(token.genTime);
    await expect(verifyTimestamp(token, randomBytes(71), authorities())).rejects.toMatchObject({ code: "ERR_TIMESTAMP_INVALID" });
  });

  it("leaves the certificates out unless asked, and supports SHA-384 and SHA-512 imprints", async () => {
    for (const alg of ["sha384", "sha512"] as const) {
      const digest = createHash(alg).update(artifact).digest();
      const req = parseTimestampJsonRequest(JSON.stringify({ artifactHash: digest.toString("base64"), hashAlgorithm: alg }));
      const der = await tsa.timestamp(req);
      const token = parseTimestampResponse(der);
      expect(token.embeddedCertificateCount).toBe(0);
      expect(token.messageImprint.algorithm).toBe(alg === "sha384" ? "SHA-384" : "SHA-512");
      expect(opensslVerify(der, ["-digest", digest.toString("hex")])).toContain("Verification: OK");
    }
  });

  it("echoes a large nonce given as a decimal string", async () => {
    const nonce = "730750818665451459101842416358141509827966271487"; // 2^159 - 1: the largest 20-octet INTEGER
    const req = parseTimestampJsonRequest(JSON.stringify({ artifactHash: createHash("sha256").update(artifact).digest("base64"), nonce }));
    const token = parseTimestampResponse(await tsa.timestamp(req));
    expect(BigInt(`0x${Buffer.from(token.nonce!).toString("hex")}`)).toBe(BigInt(nonce));
  });

  it("issues under another policy only when configured", async () => {
    const multi = createTimestampAuthority({ signer: ca.signer("tsa"), certificates: [ca.ceremony.tsa.der], policies: [SIGSTORE_TSA_POLICY, "1.2.3.4"] });
    const req = parseTimestampJsonRequest(JSON.stringify({ artifactHash: createHash("sha256").update(artifact).digest("base64"), tsaPolicyOID: "1.2.3.4" }));
    expect(parseTimestampResponse(await multi.timestamp(req)).policy).toBe("1.2.3.4");
    const res = await tsa.handle(new TextEncoder().encode(JSON.stringify({ artifactHash: createHash("sha256").update(artifact).digest("base64"), tsaPolicyOID: "1.2.3.4" })), "application/json");
    expect(res.status).toBe(400);
    expect(statusOf(res.body)).toEqual({ status: 2, failBit: FAILURE_INFO.unacceptedPolicy });
  });
});

let tmpCount = 0;
function writeTmp(bytes: Uint8Array): string {
  const f = path.join(dir, `tmp-${tmpCount++}.der`);
  writeFileSync(f, bytes);
  return f;
}

describe("rejections (RFC 3161 §2.4.2 status rejection, HTTP 4xx)", () => {
  const sha256 = createHash("sha256").update(artifact).digest();
  const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));
  // TimeStampReq { version, MessageImprint { sha256, hash } [, ...] }, built by hand for each defect.
  const imprint = (oidHex = "0609608648016503040201", hash = sha256, params = "") => {
    const alg = `30${((oidHex.length + params.length) / 2).toString(16).padStart(2, "0")}${oidHex}${params}`;
    const h = `04${hash.length.toString(16).padStart(2, "0")}${Buffer.from(hash).toString("hex")}`;
    const body = alg + h;
    return `30${(body.length / 2).toString(16).padStart(2, "0")}${body}`;
  };
  const req = (...parts: string[]) => {
    const body = parts.join("");
    return hex(`30${(body.length / 2).toString(16).padStart(2, "0")}${body}`);
  };

  const cases: [string, Uint8Array, number, number][] = [
    ["garbage", hex("deadbeef"), 400, FAILURE_INFO.badDataFormat],
    ["trailing bytes", Uint8Array.from([...req("020101", imprint()), 0]), 400, FAILURE_INFO.badDataFormat],
    ["version 2", req("020102", imprint()), 400, FAILURE_INFO.badRequest],
    ["a SHA-1 imprint", req("020101", imprint("06052b0e03021a", sha256.subarray(0, 20))), 400, FAILURE_INFO.badAlg],
    ["bad algorithm parameters", req("020101", imprint("0609608648016503040201", sha256, "0201 00".replace(" ", ""))), 400, FAILURE_INFO.badAlg],
    ["a short hash", req("020101", imprint("0609608648016503040201", sha256.subarray(0, 31))), 400, FAILURE_INFO.badDataFormat],
    ["a 21-byte nonce", req("020101", imprint(), `0215 01${"00".repeat(20)}`.replace(" ", "")), 400, FAILURE_INFO.badRequest],
    ["extensions", req("020101", imprint(), "a000"), 400, FAILURE_INFO.unacceptedExtension],
    ["fields out of order", req("020101", imprint(), "0101ff", "020101"), 400, FAILURE_INFO.badDataFormat],
    ["an unaccepted policy", req("020101", imprint(), "06032a0304"), 400, FAILURE_INFO.unacceptedPolicy],
    ["more than 1 KiB", new Uint8Array(1025), 413, FAILURE_INFO.badRequest],
  ];
  for (const [what, body, status, bit] of cases) {
    it(`rejects ${what}`, async () => {
      const res = await tsa.handle(body, TIMESTAMP_QUERY_TYPE);
      expect(res.status).toBe(status);
      expect(res.contentType).toBe(TIMESTAMP_REPLY_TYPE);
      expect(statusOf(res.body)).toEqual({ status: 2, failBit: bit });
    });
  }

  it("writes rejections openssl can read", async () => {
    const res = await tsa.handle(hex("deadbeef"), TIMESTAMP_QUERY_TYPE);
    const text = openssl(["ts", "-reply", "-in", path.basename(writeTmp(res.body)), "-text"]);
    expect(text).toContain("Status: Rejected");
    expect(text).toContain("Failure info: the data submitted has the wrong format");
  });

  const jsonCases: [string, string, number, number][] = [
    ["not JSON", "{", 400, FAILURE_INFO.badDataFormat],
    ["an array", "[]", 400, FAILURE_INFO.badDataFormat],
    ["an unknown field", JSON.stringify({ artifactHash: sha256.toString("base64"), extra: 1 }), 400, FAILURE_INFO.badRequest],
    ["base64url", JSON.stringify({ artifactHash: sha256.toString("base64url") }), 400, FAILURE_INFO.badDataFormat],
    ["a wrong length", JSON.stringify({ artifactHash: sha256.toString("base64"), hashAlgorithm: "sha512" }), 400, FAILURE_INFO.badDataFormat],
    ["md5", JSON.stringify({ artifactHash: sha256.toString("base64"), hashAlgorithm: "md5" }), 400, FAILURE_INFO.badAlg],
    ["a negative nonce", JSON.stringify({ artifactHash: sha256.toString("base64"), nonce: -1 }), 400, FAILURE_INFO.badRequest],
    ["a 200-digit nonce", JSON.stringify({ artifactHash: sha256.toString("base64"), nonce: "9".repeat(200) }), 400, FAILURE_INFO.badRequest],
    ["a nonce of 2^159 (21 INTEGER octets)", JSON.stringify({ artifactHash: sha256.toString("base64"), nonce: (2n ** 159n).toString() }), 400, FAILURE_INFO.badRequest],
    ["a bad policy OID", JSON.stringify({ artifactHash: sha256.toString("base64"), tsaPolicyOID: "1.2.x" }), 400, FAILURE_INFO.badRequest],
    ["certificates as a string", JSON.stringify({ artifactHash: sha256.toString("base64"), certificates: "yes" }), 400, FAILURE_INFO.badRequest],
    ["more than 1 KiB", JSON.stringify({ artifactHash: sha256.toString("base64"), pad: "x".repeat(1100) }), 413, FAILURE_INFO.badRequest],
  ];
  for (const [what, body, status, bit] of jsonCases) {
    it(`rejects a JSON request with ${what}`, async () => {
      const res = await tsa.handle(new TextEncoder().encode(body), "application/json");
      expect(res.status).toBe(status);
      expect(statusOf(res.body)).toEqual({ status: 2, failBit: bit });
    });
  }

  it("refuses other media types with 415", async () => {
    await expect(tsa.handle(new Uint8Array(10), "text/plain")).rejects.toMatchObject({ code: "ERR_TSA_MEDIA_TYPE", status: 415 });
  });
});

describe("failing closed", () => {
  const request = () => parseTimestampJsonRequest(JSON.stringify({ artifactHash: createHash("sha256").update(artifact).digest("base64") }));

  it("answers 503 while the HSM is down and recovers after", async () => {
    ca.store.failWith = new Error("CKR_DEVICE_REMOVED");
    try {
      await expect(tsa.timestamp(request())).rejects.toMatchObject({ code: "ERR_TSA_SIGNER_UNAVAILABLE", status: 503 });
    } finally {
      ca.store.failWith = undefined;
    }
    expect(parseTimestampResponse(await tsa.timestamp(request())).status).toBe(0);
  });

  it("refuses a signature by a key other than the TSA certificate's", async () => {
    const wrong = createTimestampAuthority({ signer: ca.signer("tsa"), certificates: [ca.ceremony.tsa.der] });
    const impostor = { ...ca.signer("tsa"), sign: createMemorySigner("P-256").sign };
    const bad = createTimestampAuthority({ signer: impostor, certificates: [ca.ceremony.tsa.der] });
    expect(parseTimestampResponse(await wrong.timestamp(request())).status).toBe(0);
    await expect(bad.timestamp(request())).rejects.toMatchObject({ code: "ERR_TSA_SIGNATURE_SELF_CHECK_FAILED" });
  });

  it("refuses to run with a certificate that is not a TSA certificate", () => {
    expect(() => createTimestampAuthority({ signer: ca.signer("ca-intermediate"), certificates: [ca.ceremony.intermediate.der] })).toThrow(/timeStamping/);
    expect(() => createTimestampAuthority({ signer: createMemorySigner("P-384"), certificates: [ca.ceremony.tsa.der] })).toThrow(/signer/);
  });

  it("refuses to timestamp outside the TSA certificate's validity", async () => {
    const late = createTimestampAuthority({ signer: ca.signer("tsa"), certificates: [ca.ceremony.tsa.der], clock: () => ca.ceremony.tsa.cert.notAfter + 1000 });
    await expect(late.timestamp(request())).rejects.toMatchObject({ code: "ERR_TSA_CERT_NOT_VALID", status: 503 });
  });
});
