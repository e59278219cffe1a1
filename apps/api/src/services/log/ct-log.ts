/**
 * Signet's own CT log: a second origin of the log engine whose leaves are RFC 6962 precertificate
 * MerkleTreeLeaf structures (PreCert: the issuer key hash and the TBS without the poison, exactly what the
 * SCT covers). The CA submits each one before embedding the SCT; this log never asks for the signed
 * precertificate (PrecertificateSubmission.precertificate), so the CA signs none for it. The SCT
 * (signed with the CT key in the HSM while the leaf commits) is returned only after the leaf is committed
 * under a signed checkpoint (zero merge delay). The Signer verifies each SCT signature against the CT key (createHsmSigner, SECURITY.md
 * B6), and the CA checks it again against its pinned CT key before embedding it, so it is not checked a
 * third time here.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6962#section-3.4
 */
import { createHash } from "node:crypto";
import type { CtLog, PrecertificateSubmission } from "../ca/ct-log.ts";
import { encodeSct, sctSignatureInput } from "../ca/ct-log.ts";
import type { Signer } from "@signet/hsm/client";
import { leafHash } from "./hash.ts";
import type { LogService } from "./log-service.ts";

/** MerkleTreeLeaf (v1, timestamped_entry) for a precertificate: the SCT's signed fields after its first two bytes. */
export function precertLeaf(timestamp: number, issuerKeyHash: Uint8Array, tbs: Uint8Array): Buffer {
  return leafFromSignatureInput(sctSignatureInput({ timestamp, issuerKeyHash, tbs }));
}

/** The same fields after the leaf's version and leaf type instead of the SCT's version and signature type. */
function leafFromSignatureInput(signed: Uint8Array): Buffer {
  const leaf = Buffer.from(signed);
  leaf[0] = 0; // Version v1
  leaf[1] = 0; // MerkleLeafType timestamped_entry
  return leaf;
}

/** Signet's CT log over a log engine origin: commits each precertificate leaf and answers its SCT, signed with `signer`. */
export async function createEngineCtLog(log: LogService, signer: Signer, now: () => number = Date.now): Promise<CtLog & { logId: Buffer; spki: Buffer }> {
  const spki = Buffer.from(await signer.publicKey());
  const logId = createHash("sha256").update(spki).digest();
  let last = 0;
  return {
    logId,
    spki,
    async submitPrecertificate(s: PrecertificateSubmission): Promise<Uint8Array> {
      // SCT timestamps are milliseconds and never go backwards (H5).
      const timestamp = Math.max(now(), last + 1);
      last = timestamp;
      const input = sctSignatureInput({ timestamp, issuerKeyHash: s.issuerKeyHash, tbs: s.tbsWithoutSct });
      const body = leafFromSignatureInput(input);
      // The SCT covers only fields fixed before the commit, so the HSM signs it while the leaf commits (one
      // round trip fewer on each issuance's path); it leaves here only once the leaf is committed under a
      // signed checkpoint (zero merge delay). A failed commit throws and the signature is dropped unused.
      const sct = signer.sign(input).then((signature) => encodeSct({ logId, timestamp, extensions: new Uint8Array(0), signature }));
      sct.then(
        (bytes) => {
          // To the CA at once, so that it signs the certificate while the leaf commits; it is answered
          // (and anything made with it released) only after the commit.
          try {
            s.sctSigned?.(bytes);
          } catch {
            // the submitter's concern; the SCT is still answered after the commit
          }
        },
        () => undefined, // awaited below unless the commit fails first
      );
      await log.commit({ kind: "precert", apiVersion: "rfc6962", body, leafHash: leafHash(body), search: s.search });
      return sct;
    },
  };
}
