/**
 * Entry points of the entry layer: a Rekor v1 ProposedEntry or a Rekor v2 CreateEntryRequest in,
 * a PreparedEntry (canonical body, leaf hash, search columns) out; and stored canonical bodies back to
 * typed fields. Dispatch is on (kind, apiVersion), and a spec shaped like another kind is refused as
 * type confusion rather than read leniently (SECURITY.md D5).
 */
import { canonicalize } from "@signet/crypto/json/canonical";
import { entryError, malformed } from "./errors.ts";
import { isJsonObject, parseStrictJson, readObject, requireString, type JsonObject } from "./strict-json.ts";
import { parseHashedRekordV001Spec, prepareHashedRekordV001 } from "./hashedrekord-v001.ts";
import { parseHashedRekordV002Spec, prepareHashedRekordV002 } from "./hashedrekord-v002.ts";
import { parseDsseV001Spec, prepareDsseV001 } from "./dsse-v001.ts";
import { ENTRY_LIMITS, type PreparedEntry, type StoredBody } from "./types.ts";

/**
 * Raw bytes or text are parsed strictly here (duplicate names rejected); an already-parsed value is
 * taken as is. Pass the raw request body to get duplicate-name detection.
 */
function toJsonValue(input: unknown): unknown {
  if (typeof input === "string" || input instanceof Uint8Array) return parseStrictJson(input, "request");
  return input;
}

const KNOWN_SHAPES = ["hashedrekord/0.0.1", "hashedrekord/0.0.2", "dsse/0.0.1", "intoto/0.0.2"] as const;
type Shape = (typeof KNOWN_SHAPES)[number];

function has(o: unknown, key: string): boolean {
  return isJsonObject(o) && Object.hasOwn(o, key);
}

/** Which known spec a value looks like, from its distinctive member names (not a validation). */
function detectShape(spec: unknown): Shape | undefined {
  if (!isJsonObject(spec)) return undefined;
  const sig = spec.signature;
  if (has(spec, "hashedRekordV002") || has(spec, "digest") || has(sig, "verifier")) return "hashedrekord/0.0.2";
  if (has(spec, "proposedContent") || has(spec, "envelopeHash") || has(spec, "payloadHash") || has(spec, "signatures")) return "dsse/0.0.1";
  if (has(spec, "content")) return "intoto/0.0.2";
  if (has(spec, "data") || has(sig, "publicKey")) return "hashedrekord/0.0.1";
  return undefined;
}

/**
 * Validate and verify a Rekor v1 ProposedEntry `{kind, apiVersion, spec}` (POST /api/v1/log/entries)
 * of kind hashedrekord 0.0.1 or dsse 0.0.1. Throws 400 DomainErrors with ERR_ENTRY_* codes.
 */
export function prepareRekorV1Entry(proposed: unknown): PreparedEntry {
  const value = toJsonValue(proposed);
  if (!isJsonObject(value)) malformed("request", "must be a JSON object");
  if (has(value, "hashedRekordRequestV002") || has(value, "dsseRequestV002")) {
    throw entryError("ERR_ENTRY_KIND_MISMATCH", "request: a Rekor v2 CreateEntryRequest was sent to the v1 API");
  }
  const o = readObject(value, "request", ["kind", "apiVersion", "spec"]);
  const kind = requireString(o, "kind", "request", 64);
  const apiVersion = requireString(o, "apiVersion", "request", 16);
  if (!Object.hasOwn(o, "spec")) malformed("request.spec", "is required");
  const declared = `${kind}/${apiVersion}`;
  if (kind !== "hashedrekord" && kind !== "dsse") {
    throw entryError("ERR_ENTRY_UNSUPPORTED_KIND", `request.kind: ${JSON.stringify(kind)} is not supported (hashedrekord, dsse)`);
  }
  if (!(KNOWN_SHAPES as readonly string[]).includes(declared)) {
    throw entryError("ERR_ENTRY_UNSUPPORTED_KIND", `request: ${JSON.stringify(declared.slice(0, 96))} is not supported (hashedrekord/0.0.1, dsse/0.0.1)`);
  }
  const shape = detectShape(o.spec);
  if (shape !== undefined && shape !== declared) {
    throw entryError("ERR_ENTRY_KIND_MISMATCH", `request: kind and apiVersion say ${declared} but spec is shaped like ${shape}`);
  }
  switch (declared) {
    case "hashedrekord/0.0.1":
      return prepareHashedRekordV001(o.spec);
    case "dsse/0.0.1":
      return prepareDsseV001(o.spec);
    case "hashedrekord/0.0.2":
      throw entryError("ERR_ENTRY_UNSUPPORTED_KIND", "request: hashedrekord 0.0.2 is submitted to POST /api/v2/log/entries");
    default:
      throw entryError("ERR_ENTRY_UNSUPPORTED_KIND", `request: ${JSON.stringify(declared.slice(0, 96))} is not supported (hashedrekord/0.0.1, dsse/0.0.1)`);
  }
}

