import type { IncomingMessage, ServerResponse } from "node:http";

import type Provider from "oidc-provider";
import type { Interaction } from "oidc-provider";

import { IdpError, isIdpError } from "./errors.ts";
import { readBody } from "./http-util.ts";
import type { AccountStore } from "./identity.ts";
import { parseEmail } from "./identity.ts";
import { renderLoginPage, renderMessagePage, sendPage } from "./views.ts";

/** Largest accepted login form body: one email field and its name fit many times over. */
export const MAX_LOGIN_FORM_BYTES = 1024;

// oidc-provider's interaction uids are 21-character nanoids; a generous bound keeps junk paths cheap to refuse.
const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]{1,64})(\/login|\/abort)?$/;

interface PromptDetails {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

/** What the interaction routes need from the rest of the IdP. */
export interface InteractionOptions {
  provider: Provider;
  accounts: AccountStore;
  /** Clients whose consent is implied: Signet's own portal and the Sigstore client-id. */
  firstPartyClients: ReadonlySet<string>;
}

/**
 * Loads the interaction bound to this browser's interaction cookie and checks it is the one in the URL. The uid in
 * the path plus the cookie oidc-provider scoped to that path is what makes the form CSRF-safe.
 */
async function loadInteraction(provider: Provider, req: IncomingMessage, res: ServerResponse, uid: string): Promise<Interaction> {
  let details: Interaction;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (cause) {
    throw new IdpError("ERR_IDP_BAD_REQUEST", "this sign-in request has expired or was started in another browser", {
      status: 400,
      cause,
    });
  }
  if (details.uid !== uid) {
    throw new IdpError("ERR_IDP_BAD_REQUEST", "this sign-in request does not belong to this browser", { status: 400 });
  }
  return details;
}

async function clientNameOf(provider: Provider, details: Interaction): Promise<string> {
  const clientId = String(details.params.client_id ?? "");
  const client = await provider.Client.find(clientId);
  return client?.clientName ?? clientId;
}

async function showLogin(options: InteractionOptions, res: ServerResponse, details: Interaction, form: { email?: string; error?: string }, status = 200): Promise<void> {
  const base = `/interaction/${details.uid}`;
  sendPage(
    res,
    status,
    renderLoginPage({ clientName: await clientNameOf(options.provider, details), submitUrl: `${base}/login`, abortUrl: `${base}/abort`, ...form }),
  );
}

/** First-party clients get the scopes and claims they asked for without a consent screen. */
async function grantConsent(options: InteractionOptions, req: IncomingMessage, res: ServerResponse, details: Interaction): Promise<void> {
  const { provider } = options;
  const accountId = details.session?.accountId;
  if (accountId === undefined) throw new IdpError("ERR_IDP_BAD_REQUEST", "consent requested before sign-in", { status: 400 });
  const clientId = String(details.params.client_id ?? "");
  const existing = details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId);
  const grant = existing ?? new provider.Grant({ accountId, clientId });
  const missing = details.prompt.details as PromptDetails;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(" "));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

async function deny(provider: Provider, req: IncomingMessage, res: ServerResponse, description: string): Promise<void> {
  await provider.interactionFinished(
    req,
    res,
    { error: "access_denied", error_description: description },
    { mergeWithLastSubmission: false },
  );
}

async function handleLoginSubmit(options: InteractionOptions, req: IncomingMessage, res: ServerResponse, details: Interaction): Promise<void> {
  if (details.prompt.name !== "login") throw new IdpError("ERR_IDP_BAD_REQUEST", "this request is not waiting for a sign-in", { status: 400 });
  // attacker-controlled: the form body; capped, then parsed as urlencoded and validated like /dev/token emails.
  const form = new URLSearchParams(await readBody(req, MAX_LOGIN_FORM_BYTES));
  const typed = form.get("email") ?? "";
  let email: string;
  try {
    email = parseEmail(typed.trim());
  } catch (error) {
    if (!isIdpError(error)) throw error;
    await showLogin(options, res, details, { email: typed.slice(0, 254), error: `That address cannot be used: ${error.message}.` }, 400);
    return;
  }
  const account = options.accounts.remember(email);
  await options.provider.interactionFinished(
    req,
    res,
    { login: { accountId: account.accountId, amr: ["dev"] } },
    { mergeWithLastSubmission: false },
  );
}

/** Routes `/interaction/...` requests; returns false for any other path so the caller can hand it on. */
export async function handleInteraction(options: InteractionOptions, req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
  const match = INTERACTION_PATH.exec(path);
  if (match === null) return false;
  const uid = match[1] ?? "";
  const action = match[2];
  const method = req.method ?? "GET";
  try {
    if ((action === undefined && method !== "GET") || (action !== undefined && method !== "POST")) {
      res.setHeader("allow", action === undefined ? "GET" : "POST");
      throw new IdpError("ERR_IDP_METHOD_NOT_ALLOWED", "method not allowed", { status: 405 });
    }
    const details = await loadInteraction(options.provider, req, res, uid);
    if (action === "/abort") {
      await deny(options.provider, req, res, "the user cancelled the sign-in");
    } else if (action === "/login") {
      await handleLoginSubmit(options, req, res, details);
    } else if (details.prompt.name === "login") {
      await showLogin(options, res, details, {});
    } else if (details.prompt.name === "consent") {
      const clientId = String(details.params.client_id ?? "");
      if (options.firstPartyClients.has(clientId)) await grantConsent(options, req, res, details);
      // Only first-party clients are configured; anything else fails closed rather than being approved silently.
      else await deny(options.provider, req, res, "this development provider only serves its first-party clients");
    } else {
      throw new IdpError("ERR_IDP_BAD_REQUEST", `unsupported prompt ${details.prompt.name}`, { status: 400 });
    }
  } catch (error) {
    if (res.headersSent) {
      res.destroy();
    } else if (isIdpError(error) && error.status < 500) {
      sendPage(res, error.status, renderMessagePage("Cannot continue", `${error.message}. Start the sign-in again from the application.`));
    } else {
      console.error("signet-idp: interaction failed:", error);
      sendPage(res, 500, renderMessagePage("Something went wrong", "The sign-in could not be completed."));
    }
  }
  return true;
}
