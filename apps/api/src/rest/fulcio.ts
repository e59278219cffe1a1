/**
 * Fulcio-compatible REST (sigstore/fulcio fulcio.proto, v2): certificate issuance with a proof of
 * possession or a CSR, the trust bundle, and the issuers configuration. Thin over the OIDC verifier
 * and the certificate authority.
 */
import { createPublicKey } from "node:crypto";
import { z } from "zod";
import { parsePem } from "@signet/crypto/pem";
import { DomainError } from "../errors.ts";
import { readJson } from "../http/body.ts";
import type { Router } from "../http/router.ts";
import type { CertificateAuthority } from "../services/ca/issue.ts";
import { isCanonicalEcSpki } from "../services/ca/public-key.ts";
import type { IssuersConfig } from "../services/oidc/issuers.ts";
import { toFulcioConfiguration } from "../services/oidc/issuers.ts";
import { verifyIdentityToken } from "../services/oidc/verify-token.ts";
import type { ProviderKeys } from "../services/oidc/provider-keys.ts";
import { sendJson } from "./common.ts";

export interface FulcioOptions {
  ca: CertificateAuthority;
  issuers: IssuersConfig;
  keys: ProviderKeys;
  limitWrite: (clientAddress: string) => void;
}

const requestSchema = z
  .object({
    credentials: z.object({ oidcIdentityToken: z.string().max(16 * 1024) }).strict(),
    publicKeyRequest: z
      .object({
        publicKey: z.object({ algorithm: z.string().max(32).optional(), content: z.string().max(16 * 1024) }).strict(),
        proofOfPossession: z.string().max(4096),
      })
      .strict()
      .optional(),
    certificateSigningRequest: z.string().max(32 * 1024).optional(),
  })
  .strict()
  .refine((r) => (r.publicKeyRequest === undefined) !== (r.certificateSigningRequest === undefined), "give exactly one of publicKeyRequest or certificateSigningRequest");

function b64(text: string, field: string): Uint8Array {
  // attacker-controlled
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new DomainError("BAD_REQUEST", "ERR_CA_BAD_REQUEST", `${field} is not standard base64`);
  return Buffer.from(text, "base64");
}

/** SPKI DER from the request's public key: a PEM SPKI (Fulcio's form) or base64 DER. */
function spkiFrom(content: string): Uint8Array {
  // attacker-controlled: the key text (≤ 16 KiB by the schema)
  // Fast path: a canonical EC SPKI is already what the OpenSSL round trip below would return, so skip
  // it (~0.3 ms); checkLeafPublicKey still checks the point. Anything else takes the lenient path.
  try {
    const der = content.includes("-----BEGIN") ? parsePem(content, "PUBLIC KEY") : b64(content, "publicKey.content");
    if (isCanonicalEcSpki(der)) return der;
  } catch {
    // not the fast path's shape: the general path below decides
  }
  try {
    const key = content.includes("-----BEGIN") ? createPublicKey(content) : createPublicKey({ key: Buffer.from(b64(content, "publicKey.content")), format: "der", type: "spki" });
    return new Uint8Array(key.export({ type: "spki", format: "der" }));
  } catch {
    throw new DomainError("BAD_REQUEST", "ERR_CA_BAD_PUBLIC_KEY", "publicKey.content is not a PEM or DER public key");
  }
}

export function registerFulcio(router: Router, opts: FulcioOptions): void {
  router.add("POST", "/api/v2/signingCert", async ({ req, res, clientAddress }) => {
    opts.limitWrite(clientAddress);
    const parsed = requestSchema.safeParse(await readJson(req, 64 * 1024));
    if (!parsed.success) throw new DomainError("BAD_REQUEST", "ERR_CA_BAD_REQUEST", parsed.error.issues[0]?.message ?? "malformed request");
    const r = parsed.data;
    const identity = await verifyIdentityToken(r.credentials.oidcIdentityToken, opts.issuers, { keys: opts.keys });
    const issued = r.publicKeyRequest
      ? await opts.ca.issue({
          identity,
          publicKey: spkiFrom(r.publicKeyRequest.publicKey.content),
          proof: { kind: "challenge", signature: b64(r.publicKeyRequest.proofOfPossession, "proofOfPossession") },
        })
      : await opts.ca.issue({ identity, proof: { kind: "csr", csr: b64(r.certificateSigningRequest!, "certificateSigningRequest") } });
    sendJson(res, 200, { signedCertificateEmbeddedSct: { chain: { certificates: [...issued.chainPem] } } });
  });

  router.add("GET", "/api/v2/trustBundle", ({ res }) => {
    // intermediates … root, as Fulcio lists its chains.
    sendJson(res, 200, { chains: [{ certificates: [...opts.ca.trustBundle] }] }, { "cache-control": "public, max-age=300" });
  });

  router.add("GET", "/api/v2/configuration", ({ res }) => {
    sendJson(res, 200, toFulcioConfiguration(opts.issuers), { "cache-control": "public, max-age=300" });
  });
}
