import { createHash, generateKeyPairSync, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseDer, readOctetAlignedBitString, TAG } from "@signet/crypto/asn1/der";
import { OID } from "@signet/crypto/asn1/oid";
import { findExtension, parseCertificate } from "@signet/crypto/x509/certificate";
import { decodeFulcioExtension, FULCIO_OIDS } from "@signet/crypto/x509/fulcio-extensions";
import {
  createLeafEncoder,
  encodeCaTbs,
  encodeCertificate,
  encodeFulcioExtensionValue,
  encodeName,
  encodeSctList,
  randomSerialNumber,
  SIGNATURE_ALGORITHM,
  SIGNET_PASSKEY_OID,
  subjectKeyIdentifier,
  validateSubjectAltName,
  type SubjectAltName,
} from "./certificate.ts";
import { x509Time } from "./der-writer.ts";

function spkiOf(curve = "prime256v1"): Uint8Array {
  return new Uint8Array(generateKeyPairSync("ec", { namedCurve: curve }).publicKey.export({ format: "der", type: "spki" }));
}

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code ?? (e as Error).name;
  }
  return undefined;
}

describe("randomSerialNumber", () => {
  it("is always 20 octets, positive and minimal", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const s = randomSerialNumber();
      expect(s.length).toBe(20);
      expect(s[0]! & 0x80).toBe(0);
      expect(s[0]).not.toBe(0);
      seen.add(Buffer.from(s).toString("hex"));
    }
    expect(seen.size).toBe(2000);
  });
});

describe("x509Time", () => {
  it("uses UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)", () => {
    expect(Buffer.from(x509Time(Date.UTC(2049, 11, 31, 23, 59, 59))).toString("latin1")).toBe("\x17\x0d491231235959Z");
    expect(Buffer.from(x509Time(Date.UTC(2050, 0, 1))).toString("latin1")).toBe("\x18\x0f20500101000000Z");
    expect(Buffer.from(x509Time(Date.UTC(2026, 0, 2, 3, 4, 5))).toString("latin1")).toBe("\x17\x0d260102030405Z");
  });
  it("refuses fractional seconds", () => {
    expect(code(() => x509Time(1_700_000_000_123))).toBe("RangeError");
  });
});

describe("subjectKeyIdentifier", () => {
  it("is the leftmost 160 bits of SHA-256 of the key bits (RFC 7093 §2)", () => {
    const spki = spkiOf();
    const bits = readOctetAlignedBitString(parseDer(spki).children[1]);
    expect(Buffer.from(subjectKeyIdentifier(spki))).toEqual(createHash("sha256").update(bits).digest().subarray(0, 20));
  });
});

describe("validateSubjectAltName (SECURITY.md B3)", () => {
  const ok: SubjectAltName[] = [
    { kind: "email", value: "dev@example.test" },
    { kind: "email", value: "first.last+tag@sub.example.co" },
    { kind: "uri", value: "https://github.com/org/repo/.github/workflows/ci.yml@refs/heads/main" },
    { kind: "uri", value: "spiffe://example.test/ns/default/sa/x%20y" },
  ];
  for (const san of ok) it(`accepts ${san.value}`, () => expect(code(() => validateSubjectAltName(san))).toBeUndefined());

  const bad: [string, SubjectAltName][] = [
    ["a newline", { kind: "email", value: "dev@example.test\nx@evil.test" }],
    ["a NUL", { kind: "email", value: "dev@example.test\0.evil.test" }],
    ["an RTL override", { kind: "email", value: "dev\u202e@example.test" }],
    ["non-ASCII", { kind: "email", value: "dév@example.test" }],
    ["10 KB", { kind: "email", value: `${"a".repeat(10_000)}@example.test` }],
    ["two @", { kind: "email", value: "a@b@example.test" }],
    ["empty", { kind: "email", value: "" }],
    ["a URI with a space", { kind: "uri", value: "https://example.test/a b" }],
    ["a URI with non-ASCII", { kind: "uri", value: "https://example.test/ü" }],
    ["a URI with a newline", { kind: "uri", value: "https://example.test/a\nb" }],
    ["a URI with a bad escape", { kind: "uri", value: "https://example.test/%zz" }],
    ["a relative URI", { kind: "uri", value: "/just/a/path" }],
    ["a 10 KB URI", { kind: "uri", value: `https://example.test/${"a".repeat(10_000)}` }],
  ];
  for (const [what, san] of bad) it(`rejects ${what}`, () => expect(code(() => validateSubjectAltName(san))).toBe("ERR_CA_IDENTITY_INVALID"));
});

