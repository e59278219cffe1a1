/**
 * @signet/crypto: the isomorphic verification core (browser + Node, WebCrypto).
 * Deep imports (`@signet/crypto/merkle/inclusion`) work too and keep browser bundles small.
 */
export * from "./errors.ts";
export * from "./encoding/bytes.ts";
export * from "./encoding/base64.ts";
export * from "./encoding/hex.ts";
export * from "./transparency.ts";
export * from "./sigstore.ts";
