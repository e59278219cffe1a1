/**
 * Browser entry for e2e/crypto-conformance.browser.spec.ts (bundled by e2e/harness/browser-bundle.ts).
 * The spec also calls `run` directly in Node, so both runtimes execute exactly this code.
 *
 * Fixtures: `cases.json` (the manifest below) plus, per case, `<case>/bundle.sigstore.json`,
 * `<case>/artifact` (bytes), optionally `<case>/key.pub`, and the trusted roots by name.
 */
import { isSignetCryptoError } from "../packages/crypto/src/errors.ts";
import { digest } from "../packages/crypto/src/digest.ts";
import { parseTrustedRoot, verifyBundle, type TrustedRoot, type VerificationPolicy } from "../packages/crypto/src/sigstore.ts";

/** One corpus case, as the spec describes it to the page. */
export interface CaseSpec {
  readonly name: string;
  readonly trustedRoot: string;
  readonly identity: string;
  readonly issuer: string;
  readonly hasKey: boolean;
}

export interface ConformanceRunResult {
  readonly runtime: string;
  readonly subtle: boolean;
  /** `<case> [file|digest]` → "ok" or the error code. */
  readonly results: Record<string, string>;
}

function outcome(e: unknown): string {
  return isSignetCryptoError(e) ? e.code : `UNTYPED ${String(e)}`;
}

export async function run(fixtures: Record<string, string | Uint8Array>): Promise<ConformanceRunResult> {
  const text = (name: string): string => {
    const v = fixtures[name];
    if (typeof v !== "string") throw new Error(`fixture ${name} missing`);
    return v;
  };
  const cases = JSON.parse(text("cases.json")) as CaseSpec[];
  const roots = new Map<string, TrustedRoot | string>();
  const rootFor = (name: string): TrustedRoot | string => {
    let r = roots.get(name);
    if (r === undefined) {
      try {
        r = parseTrustedRoot(text(name));
      } catch (e) {
        r = outcome(e);
      }
      roots.set(name, r);
    }
    return r;
  };
  const results: Record<string, string> = {};
  for (const c of cases) {
    const artifact = fixtures[`${c.name}/artifact`];
    if (!(artifact instanceof Uint8Array)) throw new Error(`fixture ${c.name}/artifact missing`);
    const policy: VerificationPolicy = c.hasKey ? { publicKey: text(`${c.name}/key.pub`) } : { identity: { subjectAlternativeName: c.identity, issuer: c.issuer } };
    for (const form of ["file", "digest"] as const) {
      const root = rootFor(c.trustedRoot);
      if (typeof root === "string") {
        results[`${c.name} [${form}]`] = root;
        continue;
      }
      try {
        await verifyBundle({
          bundle: text(`${c.name}/bundle.sigstore.json`),
          trustedRoot: root,
          policy,
          ...(form === "file" ? { artifact } : { digest: await digest("SHA-256", artifact) }),
        });
        results[`${c.name} [${form}]`] = "ok";
      } catch (e) {
        results[`${c.name} [${form}]`] = outcome(e);
      }
    }
  }
  const nav = (globalThis as { navigator?: { userAgent?: string } }).navigator;
  return { runtime: nav?.userAgent ?? "unknown", subtle: typeof crypto.subtle !== "undefined", results };
}