describe("encodeFulcioExtensionValue", () => {
  it("writes .1–.6 raw and .8+ as DER UTF8String", () => {
    expect(Buffer.from(encodeFulcioExtensionValue(FULCIO_OIDS.issuerV1, "https://i.test")).toString()).toBe("https://i.test");
    const v2 = encodeFulcioExtensionValue(FULCIO_OIDS.issuer, "https://i.test");
    expect(v2[0]).toBe(TAG.UTF8_STRING);
    expect(decodeFulcioExtension(FULCIO_OIDS.issuer, v2)).toBe("https://i.test");
  });
  it("encodes non-ASCII and bidi characters exactly as UTF-8", () => {
    const value = "Build ✓ ünïcödé \u202egnp.exe 𝄞";
    const v = encodeFulcioExtensionValue(FULCIO_OIDS.buildTrigger, value);
    expect(decodeFulcioExtension(FULCIO_OIDS.buildTrigger, v)).toBe(value);
  });
  it("rejects control characters, lone surrogates, oversize values and foreign OIDs", () => {
    expect(code(() => encodeFulcioExtensionValue(FULCIO_OIDS.buildTrigger, "push\n"))).toBe("ERR_CA_IDENTITY_INVALID");
    expect(code(() => encodeFulcioExtensionValue(FULCIO_OIDS.buildTrigger, "a\0b"))).toBe("ERR_CA_IDENTITY_INVALID");
    expect(code(() => encodeFulcioExtensionValue(FULCIO_OIDS.buildTrigger, "a\ud800b"))).toBe("ERR_CA_IDENTITY_INVALID");
    expect(code(() => encodeFulcioExtensionValue(FULCIO_OIDS.buildTrigger, "x".repeat(4097)))).toBe("ERR_CA_IDENTITY_INVALID");
    expect(code(() => encodeFulcioExtensionValue(FULCIO_OIDS.buildTrigger, ""))).toBe("ERR_CA_IDENTITY_INVALID");
    expect(code(() => encodeFulcioExtensionValue(OID.subjectAltName, "x"))).toBe("ERR_CA_IDENTITY_INVALID");
    expect(code(() => encodeFulcioExtensionValue(FULCIO_OIDS.otherNameSan, "x"))).toBe("ERR_CA_IDENTITY_INVALID");
  });
});

describe("encodeSctList", () => {
  it("is an OCTET STRING around u16 total ‖ (u16 len ‖ SCT)* (RFC 6962 §3.3)", () => {
    const v = encodeSctList([Uint8Array.of(1, 2, 3), Uint8Array.of(4)]);
    expect([...v]).toEqual([0x04, 10, 0, 8, 0, 3, 1, 2, 3, 0, 1, 4]);
    expect(code(() => encodeSctList([]))).toBe("RangeError");
  });
});

