import { SignetCryptoError } from "../errors.ts";
import type { Bytes } from "./bytes.ts";

/** Lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Strict hex decode (even length, [0-9a-fA-F] only). Throws ERR_ENCODING_HEX. */
export function fromHex(text: string): Bytes {
  // attacker-controlled
  if (typeof text !== "string" || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new SignetCryptoError("ERR_ENCODING_HEX", "invalid hex string");
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out as Bytes;
}
