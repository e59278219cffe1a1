/**
 * The client's address on its way to the api (whose rate limits are per client, SECURITY.md G11).
 * The api sees the portal's server as its TCP peer, so the portal passes `X-Forwarded-For`, and the
 * api believes it only from peers listed in its SIGNET_TRUSTED_PROXIES (apps/api/src/http/client-address.ts).
 *
 * `next start` gives a route handler no socket: it fills `x-forwarded-for` with the TCP peer's address,
 * but only when the request has no such header (Next 16 base-server: `??=`), so a header sent by the
 * client would hide the peer (checked with `next start` 16.4.6: a client's `X-Forwarded-For: 198.51.100.7`
 * reached the handler unchanged; with this module the api got `198.51.100.7, 127.0.0.1`). src/proxy.ts therefore moves any incoming header aside, under
 * FORWARDED_CHAIN_HEADER, before Next fills it in; the route handler then appends the peer to that
 * chain, as every proxy hop does, and the api walks it from the right.
 */

/** Where src/proxy.ts keeps the `X-Forwarded-For` the request arrived with (a client-sent copy is always dropped). */
export const FORWARDED_CHAIN_HEADER = "x-signet-forwarded-for";
/** Longest chain passed on; a longer one keeps its right end, the part nearest to this server. */
export const MAX_FORWARDED_CHAIN_CHARS = 2048;

// Addresses and list separators only (IPv4, IPv6, bracketed IPv6); anything else is not passed on.
const CHAIN_CHARS = /^[0-9A-Fa-f:.,[\] ]*$/;
const ADDRESS = /^\[?[0-9A-Fa-f:.]{2,45}\]?$/;

/** The incoming `X-Forwarded-For` to set aside in src/proxy.ts: capped, or undefined when absent or not address-shaped. */
export function toForwardedChain(incoming: string | null): string | undefined {
  // attacker-controlled: whatever the client (or a proxy in front) sent; capped from the left first.
  if (incoming === null) return undefined;
  const text = incoming.length > MAX_FORWARDED_CHAIN_CHARS ? incoming.slice(-MAX_FORWARDED_CHAIN_CHARS) : incoming;
  if (!CHAIN_CHARS.test(text)) return undefined;
  const trimmed = text.trim();
  return trimmed === "" ? undefined : trimmed;
}

/**
 * The `X-Forwarded-For` for the api: the chain the request arrived with, then this server's TCP peer
 * (Next's own `x-forwarded-for` once src/proxy.ts removed the client's). Undefined without a peer.
 */
export function toUpstreamForwardedFor(headers: Headers): string | undefined {
  const peer = headers.get("x-forwarded-for")?.trim();
  if (peer === undefined || !ADDRESS.test(peer)) return undefined;
  const chain = toForwardedChain(headers.get(FORWARDED_CHAIN_HEADER));
  if (chain === undefined) return peer;
  // Next may already have put the peer into the header the proxy set aside (no client header):
  // a repeated right-most address changes nothing for the api's walk, so it is not sent twice.
  const last = chain.slice(chain.lastIndexOf(",") + 1).trim();
  return last === peer ? chain : `${chain}, ${peer}`;
}