describe("createLeafEncoder", () => {
  const caSpki = spkiOf("secp384r1");
  const issuer = { subject: encodeName({ organization: "signet", commonName: "signet-intermediate" }), subjectKeyId: subjectKeyIdentifier(caSpki), algorithm: "P-384" as const };
  const encoder = createLeafEncoder(issuer);
  const notBefore = Date.UTC(2030, 5, 1, 12, 0, 0);
  const fields = {
    serialNumber: randomSerialNumber(),
    notBefore,
    notAfter: notBefore + 600_000,
    publicKey: spkiOf(),
    san: { kind: "uri", value: "https://github.com/o/r/.github/workflows/ci.yml@refs/heads/main" } as const,
    extensions: { [FULCIO_OIDS.issuer]: "https://token.actions.githubusercontent.com", [FULCIO_OIDS.issuerV1]: "https://token.actions.githubusercontent.com", [FULCIO_OIDS.buildTrigger]: "push" },
  };
  const prepared = encoder.prepare(fields);
  const fakeSig = Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01);
  const wrap = (tbs: Uint8Array) => parseCertificate(encodeCertificate(tbs, encoder.signatureAlgorithm, fakeSig));

  it("encodes the Fulcio profile, parsed back by @signet/crypto and by Node's X509Certificate", () => {
    const der = encodeCertificate(prepared.finalTbs([Uint8Array.of(0, 1, 2)]), encoder.signatureAlgorithm, fakeSig);
    const c = parseCertificate(der);
    expect(c.version).toBe(3);
    expect(Buffer.from(c.serialNumber)).toEqual(Buffer.from(fields.serialNumber));
    expect(c.subject).toEqual(new Uint8Array([0x30, 0]));
    expect(Buffer.from(c.issuer)).toEqual(Buffer.from(issuer.subject));
    expect(c.notBefore).toBe(fields.notBefore);
    expect(c.notAfter).toBe(fields.notAfter);
    expect(c.signatureAlgorithm).toEqual({ kind: "ecdsa", hash: "SHA-384" });
    expect(c.subjectAltNames).toEqual([fields.san]);
    expect(findExtension(c, OID.subjectAltName)?.critical).toBe(true);
    expect(findExtension(c, OID.keyUsage)?.critical).toBe(true);
    expect(c.keyUsage).toEqual({ digitalSignature: true, keyCertSign: false, cRLSign: false });
    expect(c.extKeyUsage).toEqual([OID.ekuCodeSigning]);
    expect(c.basicConstraints).toEqual({ ca: false, pathLen: undefined });
    expect(Buffer.from(c.authorityKeyId!)).toEqual(Buffer.from(issuer.subjectKeyId));
    expect(c.extensions.map((e) => e.oid).slice(-4)).toEqual([FULCIO_OIDS.issuerV1, FULCIO_OIDS.issuer, FULCIO_OIDS.buildTrigger, OID.ctSctList]);
    const x = new X509Certificate(der);
    expect(x.subjectAltName).toBe(`URI:${fields.san.value}`);
    expect(x.ca).toBe(false);
  });

  it("builds precertificate, SCT-less and final TBS with identical serial, dates and extensions", () => {
    const pre = wrap(prepared.precertificateTbs());
    const plain = wrap(prepared.tbsWithoutSct());
    const fin = wrap(prepared.finalTbs([Uint8Array.of(9)]));
    expect(findExtension(pre, OID.ctPoison)?.critical).toBe(true);
    expect(pre.extensions[pre.extensions.length - 1]!.oid).toBe(OID.ctPoison);
    expect(findExtension(fin, OID.ctPoison)).toBeUndefined();
    const withoutCt = (c: typeof pre) => c.extensions.filter((e) => e.oid !== OID.ctPoison && e.oid !== OID.ctSctList).map((e) => Buffer.from(e.raw).toString("hex"));
    expect(withoutCt(pre)).toEqual(withoutCt(fin));
    expect(withoutCt(plain)).toEqual(withoutCt(fin));
    expect(plain.extensions.length).toBe(fin.extensions.length - 1);
    for (const c of [pre, plain]) {
      expect(Buffer.from(c.serialNumber)).toEqual(Buffer.from(fin.serialNumber));
      expect([c.notBefore, c.notAfter]).toEqual([fin.notBefore, fin.notAfter]);
    }
  });

  it("refuses bad serials, validity and keys before encoding", () => {
    expect(code(() => encoder.prepare({ ...fields, serialNumber: Uint8Array.of(0x80, 1) }))).toBe("RangeError");
    expect(code(() => encoder.prepare({ ...fields, serialNumber: Uint8Array.of(0, 1) }))).toBe("RangeError");
    expect(code(() => encoder.prepare({ ...fields, serialNumber: new Uint8Array(21).fill(1) }))).toBe("RangeError");
    expect(code(() => encoder.prepare({ ...fields, notAfter: fields.notBefore }))).toBe("RangeError");
    expect(code(() => encoder.prepare({ ...fields, publicKey: Uint8Array.of(0x30, 0) }))).toBe("ERR_CA_PUBLIC_KEY_INVALID");
    expect(code(() => encoder.prepare({ ...fields, publicKey: Uint8Array.from([...fields.publicKey, 0]) }))).toBe("ERR_CA_PUBLIC_KEY_INVALID");
    expect(code(() => encoder.prepare({ ...fields, san: { kind: "email", value: "a\n@b.test" } }))).toBe("ERR_CA_IDENTITY_INVALID");
  });

  it("encodes Signet's passkey extension (a 2.25 UUID OID) after Fulcio's, as a UTF8String", () => {
    const der = encodeCertificate(
      encoder.prepare({ ...fields, extensions: { [SIGNET_PASSKEY_OID]: "passkey", ...fields.extensions } }).finalTbs([Uint8Array.of(1)]),
      encoder.signatureAlgorithm,
      fakeSig,
    );
    // Find the extension by hand: its arc is 128 bits, beyond @signet/crypto's 32-bit OID reader.
    const utf8Passkey = Buffer.from([0x0c, 7, ...Buffer.from("passkey")]);
    const at = Buffer.from(der).indexOf(Buffer.concat([Buffer.from([0x04, utf8Passkey.length]), utf8Passkey]));
    expect(at).toBeGreaterThan(0);
    const arcs = (content: Uint8Array): string => {
      let v = 0n;
      const out: bigint[] = [];
      for (const b of content) {
        v = (v << 7n) | BigInt(b & 0x7f);
        if ((b & 0x80) === 0) {
          out.push(v);
          v = 0n;
        }
      }
      return ["2", String(out[0]! - 80n), ...out.slice(1).map(String)].join(".");
    };
    // SEQUENCE { OID, OCTET STRING }: the OID TLV sits right before the OCTET STRING.
    const bytes = Buffer.from(der);
    const oidStart = bytes.lastIndexOf(0x06, at);
    const oidLen = bytes[oidStart + 1]!;
    expect(oidStart + 2 + oidLen).toBe(at);
    expect(arcs(bytes.subarray(oidStart + 2, oidStart + 2 + oidLen))).toBe(SIGNET_PASSKEY_OID);
    // After the Fulcio extensions, before the SCT list; OpenSSL parses the certificate.
    expect(bytes.indexOf(Buffer.from("push"))).toBeLessThan(at);
    expect(new X509Certificate(der).subjectAltName).toContain("URI:");
    expect(code(() => encoder.prepare({ ...fields, extensions: { [SIGNET_PASSKEY_OID]: "pass\nkey" } }))).toBe("ERR_CA_IDENTITY_INVALID");
    expect(code(() => encoder.prepare({ ...fields, extensions: { "2.25.1": "passkey" } }))).toBe("ERR_CA_IDENTITY_INVALID");
  });

  it("encodes the email SAN as an rfc822Name", () => {
    const c = wrap(encoder.prepare({ ...fields, san: { kind: "email", value: "dev@example.test" } }).finalTbs([Uint8Array.of(1)]));
    expect(c.subjectAltNames).toEqual([{ kind: "email", value: "dev@example.test" }]);
  });
});

