/**
 * DSSE Pre-Authentication Encoding (secure-systems-lab/dsse protocol.md):
 * "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in UTF-8 bytes.
 */
import type { Bytes } from "../encoding/bytes.ts";
import { concatBytes, utf8 } from "../encoding/bytes.ts";

/**
 * PAE(payloadType, payload). Lengths are byte lengths of the UTF-8 encoding,
 * never string lengths (SECURITY.md C5; sigstore-js GHSA-jfc7).
 */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Bytes {
  const type = utf8(payloadType);
  return concatBytes(utf8(`DSSEv1 ${type.length} `), type, utf8(` ${payload.length} `), payload);
}
