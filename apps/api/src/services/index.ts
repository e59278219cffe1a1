import type { Db } from "../db.ts";
import type { HealthService } from "./health.ts";
import type { LogService } from "./log/log-service.ts";
import type { IssuersConfig } from "./oidc/issuers.ts";
import type { VerifyTokenOptions } from "./oidc/verify-token.ts";
import type { PasskeyService, SessionStore } from "./auth/index.ts";
import type { CertificateAuthority } from "./ca/issue.ts";

/** Portal sign-in: sessions, the login issuers (audience = the portal's client id), passkeys. */
export interface AuthServices {
  sessions: SessionStore;
  passkeys: PasskeyService;
  loginIssuers: IssuersConfig;
  /** The plain (non-`__Host-`) cookie name is read only for an http portal. */
  allowPlainCookie: boolean;
  verify?: VerifyTokenOptions;
  /** Rate limit by key (SECURITY.md G11); throws PUSHBACK. */
  limit?: (key: string) => void;
}

/** Every service the routers call; built once in app.ts (or by tests). */
export interface Services {
  health: HealthService;
  db?: Db;
  log?: LogService;
  auth?: AuthServices;
  /** The CA, for certificates issued to a portal session (routers/ca.ts). */
  ca?: CertificateAuthority;
}
