/**
 * The address a request really came from, for per-client rate limits (SECURITY.md G11). Behind the
 * portal (or another reverse proxy) every request's TCP peer is the proxy, so the proxy passes the
 * client's address in `X-Forwarded-For` (each hop appends its own peer, de facto standard; RFC 7239
 * §5.2 for the same idea in `Forwarded`). The header is believed only as far as the hops that wrote
 * it are trusted: starting from the TCP peer, walk the list from the right while the current hop is
 * a configured trusted proxy; the first untrusted address is the client. Anything left of it was
 * written by the client itself and is ignored, so a spoofed header from a direct client changes nothing.
 */
import { isIP } from "node:net";

/** Longest `X-Forwarded-For` value looked at; a longer one is read from its right end only. */
export const MAX_FORWARDED_FOR_CHARS = 4096;
/** Most hops walked through; beyond them the last trusted hop stands for the client. */
export const MAX_FORWARDED_HOPS = 32;

/** A SIGNET_TRUSTED_PROXIES entry that is not an IP address. */
export class TrustedProxiesError extends Error {
  override name = "TrustedProxiesError";
  readonly code = "ERR_TRUSTED_PROXIES_INVALID";
}

/** A set of trusted proxy addresses, canonicalised so `::ffff:127.0.0.1` and `127.0.0.1` are one. */
export type TrustedProxies = ReadonlySet<string>;

/**
 * The canonical text of one IP address, or undefined when it is not one: IPv4-mapped IPv6 becomes
 * IPv4, IPv6 is lower-cased and compressed by the URL parser, and a bracketed IPv6 literal is accepted.
 */
export function toCanonicalAddress(raw: string): string | undefined {
  let text = raw.trim();
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  // A zone id (fe80::1%eth0) names an interface of the writer's host: meaningless here.
  if (text.length === 0 || text.length > 45 || text.includes("%")) return undefined;
  const kind = isIP(text);
  if (kind === 4) return text;
  if (kind !== 6) return undefined;
  // WHATWG URL serialises IPv6 hosts canonically (RFC 5952): lower case, longest zero run compressed.
  const host = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return host;
}

/**
 * Parse `SIGNET_TRUSTED_PROXIES`: comma-separated IP addresses (no ranges); empty means none.
 * Throws ERR_TRUSTED_PROXIES_INVALID naming the first entry that is not an address.
 */
export function parseTrustedProxies(value: string | undefined): TrustedProxies {
  const out = new Set<string>();
  for (const part of (value ?? "").split(",")) {
    if (part.trim() === "") continue;
    const address = toCanonicalAddress(part);
    if (address === undefined) throw new TrustedProxiesError(`not an IP address: ${JSON.stringify(part.trim().slice(0, 64))}`);
    out.add(address);
  }
  return out;
}

/**
 * The client's address for a request whose TCP peer is `peer` and which carried `forwardedFor`
 * (the raw `X-Forwarded-For` value; Node joins repeated headers with ", "). With no trusted proxies
 * this is the peer, whatever the header says.
 */
export function resolveClientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted: TrustedProxies): string {
  let current = (peer !== undefined ? toCanonicalAddress(peer) : undefined) ?? "unknown";
  if (trusted.size === 0 || !trusted.has(current) || forwardedFor === undefined) return current;
  // attacker-controlled: the header's left part is whatever the client sent. Only the right end is
  // read (capped in characters and hops), and the walk stops at the first malformed entry.
  let header = Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor;
  if (header.length > MAX_FORWARDED_FOR_CHARS) header = header.slice(-MAX_FORWARDED_FOR_CHARS);
  const hops = header.split(",").slice(-MAX_FORWARDED_HOPS);
  for (let i = hops.length - 1; i >= 0 && trusted.has(current); i--) {
    const hop = toCanonicalAddress(hops[i]!);
    // A trusted proxy that forwards garbage: it is the last hop we can vouch for.
    if (hop === undefined) break;
    current = hop;
  }
  return current;
}
