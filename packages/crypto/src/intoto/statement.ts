/**
 * in-toto Statement (in-toto/attestation spec/v1/statement.md): the payload
 * of a DSSE envelope with payloadType application/vnd.in-toto+json.
 */
import { SignetCryptoError } from "../errors.ts";
import { fromUtf8 } from "../encoding/bytes.ts";

/** DSSE payloadType for in-toto statements. */
export const INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
/** Accepted statement `_type` values (v1 and the v0.1 still in circulation). */
export const STATEMENT_TYPES = ["https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1"] as const;
/** Cap on subjects (SECURITY.md D12). */
export const STATEMENT_MAX_SUBJECTS = 32;
/** Cap on payload size before JSON.parse. */
export const STATEMENT_MAX_BYTES = 4 * 1024 * 1024;

/** One subject: a name and its digests (algorithm → lower-case hex). */
export interface StatementSubject {
  readonly name: string;
  readonly digest: Readonly<Record<string, string>>;
}

/** A parsed statement. The predicate is left as JSON. */
export interface Statement {
  readonly type: string;
  readonly subject: readonly StatementSubject[];
  readonly predicateType: string;
  readonly predicate: unknown;
}

function malformed(message: string): SignetCryptoError {
  return new SignetCryptoError("ERR_INTOTO_MALFORMED", message);
}

/** Parse a statement from DSSE payload bytes. Throws ERR_INTOTO_MALFORMED. */
export function parseStatement(payload: Uint8Array): Statement {
  // attacker-controlled: size capped before decoding, every field type-checked
  if (payload.length > STATEMENT_MAX_BYTES) throw malformed("statement too large");
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(payload));
  } catch {
    throw malformed("statement is not JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw malformed("statement is not an object");
  const o = json as Record<string, unknown>;
  if (typeof o._type !== "string" || !(STATEMENT_TYPES as readonly string[]).includes(o._type)) throw malformed("unknown statement _type");
  if (typeof o.predicateType !== "string" || o.predicateType === "") throw malformed("missing predicateType");
  if (!Array.isArray(o.subject) || o.subject.length === 0) throw malformed("statement needs at least one subject");
  if (o.subject.length > STATEMENT_MAX_SUBJECTS) throw malformed("too many subjects");
  const subject = o.subject.map((s: unknown): StatementSubject => {
    if (typeof s !== "object" || s === null) throw malformed("subject is not an object");
    const { name, digest } = s as Record<string, unknown>;
    if (name !== undefined && typeof name !== "string") throw malformed("subject name is not a string");
    if (typeof digest !== "object" || digest === null || Array.isArray(digest)) throw malformed("subject digest is not an object");
    const d: Record<string, string> = {};
    for (const [alg, hex] of Object.entries(digest)) {
      if (typeof hex !== "string" || !/^[0-9a-fA-F]{2,128}$/.test(hex)) throw malformed(`bad ${alg} digest`);
      d[alg] = hex.toLowerCase();
    }
    return { name: name ?? "", digest: d };
  });
  return { type: o._type, subject, predicateType: o.predicateType, predicate: o.predicate };
}
