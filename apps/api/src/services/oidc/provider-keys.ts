/**
 * An OpenID Provider's signing keys, found through OpenID Connect Discovery 1.0 (§4) and cached.
 * Only issuers that already matched the configuration get here, so every request goes to a configured
 * origin. Redirects are refused, the discovery `issuer` must be the token's, and `jwks_uri` must be on
 * the issuer's own scheme and host (SECURITY.md A3, A7). An unknown `kid` triggers a JWKS refresh at
 * most once per `minRefreshIntervalMs` per issuer, so tokens with random key IDs cannot make us hammer
 * the provider.
 */
import { readCapped } from "@signet/crypto/encoding/read-capped";
import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWSHeaderParameters } from "jose";
import { DomainError } from "../../errors.ts";

/** Caps on what a provider may send us. */
export const DISCOVERY_MAX_BYTES = 64 * 1024;
export const JWKS_MAX_BYTES = 256 * 1024;
export const JWKS_MAX_KEYS = 100;
/** At most this many keys are tried for a token whose header matches several (no `kid`). */
export const MAX_CANDIDATE_KEYS = 8;

/** A verification key as jose accepts it. */
export type VerificationKey = CryptoKey;

export interface ProviderKeysOptions {
  /** The fetch implementation (tests pass one that counts requests). Default: global fetch. */
  fetch?: typeof fetch;
  clock?: () => number;
  /** How long discovery and JWKS are reused (default 10 min). */
  cacheTtlMs?: number;
  /** Least time between two JWKS fetches for one issuer when a `kid` is unknown (default 30 s). */
  minRefreshIntervalMs?: number;
  /** After a failed load, the same error is returned for this long (default 5 s). */
  failureBackoffMs?: number;
  /** Per-request deadline (default 5 s). */
  timeoutMs?: number;
}

/** The keys of every configured provider, cached per issuer. */
export interface ProviderKeys {
  /** The provider keys that match a token header (alg, kid, kty); throws ERR_OIDC_* DomainErrors. */
  keysFor(issuer: string, header: JWSHeaderParameters): Promise<VerificationKey[]>;
}

interface Entry {
  fetchedAt: number;
  jwksUri: string;
  select: ReturnType<typeof createLocalJWKSet>;
}

function unauthorized(code: `ERR_OIDC_${string}`, message: string): DomainError {
  return new DomainError("UNAUTHORIZED", code, message);
}

function unavailable(code: `ERR_OIDC_${string}`, message: string): DomainError {
  return new DomainError("UNAVAILABLE", code, message, 5);
}

async function readBody(res: Response, max: number): Promise<Uint8Array> {
  const declared = res.headers.get("content-length");
  const body = declared !== null && Number(declared) > max ? undefined : await readCapped(res.body, max);
  if (body === undefined) {
    await res.body?.cancel().catch(() => undefined);
    throw new RangeError("response too large");
  }
  return body;
}

