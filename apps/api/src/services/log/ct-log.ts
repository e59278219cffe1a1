/**
 * Signet's own CT log: a second origin of the log engine whose leaves are RFC 6962 precertificate
 * MerkleTreeLeaf structures. The CA submits each precertificate before embedding the SCT, and the SCT
 * is signed only after the leaf is committed under a signed checkpoint (zero merge delay), with the CT
 * key in the HSM, self-verified before it is returned.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6962#section-3.4
 */
import { createHash, createPublicKey, verify } from "node:crypto";
import { parseCertificate } from "@signet/crypto/x509/certificate";
import { readFulcioIssuer, readSignerIdentity } from "@signet/crypto/x509/fulcio-extensions";
import type { CtLog, PrecertificateSubmission } from "../ca/ct-log.ts";
import { encodeSct, sctSignatureInput } from "../ca/ct-log.ts";
import type { Signer } from "@signet/hsm/client";
import { leafHash } from "./hash.ts";
import type { LogService } from "./log-service.ts";

/** MerkleTreeLeaf (v1, timestamped_entry) for a precertificate: the SCT's signed fields after its first two bytes. */
export function precertLeaf(timestamp: number, issuerKeyHash: Uint8Array, tbs: Uint8Array): Buffer {
  const signed = sctSignatureInput({ timestamp, issuerKeyHash, tbs });
  return Buffer.concat([Buffer.from([0, 0]), signed.subarray(2)]);
}

export async function createEngineCtLog(log: LogService, signer: Signer, now: () => number = Date.now): Promise<CtLog & { logId: Buffer; spki: Buffer }> {
  const spki = Buffer.from(await signer.publicKey());
  const key = createPublicKey({ key: spki, format: "der", type: "spki" });
  const logId = createHash("sha256").update(spki).digest();
  let last = 0;
  return {
    logId,
    spki,
    async submitPrecertificate(s: PrecertificateSubmission): Promise<Uint8Array> {
      // SCT timestamps are milliseconds and never go backwards (H5).
      const timestamp = Math.max(now(), last + 1);
      last = timestamp;
      const body = precertLeaf(timestamp, s.issuerKeyHash, s.tbsWithoutSct);
      let search: { identity?: string; issuer?: string; certFingerprint: string } = { certFingerprint: createHash("sha256").update(s.precertificate).digest("hex") };
      try {
        const cert = parseCertificate(s.precertificate);
        const identity = readSignerIdentity(cert);
        const issuer = readFulcioIssuer(cert);
        search = { ...search, ...(identity ? { identity } : {}), ...(issuer ? { issuer } : {}) };
      } catch {
        // The CA built this certificate; a parse failure only loses search columns.
      }
      await log.commit({ kind: "precert", apiVersion: "rfc6962", body, leafHash: leafHash(body), search });
      const input = sctSignatureInput({ timestamp, issuerKeyHash: s.issuerKeyHash, tbs: s.tbsWithoutSct });
      const signature = Buffer.from(await signer.sign(input));
      if (!verify("sha256", input, key, signature)) throw new Error("the HSM's SCT signature does not verify with the CT log key");
      return encodeSct({ logId, timestamp, extensions: new Uint8Array(0), signature });
    },
  };
}
