/**
 * SigningConfig v0.2 (sigstore/protobuf-specs sigstore_trustroot.proto;
 * INTEROP.md §7): which CA, OIDC provider, logs and TSAs a signer should use.
 */
import { ProtoJsonReader, type JsonObject } from "../bundle/protobuf-json.ts";
import { isWithin, parseRfc3339, type TimeRange } from "./time-range.ts";

/** Media type of SigningConfig v0.2. */
export const SIGNING_CONFIG_MEDIA_TYPE = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

/** One service endpoint. */
export interface Service {
  readonly url: string;
  readonly majorApiVersion: number;
  readonly validFor: TimeRange;
  readonly operator: string;
}

/** ServiceConfiguration: how many of the listed services to use. */
export interface ServiceConfiguration {
  readonly selector: "ALL" | "ANY" | "EXACT";
  readonly count: number;
}

/** A parsed SigningConfig. */
export interface SigningConfig {
  readonly kind: "signing-config";
  readonly caUrls: readonly Service[];
  readonly oidcUrls: readonly Service[];
  readonly rekorTlogUrls: readonly Service[];
  readonly rekorTlogConfig: ServiceConfiguration;
  readonly tsaUrls: readonly Service[];
  readonly tsaConfig: ServiceConfiguration;
}

const r: ProtoJsonReader = new ProtoJsonReader("ERR_SIGNING_CONFIG_MALFORMED");
const none: ProtoJsonReader = new ProtoJsonReader("ERR_SIGNING_CONFIG_NO_SERVICE");
const MAX_SERVICES = 64;

function parseService(v: unknown, path: string): Service {
  const o = r.object(v, path, ["url", "majorApiVersion", "validFor", "operator"]);
  const major = o.majorApiVersion;
  if (typeof major !== "number" || !Number.isInteger(major) || major < 1 || major > 0xffffffff) r.fail(`${path}.majorApiVersion`, "must be a positive uint32");
  const vf = r.requiredObject(o, "validFor", path, ["start", "end"]);
  const start = parseRfc3339(vf.start, "ERR_SIGNING_CONFIG_MALFORMED");
  const end = vf.end === undefined || vf.end === null ? undefined : parseRfc3339(vf.end, "ERR_SIGNING_CONFIG_MALFORMED");
  const url = r.requiredString(o, "url", path, 2048);
  if (!/^https?:\/\/[^\s]+$/.test(url)) r.fail(`${path}.url`, "must be an http(s) URL");
  return { url, majorApiVersion: major, validFor: { start, end }, operator: r.string(o, "operator", path, 256) };
}

function parseConfig(o: JsonObject | undefined, path: string): ServiceConfiguration {
  if (o === undefined) return { selector: "ANY", count: 0 };
  const selector = r.string(o, "selector", path, 16) || "ANY";
  if (selector !== "ALL" && selector !== "ANY" && selector !== "EXACT") r.fail(`${path}.selector`, `unknown selector ${JSON.stringify(selector)}`);
  const count = o.count === undefined || o.count === null ? 0 : o.count;
  if (typeof count !== "number" || !Number.isInteger(count) || count < 0 || count > MAX_SERVICES) r.fail(`${path}.count`, "must be a small non-negative integer");
  if (selector === "EXACT" && count < 1) r.fail(`${path}.count`, "EXACT needs count ≥ 1");
  return { selector, count };
}

/** Parse a SigningConfig v0.2 from JSON text, bytes or a parsed value. Throws ERR_SIGNING_CONFIG_MALFORMED. */
export function parseSigningConfig(input: unknown): SigningConfig {
  const json = r.parseJson(input, 1024 * 1024, "signingConfig");
  const o = r.object(json, "signingConfig", ["mediaType", "caUrls", "oidcUrls", "rekorTlogUrls", "rekorTlogConfig", "tsaUrls", "tsaConfig"]);
  if (r.string(o, "mediaType", "signingConfig", 128) !== SIGNING_CONFIG_MEDIA_TYPE) r.fail("signingConfig.mediaType", "unsupported media type");
  const list = (k: string) => r.array(o, k, "signingConfig", MAX_SERVICES).map((v, i) => parseService(v, `${k}[${i}]`));
  return {
    kind: "signing-config",
    caUrls: list("caUrls"),
    oidcUrls: list("oidcUrls"),
    rekorTlogUrls: list("rekorTlogUrls"),
    rekorTlogConfig: parseConfig(r.optionalObject(o, "rekorTlogConfig", "signingConfig", ["selector", "count"]), "rekorTlogConfig"),
    tsaUrls: list("tsaUrls"),
    tsaConfig: parseConfig(r.optionalObject(o, "tsaConfig", "signingConfig", ["selector", "count"]), "tsaConfig"),
  };
}

/**
 * Choose services per the SigningConfig rules (INTEROP.md §7): only those
 * valid at `now` with the highest supported major API version, newest first,
 * at most one per operator, then `config` decides how many (ANY → 1,
 * EXACT → count, ALL → all). Throws ERR_SIGNING_CONFIG_NO_SERVICE when the
 * selection cannot be satisfied.
 */
export function selectServices(
  services: readonly Service[],
  opts: { now: number; supportedApiVersions: readonly number[]; config?: ServiceConfiguration },
): Service[] {
  const usable = services.filter((s) => isWithin(s.validFor, opts.now) && opts.supportedApiVersions.includes(s.majorApiVersion));
  if (usable.length === 0) none.fail("services", "no usable service");
  const top = Math.max(...usable.map((s) => s.majorApiVersion));
  const newestFirst = usable.filter((s) => s.majorApiVersion === top).sort((a, b) => b.validFor.start - a.validFor.start);
  const operators = new Set<string>();
  const distinct: Service[] = [];
  for (const s of newestFirst) {
    // Services without an operator count as their own operator.
    const op = s.operator === "" ? `url:${s.url}` : s.operator;
    if (operators.has(op)) continue;
    operators.add(op);
    distinct.push(s);
  }
  const config = opts.config ?? { selector: "ANY", count: 0 };
  switch (config.selector) {
    case "ANY":
      return distinct.slice(0, 1);
    case "ALL":
      return distinct;
    case "EXACT":
      if (distinct.length < config.count) {
        none.fail("services", `need ${config.count} operators, have ${distinct.length}`);
      }
      return distinct.slice(0, config.count);
  }
}
