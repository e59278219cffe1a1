import { hash } from "node:crypto";

import { badRequest } from "./errors.ts";

/** RFC 5321 §4.5.3.1.3: a path is at most 256 octets, so an address at most 254. */
export const MAX_EMAIL_LENGTH = 254;

// A deliberately narrow dot-atom subset: plain ASCII local part, LDH domain labels, at least two labels, alphabetic
// TLD. Quoted local parts, IP literals, IDNs and comments are legal in RFC 5322 but only cause trouble in certificate
// SANs and HTML, and a development provider has no need for them.
const LOCAL_PART = /^[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*$/;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const TLD = /^[a-z]{2,63}$/;

/**
 * Validates an email address and returns it case-folded; throws ERR_IDP_BAD_REQUEST for anything unusual.
 * Case-folding keeps one identity (and one `sub`) per mailbox however it was typed.
 */
export function parseEmail(value: unknown): string {
  // attacker-controlled: a request body field or a form field; length is checked before any pattern runs.
  if (typeof value !== "string") throw badRequest("email must be a string");
  if (value.length === 0 || value.length > MAX_EMAIL_LENGTH) {
    throw badRequest(`email must be 1-${MAX_EMAIL_LENGTH} characters`);
  }
  const email = value.toLowerCase();
  const at = email.indexOf("@");
  if (at <= 0 || at !== email.lastIndexOf("@")) throw badRequest("email must contain exactly one @ after a local part");
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > 64 || !LOCAL_PART.test(local)) throw badRequest("email local part is not a plain dot-atom");
  const labels = domain.split(".");
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label)) || !TLD.test(labels.at(-1) ?? "")) {
    throw badRequest("email domain is not a plain host name with a top-level domain");
  }
  return email;
}

/** The stable `sub` for an email identity: same address, same subject, across restarts and key rotation. */
export function toEmailSubject(email: string): string {
  // Domain-separated so this id cannot collide with other derived values; 128 bits is plenty for uniqueness.
  return `email-${hash("sha256", `signet-dev-idp/email-subject/v1\n${email}`, "hex").slice(0, 32)}`;
}

/** An account of the interactive flow: the email a user typed, under its derived subject. */
export interface DevAccount {
  accountId: string;
  email: string;
}

/** Remembers which email signed in under which subject, so oidc-provider's findAccount can give claims back. */
export interface AccountStore {
  /** Records a validated email and returns its account. */
  remember(email: string): DevAccount;
  /** The account for a subject, if it signed in since this process started and was not evicted. */
  find(accountId: string): DevAccount | undefined;
}

/** Creates a bounded in-memory account store (oldest entries go first), matching oidc-provider's in-memory sessions. */
export function createAccountStore(maxEntries = 10_000): AccountStore {
  const accounts = new Map<string, DevAccount>();
  return {
    remember(email) {
      const account = { accountId: toEmailSubject(email), email };
      accounts.delete(account.accountId);
      accounts.set(account.accountId, account);
      while (accounts.size > maxEntries) {
        const oldest = accounts.keys().next().value;
        if (oldest === undefined) break;
        accounts.delete(oldest);
      }
      return account;
    },
    find(accountId) {
      return accounts.get(accountId);
    },
  };
}
