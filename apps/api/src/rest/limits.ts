/**
 * Per-client token buckets (SECURITY.md G11): a bounded map, oldest clients evicted first, so an
 * attacker rotating addresses cannot grow memory. Over the limit: PUSHBACK (429 + Retry-After).
 */
import { DomainError } from "../errors.ts";

export function createRateLimiter({ perSecond, burst, maxClients = 100_000 }: { perSecond: number; burst: number; maxClients?: number }) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (client: string): void => {
    const now = performance.now();
    let b = buckets.get(client);
    if (b) {
      buckets.delete(client);
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
      b.at = now;
    } else {
      b = { tokens: burst, at: now };
      if (buckets.size >= maxClients) buckets.delete(buckets.keys().next().value!);
    }
    buckets.set(client, b);
    if (b.tokens < 1) throw new DomainError("PUSHBACK", "ERR_RATE_LIMITED", "too many requests from this address", Math.max(1, Math.ceil((1 - b.tokens) / perSecond)));
    b.tokens -= 1;
  };
}
