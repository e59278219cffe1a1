/**
 * Paths on the API that the portal links to. The API owns these routes; keep this the one place
 * the portal spells them.
 */
export const API_TRUSTED_ROOT_PATH = "/.well-known/signet/trusted_root.json";

/** The portal's own health endpoint (reports whether the API answers, see src/app/healthz). */
export const WEB_HEALTH_PATH = "/healthz";

/** The portal's primary tools, in the order the header and home page show them. */
export const PRIMARY_TOOLS = [
  { href: "/sign", label: "Sign" },
  { href: "/verify", label: "Verify" },
  { href: "/log", label: "Log" },
] as const;