/** Create the cache. One instance per process (it is what makes JWKS fetches rare). */
export function createProviderKeys(options: ProviderKeysOptions = {}): ProviderKeys {
  const doFetch = options.fetch ?? fetch;
  const clock = options.clock ?? Date.now;
  const ttl = options.cacheTtlMs ?? 10 * 60 * 1000;
  const minRefresh = options.minRefreshIntervalMs ?? 30 * 1000;
  const backoff = options.failureBackoffMs ?? 5 * 1000;
  const timeoutMs = options.timeoutMs ?? 5_000;

  const entries = new Map<string, Entry>();
  const inflight = new Map<string, Promise<Entry>>();
  const failures = new Map<string, { at: number; error: DomainError }>();

  async function getJson(url: string, what: "DISCOVERY" | "JWKS", max: number): Promise<unknown> {
    let res: Response;
    try {
      // No credentials, no cookies, and never a redirect: a 3xx is an answer, not a pointer (SECURITY.md A3).
      res = await doFetch(url, { redirect: "manual", headers: { accept: "application/json" }, signal: AbortSignal.timeout(timeoutMs) });
    } catch {
      throw unavailable("ERR_OIDC_PROVIDER_UNAVAILABLE", `cannot reach the identity provider at ${new URL(url).origin}`);
    }
    if ((res.status >= 300 && res.status < 400) || res.type === "opaqueredirect") {
      await res.body?.cancel();
      throw unauthorized(`ERR_OIDC_${what}_REDIRECT`, `the identity provider answered ${what.toLowerCase()} with a redirect, which is refused`);
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw unavailable("ERR_OIDC_PROVIDER_UNAVAILABLE", `the identity provider answered ${what.toLowerCase()} with HTTP ${res.status}`);
    }
    try {
      // attacker-controlled (a provider is only semi-trusted): size capped before decoding
      const body = await readBody(res, max);
      return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
    } catch {
      throw unauthorized(`ERR_OIDC_${what}_INVALID`, `the identity provider's ${what.toLowerCase()} document is too large or not JSON`);
    }
  }

  async function load(issuer: string): Promise<Entry> {
    const failed = failures.get(issuer);
    if (failed !== undefined && clock() - failed.at < backoff) throw failed.error;
    try {
      const base = new URL(issuer);
      // OpenID Connect Discovery 1.0 §4: the issuer with any trailing '/' removed, then the well-known path.
      const discovery = await getJson(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`, "DISCOVERY", DISCOVERY_MAX_BYTES);
      if (typeof discovery !== "object" || discovery === null) throw unauthorized("ERR_OIDC_DISCOVERY_INVALID", "discovery document is not an object");
      const doc = discovery as Record<string, unknown>;
      // §4.3: the issuer in the metadata must be identical to the one used to find it (SECURITY.md A7).
      if (doc.issuer !== issuer) throw unauthorized("ERR_OIDC_DISCOVERY_ISSUER_MISMATCH", "discovery document names another issuer");
      const jwksUri = doc.jwks_uri;
      let jwksUrl: URL;
      try {
        if (typeof jwksUri !== "string" || jwksUri.length > 2048) throw new Error("bad jwks_uri");
        jwksUrl = new URL(jwksUri);
      } catch {
        throw unauthorized("ERR_OIDC_DISCOVERY_INVALID", "discovery document has no valid jwks_uri");
      }
      if (jwksUrl.protocol !== base.protocol || jwksUrl.host !== base.host || jwksUrl.username || jwksUrl.password) {
        throw unauthorized("ERR_OIDC_JWKS_URI_NOT_ALLOWED", "jwks_uri is not on the issuer's host");
      }
      const jwks = await getJson(jwksUrl.href, "JWKS", JWKS_MAX_BYTES);
      const keys = (jwks as { keys?: unknown } | null)?.keys;
      if (!Array.isArray(keys) || keys.length === 0 || keys.length > JWKS_MAX_KEYS) {
        throw unauthorized("ERR_OIDC_JWKS_INVALID", "JWKS must hold between 1 and 100 keys");
      }
      let select: Entry["select"];
      try {
        select = createLocalJWKSet(jwks as JSONWebKeySet);
      } catch {
        throw unauthorized("ERR_OIDC_JWKS_INVALID", "JWKS is malformed");
      }
      const entry: Entry = { fetchedAt: clock(), jwksUri: jwksUrl.href, select };
      entries.set(issuer, entry);
      failures.delete(issuer);
      return entry;
    } catch (e) {
      const error = e instanceof DomainError ? e : unavailable("ERR_OIDC_PROVIDER_UNAVAILABLE", "cannot load the identity provider's keys");
      failures.set(issuer, { at: clock(), error });
      throw error;
    }
  }

  function refresh(issuer: string): Promise<Entry> {
    let p = inflight.get(issuer);
    if (p === undefined) {
      p = load(issuer).finally(() => inflight.delete(issuer));
      inflight.set(issuer, p);
    }
    return p;
  }

  async function select(entry: Entry, header: JWSHeaderParameters): Promise<VerificationKey[]> {
    try {
      return [(await entry.select(header)) as VerificationKey];
    } catch (e) {
      if (e instanceof joseErrors.JWKSMultipleMatchingKeys) {
        const out: VerificationKey[] = [];
        for await (const k of e as unknown as AsyncIterable<VerificationKey>) {
          out.push(k);
          if (out.length >= MAX_CANDIDATE_KEYS) break;
        }
        return out;
      }
      if (e instanceof joseErrors.JWKSNoMatchingKey) throw unauthorized("ERR_OIDC_KEY_NOT_FOUND", "no key of the provider matches the token's kid and alg");
      throw unauthorized("ERR_OIDC_ALGORITHM_NOT_ALLOWED", "the token's algorithm cannot be used with the provider's keys");
    }
  }

  return {
    async keysFor(issuer, header) {
      let entry = entries.get(issuer);
      if (entry === undefined || clock() - entry.fetchedAt > ttl) {
        try {
          entry = await refresh(issuer);
        } catch (e) {
          // While the provider is unreachable, keep using the last keys it served; any other failure counts.
          if (entry === undefined || !(e instanceof DomainError && e.kind === "UNAVAILABLE")) throw e;
        }
      }
      try {
        return await select(entry, header);
      } catch (e) {
        // A rotated key: refresh once, but not more often than minRefresh (rate limit against random kids).
        if (e instanceof DomainError && e.code === "ERR_OIDC_KEY_NOT_FOUND" && clock() - entry.fetchedAt >= minRefresh) {
          return select(await refresh(issuer), header);
        }
        throw e;
      }
    },
  };
}
