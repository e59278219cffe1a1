/**
 * RFC 3161 timestamp authority (sigstore/timestamp-authority openapi.yaml): DER or JSON requests,
 * DER TimeStampResp answers, and the certificate chain.
 */
import { DomainError } from "../errors.ts";
import { mediaType, readBody } from "../http/body.ts";
import type { Router } from "../http/router.ts";
import type { TimestampAuthority } from "../services/tsa/rfc3161.ts";
import { TIMESTAMP_JSON_MAX_BYTES, TIMESTAMP_REQUEST_MAX_BYTES } from "../services/tsa/rfc3161.ts";
import { send } from "./common.ts";

export function registerTsa(router: Router, opts: { tsa: TimestampAuthority; limitWrite: (client: string) => void }): void {
  router.add("POST", "/api/v1/timestamp", async ({ req, res, clientAddress }) => {
    opts.limitWrite(clientAddress);
    const type = mediaType(req);
    if (type !== "application/timestamp-query" && type !== "application/json") {
      throw new DomainError("UNSUPPORTED_MEDIA_TYPE", "ERR_TSA_UNSUPPORTED_MEDIA_TYPE", "send application/timestamp-query (DER) or application/json");
    }
    const body = await readBody(req, Math.max(TIMESTAMP_REQUEST_MAX_BYTES, TIMESTAMP_JSON_MAX_BYTES));
    const out = await opts.tsa.handle(body, type);
    send(res, out.status, Buffer.from(out.body), { "content-type": out.contentType, "cache-control": "no-store" });
  });

  router.add("GET", "/api/v1/timestamp/certchain", ({ res }) => {
    send(res, 200, opts.tsa.certChainPem, { "content-type": "application/pem-certificate-chain", "cache-control": "public, max-age=300" });
  });
}
