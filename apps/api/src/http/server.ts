/**
 * The api's HTTP front: request-size caps and timeouts before any parsing, the tRPC handler under
 * /trpc/, the REST surfaces, /healthz, and one error adapter. Client mistakes are 4xx with a stable
 * code; a 5xx body is generic.
 */
import http from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { appRouter } from "../root.ts";
import type { Services } from "../services/index.ts";
import { toErrorResponse } from "../errors.ts";
import { sendJson } from "./respond.ts";
import type { Router } from "./router.ts";
import { CORS_HEADERS } from "../rest/common.ts";
import { resolveClientAddress, type TrustedProxies } from "./client-address.ts";

export interface ServerOptions {
  services: Services;
  /** Largest accepted request body for tRPC and JSON endpoints, in bytes. */
  maxBodyBytes: number;
  /** Origins allowed to call tRPC mutations from a browser (the portal's). */
  allowedOrigins: string[];
  /** The REST surfaces (Rekor, Fulcio, TSA, trust configuration). */
  rest?: Router;
  /** Peers whose X-Forwarded-For is believed (SIGNET_TRUSTED_PROXIES); none by default. */
  trustedProxies?: TrustedProxies;
  log?: (line: string) => void;
}

/** The api's HTTP server: health, tRPC and the REST surfaces, each seeing the client address resolved once. */
export function createApiServer(opts: ServerOptions): http.Server {
  const trusted = opts.trustedProxies ?? new Set<string>();
  const clientAddressOf = (req: http.IncomingMessage) => resolveClientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], trusted);
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/trpc/",
    maxBodySize: opts.maxBodyBytes,
    createContext: ({ req }) => ({ services: opts.services, clientAddress: clientAddressOf(req), cookie: req.headers.cookie }),
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") opts.log?.(`trpc ${path ?? "?"}: ${error.cause?.stack ?? error.stack ?? error.message}`);
    },
  });

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://api.invalid");
      if (url.pathname === "/healthz") {
        if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { code: "ERR_METHOD_NOT_ALLOWED", message: "use GET" });
        const report = await opts.services.health.report();
        return sendJson(res, report.status === "ok" ? 200 : 503, { component: "api", ...report });
      }
      if (url.pathname.startsWith("/trpc/")) {
        const declared = Number(req.headers["content-length"] ?? 0);
        if (declared > opts.maxBodyBytes) return sendJson(res, 413, { code: "ERR_PAYLOAD_TOO_LARGE", message: `body larger than ${opts.maxBodyBytes} bytes` });
        if (req.method === "POST") {
          // SECURITY.md G1: only exact application/json, and only same-site browsers (or non-browser clients).
          const type = (req.headers["content-type"] ?? "").toLowerCase().split(";")[0]!.trim();
          if (type !== "application/json") return sendJson(res, 415, { code: "ERR_UNSUPPORTED_MEDIA_TYPE", message: "tRPC mutations need Content-Type: application/json" });
          const origin = req.headers.origin;
          const site = req.headers["sec-fetch-site"];
          if ((origin && !opts.allowedOrigins.includes(origin)) || site === "cross-site") {
            return sendJson(res, 403, { code: "ERR_CROSS_SITE", message: "cross-site request refused" });
          }
        }
        return trpc(req, res);
      }
      if (opts.rest) {
        if (req.method === "OPTIONS" && opts.rest.match("GET", url.pathname) !== undefined) {
          res.writeHead(204, CORS_HEADERS);
          return res.end();
        }
        const route = opts.rest.match(req.method ?? "GET", url.pathname);
        if (route === "method") return sendJson(res, 405, { code: "ERR_METHOD_NOT_ALLOWED", message: `${req.method} is not allowed here` }, CORS_HEADERS);
        if (route) return await route.handler({ req, res, url, params: route.params, clientAddress: clientAddressOf(req) });
      }
      return sendJson(res, 404, { code: "ERR_NOT_FOUND", message: "no such endpoint" });
    } catch (e) {
      const { status, body, retryAfter } = toErrorResponse(e);
      if (status >= 500 && !(e as { kind?: string }).kind) opts.log?.(`unhandled: ${(e as Error).stack ?? String(e)}`);
      const headers: Record<string, string> = { ...CORS_HEADERS };
      if (retryAfter) headers["retry-after"] = String(retryAfter);
      if (!res.headersSent) sendJson(res, status, body, headers);
      else res.destroy();
    }
  });
  // SECURITY.md D1: slow or endless requests are cut off.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 100;
  return server;
}
