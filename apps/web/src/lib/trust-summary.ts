/**
 * A trusted root described for people before it is used: how many logs and authorities it names,
 * and which hosts. Parsing is @signet/crypto's strict parseTrustedRoot.
 */
import { isSignetCryptoError } from "@signet/crypto/errors";
import { parseTrustedRoot } from "@signet/crypto/trust/trusted-root";

export type TrustedRootSummary =
  | {
      readonly kind: "readable";
      readonly tlogHosts: readonly string[];
      readonly certificateAuthorities: readonly string[];
      readonly timestampAuthorities: number;
      readonly ctlogs: number;
    }
  | { readonly kind: "unreadable"; readonly code: string; readonly message: string };

/** Parse a trusted root and summarise it; never throws. */
export function summarizeTrustedRoot(text: string): TrustedRootSummary {
  try {
    const root = parseTrustedRoot(text);
    return {
      kind: "readable",
      tlogHosts: [...new Set(root.tlogs.map((l) => l.host))],
      certificateAuthorities: root.certificateAuthorities.map((ca) => ca.subject.commonName || ca.subject.organization || ca.uri || "(unnamed CA)"),
      timestampAuthorities: root.timestampAuthorities.length,
      ctlogs: root.ctlogs.length,
    };
  } catch (e) {
    return { kind: "unreadable", code: isSignetCryptoError(e) ? e.code : "ERR_TRUSTED_ROOT_MALFORMED", message: e instanceof Error ? e.message : String(e) };
  }
}
