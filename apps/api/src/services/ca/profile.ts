/**
 * The Fulcio leaf profile as a check (SECURITY.md B4; sigstore/fulcio docs/certificate-specification.md):
 * run over every certificate in the tests, and available to callers that want to re-check a stored one.
 */
import { OID } from "@signet/crypto/asn1/oid";
import { findExtension, type Certificate } from "@signet/crypto/x509/certificate";
import { FULCIO_OIDS, decodeFulcioExtension } from "@signet/crypto/x509/fulcio-extensions";
import { LEAF_MAX_VALIDITY_MS } from "./certificate.ts";

/** A leaf that breaks the profile. */
export class ProfileViolation extends Error {
  override name = "ProfileViolation";
  readonly code = "ERR_CA_PROFILE_VIOLATION";
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/**
 * Throw ProfileViolation unless `leaf` is a final Fulcio leaf issued by `issuers[0]`: v3, 20-octet
 * positive serial, empty subject, not a CA, KU digitalSignature only (critical), EKU codeSigning only,
 * lifetime ≤ 10 min inside every issuer's validity, exactly one critical SAN (email or URI), SKI, AKI =
 * issuer SKI, the issuer extensions (.1 and .8, equal), an SCT list and no CT poison.
 */
export function checkLeafProfile(leaf: Certificate, issuers: readonly Certificate[]): void {
  const fail = (why: string): never => {
    throw new ProfileViolation(why);
  };
  const issuer = issuers[0] ?? fail("no issuer given");
  if (leaf.version !== 3) fail("not a v3 certificate");
  if (leaf.serialNumber.length !== 20 || (leaf.serialNumber[0]! & 0x80) !== 0) fail("serial is not a positive 160-bit number");
  if (leaf.subject.length !== 2) fail("subject is not empty");
  if (!same(leaf.issuer, issuer.subject)) fail("issuer Name is not the intermediate's subject");
  if (leaf.basicConstraints?.ca) fail("leaf is a CA");
  const ku = findExtension(leaf, OID.keyUsage);
  if (!ku?.critical || !leaf.keyUsage?.digitalSignature || leaf.keyUsage.keyCertSign || leaf.keyUsage.cRLSign) fail("keyUsage must be critical digitalSignature");
  if (leaf.extKeyUsage?.length !== 1 || leaf.extKeyUsage[0] !== OID.ekuCodeSigning) fail("extKeyUsage must be codeSigning");
  if (leaf.notAfter - leaf.notBefore > LEAF_MAX_VALIDITY_MS) fail("lifetime exceeds 10 minutes");
  for (const i of issuers) {
    if (leaf.notAfter > i.notAfter) fail("leaf outlives an issuer");
    if (leaf.notBefore < i.notBefore) fail("leaf starts before an issuer");
  }
  const san = findExtension(leaf, OID.subjectAltName);
  if (!san?.critical) fail("SAN must be critical");
  if (leaf.subjectAltNames.length !== 1) fail("exactly one SAN is required");
  const name = leaf.subjectAltNames[0]!;
  if (name.kind !== "email" && name.kind !== "uri") fail("SAN must be an email or a URI");
  if (leaf.subjectKeyId === undefined) fail("no SubjectKeyIdentifier");
  if (leaf.authorityKeyId === undefined || issuer.subjectKeyId === undefined || !same(leaf.authorityKeyId, issuer.subjectKeyId)) fail("AKI is not the issuer's SKI");
  const v2 = findExtension(leaf, FULCIO_OIDS.issuer) ?? fail("no issuer extension (.1.8)");
  const v1 = findExtension(leaf, FULCIO_OIDS.issuerV1) ?? fail("no issuer extension (.1.1)");
  if (decodeFulcioExtension(v2.oid, v2.value) !== decodeFulcioExtension(v1.oid, v1.value)) fail("issuer extensions disagree");
  if (findExtension(leaf, OID.ctPoison) !== undefined) fail("final certificate carries the CT poison");
  const scts = findExtension(leaf, OID.ctSctList) ?? fail("no embedded SCT list");
  if (leaf.extensions[leaf.extensions.length - 1] !== scts) fail("the SCT list is not the last extension");
}