describe("encodeCaTbs", () => {
  const rootSpki = spkiOf("secp384r1");
  const rootName = encodeName({ organization: "signet", commonName: "signet-root" });
  const rootCa = { subject: rootName, subjectKeyId: subjectKeyIdentifier(rootSpki), algorithm: "P-384" as const };
  const base = { serialNumber: randomSerialNumber(), notBefore: Date.UTC(2026, 0, 1), notAfter: Date.UTC(2036, 0, 1) };
  const sig = Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01);
  const cert = (kind: "root" | "intermediate" | "timestamping", publicKey: Uint8Array, subject: Uint8Array) =>
    parseCertificate(encodeCertificate(encodeCaTbs({ ...base, kind, publicKey, subject, issuer: rootCa }), SIGNATURE_ALGORITHM["P-384"], sig));

  it("root: CA, pathLen 1, keyCertSign|cRLSign, self-issued", () => {
    const c = cert("root", rootSpki, rootName);
    expect(c.basicConstraints).toEqual({ ca: true, pathLen: 1 });
    expect(c.keyUsage).toEqual({ digitalSignature: false, keyCertSign: true, cRLSign: true });
    expect(c.subjectName).toBe("O=signet, CN=signet-root");
    expect(Buffer.from(c.subject)).toEqual(Buffer.from(c.issuer));
    expect(c.authorityKeyId).toBeUndefined();
  });
  it("intermediate: CA, pathLen 0, EKU codeSigning, AKI = root SKI", () => {
    const c = cert("intermediate", spkiOf(), encodeName({ organization: "signet", commonName: "signet-intermediate" }));
    expect(c.basicConstraints).toEqual({ ca: true, pathLen: 0 });
    expect(c.extKeyUsage).toEqual([OID.ekuCodeSigning]);
    expect(Buffer.from(c.authorityKeyId!)).toEqual(Buffer.from(rootCa.subjectKeyId));
  });
  it("TSA: end entity with the single critical EKU timeStamping", () => {
    const c = cert("timestamping", spkiOf(), encodeName({ organization: "signet", commonName: "signet-tsa" }));
    expect(c.basicConstraints).toBeUndefined();
    expect(c.extKeyUsage).toEqual([OID.ekuTimeStamping]);
    expect(findExtension(c, OID.extKeyUsage)?.critical).toBe(true);
    expect(c.keyUsage?.digitalSignature).toBe(true);
  });
  it("refuses control characters in names", () => {
    expect(code(() => encodeName({ organization: "a\nb", commonName: "x" }))).toBe("RangeError");
  });
});