/**
 * Validate and verify a Rekor v2 CreateEntryRequest `{hashedRekordRequestV002: …}`
 * (POST /api/v2/log/entries). DSSE is not a v2 type here: dsseRequestV002 gets ERR_ENTRY_UNSUPPORTED_KIND.
 */
export function prepareRekorV2Entry(request: unknown): PreparedEntry {
  const value = toJsonValue(request);
  if (!isJsonObject(value)) malformed("request", "must be a JSON object");
  if (has(value, "kind") || has(value, "apiVersion") || has(value, "spec")) {
    throw entryError("ERR_ENTRY_KIND_MISMATCH", "request: a Rekor v1 ProposedEntry was sent to the v2 API");
  }
  const o = readObject(value, "request", ["hashedRekordRequestV002", "dsseRequestV002"]);
  const hasHashed = Object.hasOwn(o, "hashedRekordRequestV002");
  const hasDsse = Object.hasOwn(o, "dsseRequestV002");
  if (hasHashed && hasDsse) malformed("request", "holds more than one entry request");
  if (hasDsse) {
    throw entryError("ERR_ENTRY_UNSUPPORTED_KIND", "request.dsseRequestV002: DSSE is not a Rekor v2 type here; log a hashedrekord over the SHA-256 of the DSSE PAE instead");
  }
  if (!hasHashed) malformed("request", "needs hashedRekordRequestV002");
  const inner = o.hashedRekordRequestV002;
  const shape = detectShape(inner);
  if (shape !== undefined && shape !== "hashedrekord/0.0.2") {
    throw entryError("ERR_ENTRY_KIND_MISMATCH", `request.hashedRekordRequestV002: shaped like ${shape}, not a v0.0.2 request`);
  }
  return prepareHashedRekordV002(inner);
}

/**
 * Decode a stored canonical body (RFC 8785 JSON), dispatching on the (kind, apiVersion) inside it.
 * Bodies that are not exactly canonical are refused: what is stored must be what was hashed.
 */
export function parseStoredBody(body: Uint8Array): StoredBody {
  // attacker-controlled in the sense that bodies also arrive from other logs and backups
  const json = parseStrictJson(body, "body", ENTRY_LIMITS.requestBytes);
  const o = readObject(json, "body", ["apiVersion", "kind", "spec"]);
  const kind = requireString(o, "kind", "body", 64);
  const apiVersion = requireString(o, "apiVersion", "body", 16);
  if (!isJsonObject(o.spec)) malformed("body.spec", "must be an object");
  const spec: JsonObject = o.spec;
  let parsed: StoredBody;
  switch (`${kind}/${apiVersion}`) {
    case "hashedrekord/0.0.1":
      parsed = parseHashedRekordV001Spec(spec);
      break;
    case "hashedrekord/0.0.2":
      parsed = parseHashedRekordV002Spec(spec);
      break;
    case "dsse/0.0.1":
      parsed = parseDsseV001Spec(spec);
      break;
    default:
      throw entryError("ERR_ENTRY_UNSUPPORTED_KIND", `body: ${JSON.stringify(`${kind}/${apiVersion}`.slice(0, 96))} is not a kind this log stores`);
  }
  if (Buffer.compare(Buffer.from(canonicalize(json), "utf8"), body) !== 0) malformed("body", "is not RFC 8785 canonical JSON");
  return parsed;
}
