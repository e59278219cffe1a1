/**
 * Certificate path validation (RFC 5280 §6.1, reduced to what Sigstore needs):
 * a leaf is chained to the certificate chain of one trusted authority, every
 * link's signature is checked, CA flags and pathLen are enforced, and every
 * certificate must be valid at each verified timestamp (not "now").
 */
import { SignetCryptoError } from "../errors.ts";
import { bytesEqual } from "../encoding/bytes.ts";
import { OID } from "../asn1/oid.ts";
import { isValidSignature } from "../keys.ts";
import { isWithin, type TimeRange } from "../trust/time-range.ts";
import { isSelfIssued, isValidAt, type Certificate } from "./certificate.ts";

/** Longest path we build (leaf + intermediates + root); SECURITY.md D12. */
export const CHAIN_MAX_LENGTH = 8;

/** What a trusted root says about one CA or TSA: its chain (issuing cert first, root last). */
export interface ChainAuthority {
  readonly certChain: readonly Certificate[];
  readonly validFor: TimeRange;
}

/** Options for one validation. */
export interface VerifyChainOptions {
  readonly leaf: Certificate;
  readonly authorities: readonly ChainAuthority[];
  /** Verified timestamps (ms); the path must be valid at every one. At least one. */
  readonly times: readonly number[];
  /** EKU the leaf must assert; CA certificates that carry an EKU must allow it too. */
  readonly requiredEku?: string;
  /** Whether the leaf's EKU extension must be critical (RFC 3161 §2.3 for TSAs). */
  readonly ekuMustBeCritical?: boolean;
}

/** A validated path and the authority it ends in. */
export interface VerifiedChain {
  readonly path: readonly Certificate[];
  readonly authority: ChainAuthority;
}

const KNOWN_CRITICAL = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
]);

// Links between trusted-root certificates are re-checked on every call unless
// cached; the cache is keyed on the parsed objects, which the trusted root keeps.
const verifiedLinks = new WeakMap<Certificate, WeakSet<Certificate>>();

function fail(code: `ERR_${string}`, message: string): never {
  throw new SignetCryptoError(code, message);
}

async function linkVerifies(child: Certificate, issuer: Certificate, cacheable: boolean): Promise<boolean> {
  if (cacheable && verifiedLinks.get(child)?.has(issuer)) return true;
  const ok = await isValidSignature(issuer.publicKey, child.signatureAlgorithm, child.tbs, child.signature);
  if (ok && cacheable) {
    let set = verifiedLinks.get(child);
    if (set === undefined) verifiedLinks.set(child, (set = new WeakSet()));
    set.add(issuer);
  }
  return ok;
}

function mayIssue(child: Certificate, issuer: Certificate): boolean {
  if (!bytesEqual(child.issuer, issuer.subject)) return false;
  if (child.authorityKeyId !== undefined && issuer.subjectKeyId !== undefined) {
    return bytesEqual(child.authorityKeyId, issuer.subjectKeyId);
  }
  return true;
}

/** Build the path from `leaf` to the last certificate of `authority.certChain`, checking signatures. */
async function buildPath(leaf: Certificate, authority: ChainAuthority): Promise<Certificate[]> {
  const chain = authority.certChain;
  const anchor = chain[chain.length - 1];
  if (anchor === undefined) fail("ERR_CERT_CHAIN_UNTRUSTED", "authority has an empty chain");
  const path: Certificate[] = [leaf];
  let current = leaf;
  while (!bytesEqual(current.der, anchor.der)) {
    if (path.length >= CHAIN_MAX_LENGTH) fail("ERR_CERT_CHAIN_UNTRUSTED", "certificate path too long");
    let next: Certificate | undefined;
    for (const candidate of chain) {
      if (path.includes(candidate) || !mayIssue(current, candidate)) continue;
      // Only links between trusted-root objects are cached; a bundle's leaf is checked every time.
      if (await linkVerifies(current, candidate, chain.includes(current))) {
        next = candidate;
        break;
      }
    }
    if (next === undefined) fail("ERR_CERT_CHAIN_UNTRUSTED", `no trusted issuer for "${current.subjectName || current.issuerName}"`);
    path.push(next);
    current = next;
  }
  if (path.length === 1) fail("ERR_CERT_CHAIN_UNTRUSTED", "leaf certificate is itself a trust anchor");
  return path;
}

