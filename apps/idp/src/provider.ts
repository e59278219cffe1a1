import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import Provider from "oidc-provider";
import type { ClientMetadata, Configuration, ErrorOut, KoaContextWithOIDC } from "oidc-provider";

import { createDevToken, MAX_DEV_TOKEN_BODY_BYTES, parseDevTokenRequest } from "./dev-token.ts";
import { DEFAULT_HOSTS } from "./env.ts";
import { IdpError } from "./errors.ts";
import { isLoopbackAddress, isLoopbackHostHeader, readBody, sendError, sendJson } from "./http-util.ts";
import type { AccountStore } from "./identity.ts";
import { createAccountStore } from "./identity.ts";
import { handleInteraction } from "./interaction.ts";
import { loadOrCreateSigningKeys } from "./keys.ts";
import type { SigningKeys } from "./keys.ts";
import { escapeHtml } from "./views.ts";

/** Client-id of the Signet portal (public client, PKCE S256). */
export const WEB_CLIENT_ID = "signet-web";
/** Client-id Sigstore clients use, and the audience Fulcio expects (INTEROP.md §1). */
export const SIGSTORE_CLIENT_ID = "sigstore";

/** Clients whose consent is implied: both are Signet's own front doors. */
const FIRST_PARTY: ReadonlySet<string> = new Set([WEB_CLIENT_ID, SIGSTORE_CLIENT_ID]);

/** Redirect URIs of the `sigstore` native client; any port is accepted on these loopback URIs (RFC 8252 §7.3). */
export const SIGSTORE_REDIRECT_URIS: readonly string[] = [
  "http://localhost/callback",
  "http://localhost/auth/callback",
  "http://127.0.0.1/callback",
  "http://127.0.0.1/auth/callback",
];

/** Lifetimes, in seconds: short, because every token here is for signing minutes from now. */
export const TTL = {
  AuthorizationCode: 60,
  IdToken: 600,
  AccessToken: 600,
  Interaction: 600,
  Grant: 3600,
  Session: 3600,
} as const;

/** Everything needed to build the provider, without reading the environment. */
export interface ProviderOptions {
  issuer: string;
  /** Base URL of the Signet portal; its redirect URI is `<webUrl>/auth/callback`. */
  webUrl: string;
  keys: SigningKeys;
  accounts: AccountStore;
}

/** oidc-provider's error page, without the default's external font import; every value is escaped. */
function renderError(ctx: KoaContextWithOIDC, out: ErrorOut): void {
  const rows = Object.entries(out)
    .map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(String(value))}</p>`)
    .join("\n");
  ctx.type = "html";
  ctx.set("content-security-policy", "default-src 'none'; base-uri 'none'; frame-ancestors 'none'");
  ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error · Signet dev IdP</title></head>
<body><h1>Sign-in error</h1>${rows}<p>Start the sign-in again from the application.</p></body></html>`;
}

/** Builds the oidc-provider instance: two public PKCE clients, `openid email` scopes, email claims in the ID token. */
export function createProvider(options: ProviderOptions): Provider {
  const clients: ClientMetadata[] = [
    {
      client_id: WEB_CLIENT_ID,
      client_name: "Signet portal",
      application_type: "web",
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code"],
      response_types: ["code"],
      redirect_uris: [`${options.webUrl}/auth/callback`],
      post_logout_redirect_uris: [`${options.webUrl}/`],
    },
    {
      client_id: SIGSTORE_CLIENT_ID,
      client_name: "Sigstore clients",
      // native: loopback redirect URIs match on any port, as CLIs pick a free one for their callback listener.
      application_type: "native",
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code"],
      response_types: ["code"],
      redirect_uris: [...SIGSTORE_REDIRECT_URIS],
    },
  ];

  const configuration: Configuration = {
    clients,
    jwks: options.keys.privateJwks as Configuration["jwks"],
    // Sessions and interactions live in oidc-provider's in-memory store (lost on restart, as are these accounts);
    // these keys only sign its cookies, so a fresh pair per process is enough.
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    scopes: ["openid", "email"],
    claims: { openid: ["sub"], email: ["email", "email_verified"] },
    // Fulcio reads email and email_verified from the ID token itself (INTEROP.md §1), not from userinfo.
    conformIdTokenClaims: false,
    responseTypes: ["code"],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      // Both clients are public: nothing would authenticate a revocation or introspection call anyway.
      revocation: { enabled: false },
      introspection: { enabled: false },
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    async findAccount(_ctx, sub) {
      const account = options.accounts.find(sub);
      if (account === undefined) return undefined;
      return {
        accountId: account.accountId,
        claims: () => ({ sub: account.accountId, email: account.email, email_verified: true }),
      };
    },
    ttl: { ...TTL },
    clientBasedCORS(_ctx, origin, client) {
      // Browsers may call the token endpoint only from the origins of the client's own redirect URIs.
      return client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) ?? false;
    },
    renderError,
  };
  return new Provider(options.issuer, configuration);
}

/** Options of `startIdp`: `port` 0 picks a free port; without `issuer` it is `http://localhost:<port>`. */
export interface StartOptions {
  port: number;
  hosts?: readonly string[];
  /** Set when the hosts were not chosen by the operator: an unavailable IPv6 loopback is then skipped. */
  hostsDefaulted?: boolean;
  issuer?: string;
  webUrl: string;
  dataDir: string;
  devTokens: boolean;
}

