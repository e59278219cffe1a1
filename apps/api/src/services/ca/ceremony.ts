/**
 * The key ceremony run on every start (docs/ca.md): the HSM holds five named keys, and the CA's three
 * certificates (root, intermediate, TSA) are created once, stored as PEM under a directory, and on each
 * later start re-read and checked against the HSM's public keys. Idempotent and race-safe: a
 * certificate file is published with link(2), so two starting replicas cannot both create one, and
 * a crash between two steps resumes where it stopped. Any mismatch is fatal.
 */
import { createHash, createPublicKey, verify } from "node:crypto";
import { link, mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { ecdsaRawToDer } from "@signet/crypto/asn1/der";
import { OID } from "@signet/crypto/asn1/oid";
import { parsePem, toPem } from "@signet/crypto/pem";
import { findExtension, parseCertificate, type Certificate } from "@signet/crypto/x509/certificate";
import type { Signer } from "@signet/hsm/signer";
import { encodeCaTbs, encodeCertificate, encodeName, randomSerialNumber, SIGNATURE_ALGORITHM, subjectKeyIdentifier, type CaCertificateKind, type CaKeyAlgorithm, type IssuingCa } from "./certificate.ts";

/** The HSM operations the ceremony needs: the shape of `HsmClient` in apps/hsm/src/client.ts. */
export interface CeremonyKeyStore {
  /** Create the key if absent; fails if it exists with another algorithm. */
  ensureKey(label: string, algorithm: CaKeyAlgorithm): Promise<{ spki: Uint8Array; algorithm: string }>;
  publicKey(label: string): Promise<{ spki: Uint8Array; algorithm: string }>;
  /** Raw ECDSA r‖s over a digest the caller computed (SHA-256 for P-256, SHA-384 for P-384). */
  sign(label: string, digest: Uint8Array): Promise<Uint8Array>;
}

/** The HSM key labels Signet uses. */
export const KEY_LABELS = {
  caRoot: "ca-root",
  caIntermediate: "ca-intermediate",
  /** Checkpoints and signed entry timestamps of the transparency log. */
  log: "log",
  ctLog: "ct-log",
  tsa: "tsa",
} as const;

/** File names under the ceremony directory. */
export const CEREMONY_FILES = { root: "root.pem", intermediate: "intermediate.pem", tsa: "tsa.pem" } as const;

/** Lifetimes of the ceremony certificates. */
export const ROOT_VALIDITY_MS = 10 * 365 * 24 * 3600 * 1000;
export const INTERMEDIATE_VALIDITY_MS = 5 * 365 * 24 * 3600 * 1000;
export const TSA_VALIDITY_MS = 5 * 365 * 24 * 3600 * 1000;
/** CA certificates start slightly in the past so clients with a slow clock accept them at once. */
const BACKDATE_MS = 5 * 60 * 1000;

/** A fatal ceremony failure: the process must not serve with this key material. */
export class CeremonyError extends Error {
  override name = "CeremonyError";
  constructor(
    readonly code: "ERR_CA_CEREMONY_KEY_MISMATCH" | "ERR_CA_CEREMONY_INCONSISTENT" | "ERR_CA_CEREMONY_CERT_INVALID" | "ERR_CA_CEREMONY_IO",
    message: string,
  ) {
    super(message);
  }
}

export interface CeremonyOptions {
  keyStore: CeremonyKeyStore;
  /** Where the PEM files live, e.g. `<data>/ca`. Created if absent. */
  dir: string;
  /** Organization name in the CA subjects (default "signet"). */
  organization?: string;
  /** Curve of the intermediate (default P-256: about 10× the issuance rate of P-384 here; the root is always P-384). */
  intermediateAlgorithm?: CaKeyAlgorithm;
  clock?: () => number;
}

export interface CeremonyCertificate {
  readonly der: Uint8Array;
  readonly pem: string;
  readonly cert: Certificate;
}

export interface CeremonyResult {
  readonly root: CeremonyCertificate;
  readonly intermediate: CeremonyCertificate;
  /** The TSA signing certificate, issued by the root (its chain is tsa, root). */
  readonly tsa: CeremonyCertificate;
  /** SPKI DER of every key, by label. */
  readonly publicKeys: Readonly<Record<(typeof KEY_LABELS)[keyof typeof KEY_LABELS], Uint8Array>>;
  /** The certificates this run created (empty on a normal restart). */
  readonly created: readonly ("root" | "intermediate" | "tsa")[];
  /** Non-fatal findings, e.g. a certificate close to expiry. */
  readonly warnings: readonly string[];
}

const HASH: Record<CaKeyAlgorithm, "sha256" | "sha384"> = { "P-256": "sha256", "P-384": "sha384" };

/**
 * A Signer over one key of a CeremonyKeyStore: hashes in Node, has the store sign the digest, converts
 * r‖s to DER and verifies the result under the key's public key before returning it (SECURITY.md B6).
 */
export function createKeyStoreSigner(store: CeremonyKeyStore, label: string, algorithm: CaKeyAlgorithm, spki: Uint8Array): Signer {
  const key = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  return {
    algorithm,
    publicKey: async () => spki.slice(),
    async sign(data) {
      const digest = createHash(HASH[algorithm]).update(data).digest();
      const raw = await store.sign(label, new Uint8Array(digest));
      const der = ecdsaRawToDer(raw);
      if (!verify(HASH[algorithm], data, { key, dsaEncoding: "der" }, der)) {
        throw new CeremonyError("ERR_CA_CEREMONY_KEY_MISMATCH", `HSM key ${label} produced a signature that does not verify under its public key`);
      }
      return der;
    },
  };
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

async function readPem(file: string): Promise<CeremonyCertificate | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CeremonyError("ERR_CA_CEREMONY_IO", `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  try {
    const der = parsePem(text, "CERTIFICATE");
    return { der, pem: toPem(der, "CERTIFICATE"), cert: parseCertificate(der) };
  } catch (e) {
    throw new CeremonyError("ERR_CA_CEREMONY_CERT_INVALID", `${file} is not a single PEM certificate (${(e as Error).message})`);
  }
}

/** Publish `content` at `file` only if nothing is there yet; false when another writer got there first. */
async function publishOnce(file: string, content: string): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, content, { mode: 0o644, flag: "wx" });
    try {
      await link(tmp, file);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw e;
    }
  } catch (e) {
    throw new CeremonyError("ERR_CA_CEREMONY_IO", `cannot write ${file} (${(e as NodeJS.ErrnoException).code ?? e})`);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

function curveOf(cert: Certificate): CaKeyAlgorithm | undefined {
  const k = cert.publicKey;
  return k.kind === "ecdsa" && (k.curve === "P-256" || k.curve === "P-384") ? k.curve : undefined;
}

function checkSignedBy(cert: Certificate, issuer: Certificate, what: string): void {
  const alg = cert.signatureAlgorithm;
  const ok =
    alg.kind === "ecdsa" &&
    same(cert.issuer, issuer.subject) &&
    verify(alg.hash.replace("-", "").toLowerCase(), cert.tbs, { key: createPublicKey({ key: Buffer.from(issuer.publicKey.spki), format: "der", type: "spki" }), dsaEncoding: "der" }, cert.signature);
  if (!ok) throw new CeremonyError("ERR_CA_CEREMONY_CERT_INVALID", `${what} is not signed by the root`);
}

function checkProfile(kind: CaCertificateKind, cert: Certificate, file: string): void {
  const bad = (why: string) => new CeremonyError("ERR_CA_CEREMONY_CERT_INVALID", `${file}: ${why}`);
  if (cert.subjectKeyId === undefined) throw bad("no SubjectKeyIdentifier");
  if (kind === "root" && !cert.basicConstraints?.ca) throw bad("the root is not a CA");
  if (kind === "intermediate") {
    if (!cert.basicConstraints?.ca || cert.basicConstraints.pathLen !== 0) throw bad("the intermediate must be a CA with pathLen 0");
    if (!cert.extKeyUsage?.includes(OID.ekuCodeSigning)) throw bad("the intermediate must carry EKU codeSigning");
  }
  if (kind === "timestamping") {
    const eku = findExtension(cert, OID.extKeyUsage);
    if (cert.basicConstraints?.ca || !eku?.critical || cert.extKeyUsage?.length !== 1 || cert.extKeyUsage[0] !== OID.ekuTimeStamping) {
      throw bad("the TSA certificate must be an end entity with the single critical EKU timeStamping");
    }
  }
}

/**
 * Run the ceremony: ensure the five HSM keys, then create what is missing and verify everything
 * (root self-signed with ca-root, intermediate and TSA certificates signed by it, every certificate's key
 * equal to its HSM key). Throws CeremonyError on any mismatch.
 */
export async function runKeyCeremony(options: CeremonyOptions): Promise<CeremonyResult> {
  const store = options.keyStore;
  const clock = options.clock ?? Date.now;
  const org = options.organization ?? "signet";
  const intermediateAlg = options.intermediateAlgorithm ?? "P-256";

  const wanted: [label: (typeof KEY_LABELS)[keyof typeof KEY_LABELS], alg: CaKeyAlgorithm][] = [
    [KEY_LABELS.caRoot, "P-384"],
    [KEY_LABELS.caIntermediate, intermediateAlg],
    [KEY_LABELS.log, "P-256"],
    [KEY_LABELS.ctLog, "P-256"],
    [KEY_LABELS.tsa, "P-256"],
  ];
  const publicKeys = {} as Record<(typeof KEY_LABELS)[keyof typeof KEY_LABELS], Uint8Array>;
  for (const [label, alg] of wanted) {
    const k = await store.ensureKey(label, alg);
    if (k.algorithm !== alg) throw new CeremonyError("ERR_CA_CEREMONY_KEY_MISMATCH", `HSM key ${label} is ${k.algorithm}, expected ${alg}`);
    publicKeys[label] = k.spki;
  }

  try {
    await mkdir(options.dir, { recursive: true, mode: 0o755 });
  } catch (e) {
    throw new CeremonyError("ERR_CA_CEREMONY_IO", `cannot create ${options.dir} (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  const file = (name: keyof typeof CEREMONY_FILES) => path.join(options.dir, CEREMONY_FILES[name]);
  const created: ("root" | "intermediate" | "tsa")[] = [];
  const warnings: string[] = [];
  const now = Math.floor(clock() / 1000) * 1000;

  let root = await readPem(file("root"));
  if (root === undefined) {
    // Certificates whose root is gone cannot be re-verified, and re-rooting them silently would be a new CA.
    if ((await readPem(file("intermediate"))) !== undefined || (await readPem(file("tsa"))) !== undefined) {
      throw new CeremonyError("ERR_CA_CEREMONY_INCONSISTENT", `${file("root")} is missing but other CA certificates exist in ${options.dir}`);
    }
    const spki = publicKeys[KEY_LABELS.caRoot];
    const subject = encodeName({ organization: org, commonName: `${org}-root` });
    const self: IssuingCa = { subject, subjectKeyId: subjectKeyIdentifier(spki), algorithm: "P-384" };
    const tbs = encodeCaTbs({ kind: "root", serialNumber: randomSerialNumber(), notBefore: now - BACKDATE_MS, notAfter: now + ROOT_VALIDITY_MS, subject, publicKey: spki, issuer: self });
    const signer = createKeyStoreSigner(store, KEY_LABELS.caRoot, "P-384", spki);
    const der = encodeCertificate(tbs, SIGNATURE_ALGORITHM["P-384"], await signer.sign(tbs));
    if (await publishOnce(file("root"), toPem(der, "CERTIFICATE"))) created.push("root");
    root = (await readPem(file("root")))!;
  }
  if (!same(root.cert.publicKey.spki, publicKeys[KEY_LABELS.caRoot])) {
    throw new CeremonyError("ERR_CA_CEREMONY_KEY_MISMATCH", `${file("root")} is not the certificate of HSM key ${KEY_LABELS.caRoot}`);
  }
  checkProfile("root", root.cert, file("root"));
  checkSignedBy(root.cert, root.cert, file("root"));
  const rootAlg = curveOf(root.cert);
  if (rootAlg === undefined) throw new CeremonyError("ERR_CA_CEREMONY_CERT_INVALID", "the root key must be ECDSA P-256 or P-384");
  const rootIssuer: IssuingCa = { subject: root.cert.subject, subjectKeyId: root.cert.subjectKeyId!, algorithm: rootAlg };
  const rootSigner = createKeyStoreSigner(store, KEY_LABELS.caRoot, rootAlg, root.cert.publicKey.spki);

  const issueUnderRoot = async (name: "intermediate" | "tsa", kind: CaCertificateKind, label: string, validityMs: number): Promise<CeremonyCertificate> => {
    let c = await readPem(file(name));
    if (c === undefined) {
      const spki = publicKeys[label as keyof typeof publicKeys];
      const tbs = encodeCaTbs({
        kind,
        serialNumber: randomSerialNumber(),
        notBefore: now - BACKDATE_MS,
        notAfter: Math.min(now + validityMs, Math.floor(root!.cert.notAfter / 1000) * 1000),
        subject: encodeName({ organization: org, commonName: `${org}-${name}` }),
        publicKey: spki,
        issuer: rootIssuer,
      });
      const der = encodeCertificate(tbs, SIGNATURE_ALGORITHM[rootAlg], await rootSigner.sign(tbs));
      if (await publishOnce(file(name), toPem(der, "CERTIFICATE"))) created.push(name);
      c = (await readPem(file(name)))!;
    }
    if (!same(c.cert.publicKey.spki, publicKeys[label as keyof typeof publicKeys])) {
      throw new CeremonyError("ERR_CA_CEREMONY_KEY_MISMATCH", `${file(name)} is not the certificate of HSM key ${label}`);
    }
    checkProfile(kind, c.cert, file(name));
    checkSignedBy(c.cert, root!.cert, file(name));
    if (c.cert.notAfter > root!.cert.notAfter) throw new CeremonyError("ERR_CA_CEREMONY_CERT_INVALID", `${file(name)} outlives the root`);
    return c;
  };

  const intermediate = await issueUnderRoot("intermediate", "intermediate", KEY_LABELS.caIntermediate, INTERMEDIATE_VALIDITY_MS);
  const tsa = await issueUnderRoot("tsa", "timestamping", KEY_LABELS.tsa, TSA_VALIDITY_MS);

  const soon = now + 30 * 24 * 3600 * 1000;
  for (const [name, c] of [["root", root], ["intermediate", intermediate], ["tsa", tsa]] as const) {
    if (c.cert.notAfter < now) warnings.push(`${name} certificate expired on ${new Date(c.cert.notAfter).toISOString()}`);
    else if (c.cert.notAfter < soon) warnings.push(`${name} certificate expires on ${new Date(c.cert.notAfter).toISOString()}`);
  }
  return { root, intermediate, tsa, publicKeys, created, warnings };
}
