/** The portal's authentication services: sessions, OIDC login, passkeys. */
export { PLAIN_SESSION_COOKIE, SECURE_SESSION_COOKIE, readSessionCookie } from "./cookie.ts";
export { createSessionStore, SESSION_ABSOLUTE_MS, SESSION_IDLE_MS, type Session, type SessionIdentity, type SessionStore } from "./sessions.ts";
export { loginWithIdToken, toLoginIssuers } from "./login.ts";
export { createPasskeyService, toRelyingParty, type PasskeyService, type PasskeySummary, type RelyingParty } from "./passkeys.ts";