/** A started IdP. */
export interface RunningIdp {
  issuer: string;
  port: number;
  /** The addresses actually bound. */
  addresses: string[];
  provider: Provider;
  keys: SigningKeys;
  close(): Promise<void>;
}

interface Routes {
  issuer: string;
  issuerHost: string;
  devTokens: boolean;
  keys: SigningKeys;
  accounts: AccountStore;
  provider: Provider;
  providerCallback: (req: IncomingMessage, res: ServerResponse) => void;
}

async function handleDevToken(routes: Routes, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!routes.devTokens) {
    throw new IdpError("ERR_IDP_DEV_TOKENS_DISABLED", "the dev token endpoint is disabled (SIGNET_IDP_DEV_TOKENS=0)", { status: 404 });
  }
  // Minting a token for any identity is only for the person at this machine: a loopback peer, and a loopback Host
  // header so a DNS-rebinding page in their browser cannot read a token either.
  if (!isLoopbackAddress(req.socket.remoteAddress) || !isLoopbackHostHeader(req.headers.host, [routes.issuerHost])) {
    throw new IdpError("ERR_IDP_FORBIDDEN", "the dev token endpoint only answers loopback requests", { status: 403 });
  }
  if (req.method !== "POST") {
    res.setHeader("allow", "POST");
    throw new IdpError("ERR_IDP_METHOD_NOT_ALLOWED", "use POST", { status: 405 });
  }
  // A JSON content type also forces a CORS preflight from browsers, which this endpoint never approves.
  const contentType = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (contentType !== "application/json") {
    throw new IdpError("ERR_IDP_BAD_REQUEST", "content-type must be application/json", { status: 400 });
  }
  const request = parseDevTokenRequest(await readBody(req, MAX_DEV_TOKEN_BODY_BYTES));
  const { token, claims } = await createDevToken(request, { issuer: routes.issuer, keys: routes.keys });
  sendJson(res, 200, { token, issuer: routes.issuer, subject: claims.sub, audience: claims.aud, expiresAt: claims.exp });
}

function createRequestHandler(getRoutes: () => Routes | undefined): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const routes = getRoutes();
    if (routes === undefined) {
      sendJson(res, 503, { code: "ERR_IDP_STARTING", message: "starting" }, { "retry-after": "1" });
      return;
    }
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const run = async (): Promise<void> => {
      if (path === "/healthz") {
        if (req.method !== "GET" && req.method !== "HEAD") {
          res.setHeader("allow", "GET, HEAD");
          throw new IdpError("ERR_IDP_METHOD_NOT_ALLOWED", "use GET", { status: 405 });
        }
        sendJson(res, 200, { status: "ok", issuer: routes.issuer });
        return;
      }
      if (path === "/dev/token") {
        await handleDevToken(routes, req, res);
        return;
      }
      if (await handleInteraction({ provider: routes.provider, accounts: routes.accounts, firstPartyClients: FIRST_PARTY }, req, res, path)) {
        return;
      }
      routes.providerCallback(req, res);
    };
    run().catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendError(res, error);
    });
  };
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once("error", onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off("error", onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Starts the development OpenID Provider: loads or creates the signing keys, binds every host on one port, and
 * serves discovery, JWKS, authorization, token, userinfo, the sign-in pages, `/healthz` and `/dev/token`.
 */
export async function startIdp(options: StartOptions): Promise<RunningIdp> {
  const hosts = options.hosts ?? DEFAULT_HOSTS;
  const hostsDefaulted = options.hostsDefaulted ?? options.hosts === undefined;
  if (hosts.length === 0) throw new IdpError("ERR_IDP_CONFIG_INVALID", "no address to listen on");
  const keys = await loadOrCreateSigningKeys(options.dataDir);
  const accounts = createAccountStore();

  // Filled in once the port, and so the issuer, is known; until then requests get a 503.
  const ready: { routes?: Routes } = {};
  const handler = createRequestHandler(() => ready.routes);
  const servers: Server[] = [];
  const addresses: string[] = [];
  let port = options.port;
  try {
    for (const [index, host] of hosts.entries()) {
      const server = createServer(handler);
      // Bounded so a slow client cannot hold a socket open for long; nothing here legitimately takes seconds.
      server.requestTimeout = 30_000;
      server.headersTimeout = 10_000;
      try {
        const address = await listen(server, port, host);
        if (index === 0) port = address.port;
        servers.push(server);
        addresses.push(address.family === "IPv6" ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // A machine without IPv6 has no ::1; that is fine unless the operator asked for it.
        if (hostsDefaulted && index > 0 && (code === "EADDRNOTAVAIL" || code === "EAFNOSUPPORT")) continue;
        throw error;
      }
    }
  } catch (error) {
    await Promise.all(servers.map(closeServer));
    throw error;
  }

  const issuer = options.issuer ?? `http://localhost:${port}`;
  const provider = createProvider({ issuer, webUrl: options.webUrl, keys, accounts });
  provider.on("server_error", (_ctx: unknown, error: unknown) => console.error("signet-idp: server error:", error));
  ready.routes = {
    issuer,
    issuerHost: new URL(issuer).hostname.toLowerCase(),
    devTokens: options.devTokens,
    keys,
    accounts,
    provider,
    providerCallback: provider.callback(),
  };

  return {
    issuer,
    port,
    addresses,
    provider,
    keys,
    close: async () => {
      await Promise.all(servers.map(closeServer));
    },
  };
}