function checkPathConstraints(path: readonly Certificate[], opts: VerifyChainOptions): void {
  const leaf = path[0]!;
  for (const cert of path) {
    for (const ext of cert.extensions) {
      if (ext.critical && !KNOWN_CRITICAL.has(ext.oid)) fail("ERR_CERT_CRITICAL_EXTENSION", `unhandled critical extension ${ext.oid}`);
    }
  }
  if (leaf.basicConstraints?.ca === true) fail("ERR_CERT_CHAIN_INVALID", "leaf certificate is a CA");
  for (let i = 1; i < path.length; i++) {
    const ca = path[i]!;
    if (ca.basicConstraints?.ca !== true) fail("ERR_CERT_CHAIN_INVALID", `"${ca.subjectName}" is not a CA`);
    if (ca.keyUsage !== undefined && !ca.keyUsage.keyCertSign) fail("ERR_CERT_CHAIN_INVALID", `"${ca.subjectName}" may not sign certificates`);
    // pathLen counts the non-self-issued intermediates below this CA (RFC 5280 §4.2.1.9).
    let below = 0;
    for (let j = 1; j < i; j++) if (!isSelfIssued(path[j]!)) below++;
    const pathLen = ca.basicConstraints.pathLen;
    if (pathLen !== undefined && below > pathLen) fail("ERR_CERT_CHAIN_INVALID", `pathLenConstraint of "${ca.subjectName}" exceeded`);
  }
  // A leaf must not outlive its issuer (SECURITY.md B4/F3; cosign GHSA-wfqv).
  if (leaf.notAfter > path[1]!.notAfter) fail("ERR_CERT_CHAIN_INVALID", "leaf expires after its issuer");
  if (opts.requiredEku !== undefined) {
    const eku = leaf.extKeyUsage;
    if (eku === undefined || !eku.includes(opts.requiredEku)) fail("ERR_CERT_EKU", `leaf lacks extended key usage ${opts.requiredEku}`);
    if (opts.ekuMustBeCritical === true && leaf.extensions.find((e) => e.oid === OID.extKeyUsage)?.critical !== true) {
      fail("ERR_CERT_EKU", "extended key usage must be critical");
    }
    for (const ca of path.slice(1)) {
      if (ca.extKeyUsage !== undefined && !ca.extKeyUsage.includes(opts.requiredEku) && !ca.extKeyUsage.includes("2.5.29.37.0")) {
        fail("ERR_CERT_EKU", `"${ca.subjectName}" does not allow ${opts.requiredEku}`);
      }
    }
  }
}

/**
 * Validate `leaf` against the authorities at every time in `times`
 * (RFC 5280 §6.1). Each time may use a different authority, but each must be
 * inside that authority's validFor. Throws ERR_CERT_CHAIN_UNTRUSTED,
 * ERR_CERT_CHAIN_INVALID, ERR_CERT_EXPIRED, ERR_CERT_EKU or ERR_CERT_CRITICAL_EXTENSION.
 */
export async function verifyCertificateChain(opts: VerifyChainOptions): Promise<VerifiedChain> {
  if (opts.times.length === 0) fail("ERR_CERT_NO_TIME", "no verified time to validate the certificate at");
  let result: VerifiedChain | undefined;
  const paths = new Map<ChainAuthority, Promise<Certificate[]>>();
  for (const t of opts.times) {
    let lastError: unknown = new SignetCryptoError("ERR_CERT_CHAIN_UNTRUSTED", "no certificate authority is valid at the signing time");
    let found: VerifiedChain | undefined;
    for (const authority of opts.authorities) {
      if (!isWithin(authority.validFor, t)) continue;
      try {
        let p = paths.get(authority);
        if (p === undefined) paths.set(authority, (p = buildPath(opts.leaf, authority)));
        const path = await p;
        checkPathConstraints(path, opts);
        for (const cert of path) {
          if (!isValidAt(cert, t)) {
            fail("ERR_CERT_EXPIRED", `"${cert.subjectName || "leaf"}" is not valid at ${new Date(t).toISOString()}`);
          }
        }
        found = { path, authority };
        break;
      } catch (e) {
        lastError = e;
      }
    }
    if (found === undefined) throw lastError;
    result ??= found;
  }
  return result!;
}
