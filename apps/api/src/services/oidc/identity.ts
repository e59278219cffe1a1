/**
 * From verified token claims to the identity a certificate binds: the SAN, the challenge a proof of
 * possession signs, and the Fulcio extension values, following sigstore/fulcio
 * config/identity/config.yaml (`ci-issuer-metadata` templates for GitHub Actions and GitLab) and
 * docs/oid-info.md. Then the issuer's admission policy.
 */
import { FULCIO_OIDS } from "@signet/crypto/x509/fulcio-extensions";
import { DomainError } from "../../errors.ts";
import { validateSubjectAltName, type SubjectAltName } from "../ca/certificate.ts";
import type { IssuerConfig } from "./issuers.ts";

/**
 * A token that passed every check in verifyIdentityToken. The identity is (issuer, subject), never the
 * email alone (SECURITY.md A10); the certificate carries the issuer beside the SAN for the same reason.
 */
export interface VerifiedIdentity {
  /** The token's `iss`, exactly as configured (or as matched by a wildcard). */
  readonly issuer: string;
  /** The token's `sub`. */
  readonly subject: string;
  /** What the certificate's SAN will say. */
  readonly san: SubjectAltName;
  /** The value of the issuer's challenge claim: the bytes a proof of possession signs (UTF-8). */
  readonly challenge: string;
  /** The verified claims, for records and policy. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** Fulcio extension OID (dotted) → value, including the issuer (.1 and .8). */
  readonly extensions: Readonly<Record<string, string>>;
}

const O = FULCIO_OIDS;

function missing(claim: string): DomainError {
  return new DomainError("UNAUTHORIZED", "ERR_OIDC_CLAIM_MISSING", `token has no usable ${claim} claim`);
}

/** A claim as a string: strings as they are, non-negative safe integers in decimal; anything else is refused. */
function claimString(claims: Record<string, unknown>, name: string): string | undefined {
  const v = claims[name];
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return String(v);
  if (v === undefined || v === null) return undefined;
  throw new DomainError("UNAUTHORIZED", "ERR_OIDC_CLAIM_INVALID", `claim ${name} has an unexpected type`);
}

function required(claims: Record<string, unknown>, name: string): string {
  const v = claimString(claims, name);
  if (v === undefined || v === "") throw missing(name);
  return v;
}

function identityInvalid(cause: unknown): DomainError {
  const message = cause instanceof Error ? cause.message : "identity cannot be certified";
  return new DomainError("BAD_REQUEST", "ERR_OIDC_IDENTITY_INVALID", message);
}

function withSan(san: SubjectAltName): SubjectAltName {
  try {
    validateSubjectAltName(san);
  } catch (e) {
    throw identityInvalid(e);
  }
  return san;
}

/** Drop empty values, as Fulcio's Extensions.Render omits empty fields. */
function compact(ext: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ext)) if (v !== undefined && v !== "") out[k] = v;
  return out;
}

function githubIdentity(issuer: IssuerConfig, c: Record<string, unknown>): { san: SubjectAltName; extensions: Record<string, string> } {
  const url = issuer.ciBaseUrl ?? "https://github.com";
  const r = (name: string) => required(c, name);
  const jobWorkflowRef = r("job_workflow_ref");
  const repository = r("repository");
  const sha = r("sha");
  const ref = r("ref");
  const eventName = r("event_name");
  const signer = `${url}/${jobWorkflowRef}`;
  return {
    san: withSan({ kind: "uri", value: signer }),
    extensions: compact({
      [O.githubWorkflowTrigger]: eventName,
      [O.githubWorkflowSha]: sha,
      [O.githubWorkflowName]: r("workflow"),
      [O.githubWorkflowRepository]: repository,
      [O.githubWorkflowRef]: ref,
      [O.buildSignerUri]: signer,
      [O.buildSignerDigest]: r("job_workflow_sha"),
      [O.runnerEnvironment]: r("runner_environment"),
      [O.sourceRepositoryUri]: `${url}/${repository}`,
      [O.sourceRepositoryDigest]: sha,
      [O.sourceRepositoryRef]: ref,
      [O.sourceRepositoryIdentifier]: r("repository_id"),
      [O.sourceRepositoryOwnerUri]: `${url}/${r("repository_owner")}`,
      [O.sourceRepositoryOwnerIdentifier]: r("repository_owner_id"),
      [O.buildConfigUri]: `${url}/${r("workflow_ref")}`,
      [O.buildConfigDigest]: r("workflow_sha"),
      [O.buildTrigger]: eventName,
      [O.runInvocationUri]: `${url}/${repository}/actions/runs/${r("run_id")}/attempts/${r("run_attempt")}`,
      [O.sourceRepositoryVisibilityAtSigning]: r("repository_visibility"),
      // Optional in the template (default ""), so absent means omitted.
      [O.deploymentEnvironment]: claimString(c, "environment"),
    }),
  };
}

