/**
 * A small, bounded router: exact paths and `:param` segments only, matched against a fixed table
 * (no route cache keyed by client input, SECURITY.md D10).
 */
import type http from "node:http";

export interface RouteContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  params: Record<string, string>;
  /** The client's address for rate limits: the TCP peer, or what trusted proxies forwarded (client-address.ts). */
  clientAddress: string;
}

export type Handler = (ctx: RouteContext) => Promise<void> | void;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, segments: pattern.split("/").filter(Boolean), handler });
    return this;
  }

  /** The handler for a request, `undefined` when no path matches, or "method" when only the method is wrong. */
  match(method: string, pathname: string): { handler: Handler; params: Record<string, string> } | "method" | undefined {
    const parts = pathname.split("/").filter(Boolean);
    let pathMatched = false;
    for (const r of this.routes) {
      const params = matchSegments(r.segments, parts);
      if (!params) continue;
      pathMatched = true;
      if (r.method === method || (method === "HEAD" && r.method === "GET")) return { handler: r.handler, params };
    }
    return pathMatched ? "method" : undefined;
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  // A trailing "*rest" segment captures the remainder (tile paths).
  const last = pattern[pattern.length - 1];
  const rest = last?.startsWith("*") ? last.slice(1) : undefined;
  if (rest === undefined ? parts.length !== pattern.length : parts.length < pattern.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (rest !== undefined && i === pattern.length - 1) {
      params[rest] = parts.slice(i).join("/");
      return params;
    }
    const part = parts[i]!;
    if (p.startsWith(":")) {
      try {
        params[p.slice(1)] = decodeURIComponent(part);
      } catch {
        return undefined;
      }
    } else if (p !== part) return undefined;
  }
  return params;
}