function gitlabIdentity(issuer: IssuerConfig, c: Record<string, unknown>): { san: SubjectAltName; extensions: Record<string, string> } {
  const url = issuer.ciBaseUrl ?? "https://gitlab.com";
  const r = (name: string) => required(c, name);
  const configRef = `https://${r("ci_config_ref_uri")}`;
  const projectPath = r("project_path");
  const configSha = r("ci_config_sha");
  return {
    san: withSan({ kind: "uri", value: configRef }),
    extensions: compact({
      [O.buildSignerUri]: configRef,
      [O.buildSignerDigest]: configSha,
      [O.runnerEnvironment]: r("runner_environment"),
      [O.sourceRepositoryUri]: `${url}/${projectPath}`,
      [O.sourceRepositoryDigest]: r("sha"),
      [O.sourceRepositoryRef]: `refs/${r("ref_type") === "branch" ? "heads/" : "tags/"}${r("ref")}`,
      [O.sourceRepositoryIdentifier]: r("project_id"),
      [O.sourceRepositoryOwnerUri]: `${url}/${r("namespace_path")}`,
      [O.sourceRepositoryOwnerIdentifier]: r("namespace_id"),
      [O.buildConfigUri]: configRef,
      [O.buildConfigDigest]: configSha,
      [O.buildTrigger]: r("pipeline_source"),
      [O.runInvocationUri]: `${url}/${projectPath}/-/jobs/${r("job_id")}`,
      [O.sourceRepositoryVisibilityAtSigning]: r("project_visibility"),
      [O.deploymentEnvironment]: claimString(c, "environment"),
    }),
  };
}

function emailIdentity(issuer: IssuerConfig, c: Record<string, unknown>): { san: SubjectAltName; extensions: Record<string, string> } {
  const email = c.email;
  if (typeof email !== "string" || email === "") throw missing("email");
  // Only a JSON `true` counts (SECURITY.md A9); the string "true" some providers send does not.
  if (!issuer.skipEmailVerification && c.email_verified !== true) {
    throw new DomainError("UNAUTHORIZED", "ERR_OIDC_EMAIL_UNVERIFIED", "the token's email is not verified");
  }
  return { san: withSan({ kind: "email", value: email }), extensions: {} };
}

function uriIdentity(issuer: IssuerConfig, subject: string): { san: SubjectAltName; extensions: Record<string, string> } {
  const san = withSan({ kind: "uri", value: subject });
  const domain = new URL(issuer.subjectDomain!);
  const sub = new URL(subject);
  // Fulcio's uri issuers: the subject must live under the configured scheme and host.
  if (sub.protocol !== domain.protocol || sub.host !== domain.host) {
    throw new DomainError("UNAUTHORIZED", "ERR_OIDC_SUBJECT_NOT_ALLOWED", "the token's subject is outside the issuer's subject domain");
  }
  return { san, extensions: {} };
}

/**
 * Map verified claims to the identity for `issuer`'s type. Throws UNAUTHORIZED ERR_OIDC_CLAIM_MISSING,
 * ERR_OIDC_CLAIM_INVALID, ERR_OIDC_EMAIL_UNVERIFIED, ERR_OIDC_SUBJECT_NOT_ALLOWED, or BAD_REQUEST
 * ERR_OIDC_IDENTITY_INVALID when the identity cannot be encoded faithfully (SECURITY.md B3).
 */
export function toVerifiedIdentity(issuer: IssuerConfig, iss: string, claims: Record<string, unknown>): VerifiedIdentity {
  const subject = claims.sub;
  if (typeof subject !== "string" || subject === "" || subject.length > 1024) throw missing("sub");
  let mapped: { san: SubjectAltName; extensions: Record<string, string> };
  switch (issuer.type) {
    case "email":
      mapped = emailIdentity(issuer, claims);
      break;
    case "github-workflow":
      mapped = githubIdentity(issuer, claims);
      break;
    case "gitlab-pipeline":
      mapped = gitlabIdentity(issuer, claims);
      break;
    case "uri":
      mapped = uriIdentity(issuer, subject);
      break;
  }
  const challenge = claims[issuer.challengeClaim];
  if (typeof challenge !== "string" || challenge === "") throw missing(issuer.challengeClaim);
  return {
    issuer: iss,
    subject,
    san: mapped.san,
    challenge,
    claims,
    // The issuer comes from the verified token, never from a template (Fulcio does the same).
    extensions: { [O.issuerV1]: iss, [O.issuer]: iss, ...mapped.extensions },
  };
}

function denied(message: string): DomainError {
  return new DomainError("FORBIDDEN", "ERR_OIDC_POLICY_DENIED", message);
}

/** Apply the issuer's admission policy; throws FORBIDDEN ERR_OIDC_POLICY_DENIED naming the failed rule. */
export function checkAdmissionPolicy(issuer: IssuerConfig, identity: VerifiedIdentity): void {
  const p = issuer.policy;
  if (p.emailDomains !== undefined) {
    const email = identity.san.kind === "email" ? identity.san.value : "";
    const domain = email.slice(email.lastIndexOf("@") + 1).toLowerCase();
    if (!p.emailDomains.some((d) => d.toLowerCase() === domain)) throw denied("the email domain is not admitted by this issuer's policy");
  }
  if (p.repositoryOwners !== undefined) {
    const owner =
      issuer.type === "github-workflow"
        ? claimString(identity.claims as Record<string, unknown>, "repository_owner")
        : claimString(identity.claims as Record<string, unknown>, "namespace_path")?.split("/")[0];
    if (owner === undefined || !p.repositoryOwners.some((o) => o.toLowerCase() === owner.toLowerCase())) {
      throw denied("the repository owner is not admitted by this issuer's policy");
    }
  }
  if (p.claims !== undefined) {
    for (const [name, allowed] of Object.entries(p.claims)) {
      let v: string | undefined;
      try {
        v = claimString(identity.claims as Record<string, unknown>, name);
      } catch {
        v = undefined;
      }
      if (v === undefined || !allowed.includes(v)) throw denied(`claim ${name} is not admitted by this issuer's policy`);
    }
  }
}
