/**
 * Property tests (fast-check): whatever prepare* accepts canonicalises deterministically, whatever
 * the submission's formatting, and re-parses with parseStoredBody (SECURITY.md D3 "validate and
 * canonicalize must agree", D4). A fuzzer mutates valid submissions: every outcome is either an
 * accepted entry that round-trips or a 400 with an ERR_ENTRY_* code, never another exception.
 */
import crypto from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalize } from "@signet/crypto/json/canonical";
import { DomainError } from "../../../errors.ts";
import { parseStoredBody, prepareRekorV1Entry, prepareRekorV2Entry } from "./prepare.ts";
import type { PreparedEntry } from "./types.ts";
import { certFor, dsseEntry, key, statement, v1Entry, v2Request, type TestKey } from "./test-support.ts";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 100);

const KEYS: TestKey[] = [key("P-256"), key("P-384"), key("P-521"), key("RSA-2048")];
const CERTS = new Map(KEYS.map((k) => [k, certFor(k, `https://ci.example/${k.kind}`, "https://issuer.example")]));

/** A tiny seeded PRNG (mulberry32) so one fast-check integer drives all formatting choices. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WS = ["", " ", "\n", "\t", "\r\n", "  "];

/** Serialize JSON with shuffled member order, random whitespace and random \u escapes of ASCII letters. */
function reformat(value: unknown, seed: number): string {
  const r = prng(seed);
  const ws = () => WS[Math.floor(r() * WS.length)]!;
  const str = (s: string) => {
    let out = '"';
    for (const ch of s) {
      if (/[a-z]/.test(ch) && r() < 0.05) out += "\\u" + ch.charCodeAt(0).toString(16).padStart(4, "0");
      else out += JSON.stringify(ch).slice(1, -1);
    }
    return out + '"';
  };
  const walk = (v: unknown): string => {
    if (typeof v === "string") return str(v);
    if (Array.isArray(v)) return "[" + ws() + v.map(walk).join(ws() + "," + ws()) + ws() + "]";
    if (v !== null && typeof v === "object") {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [keys[i], keys[j]] = [keys[j]!, keys[i]!];
      }
      return "{" + ws() + keys.map((k) => str(k) + ws() + ":" + ws() + walk((v as Record<string, unknown>)[k])).join(ws() + "," + ws()) + ws() + "}";
    }
    return JSON.stringify(v);
  };
  return ws() + walk(value) + ws();
}

function assertRoundTrip(e: PreparedEntry): void {
  const text = e.body.toString("utf8");
  expect(canonicalize(JSON.parse(text))).toBe(text);
  expect(e.leafHash.equals(crypto.hash("sha256", Buffer.concat([Buffer.of(0), e.body]), "buffer"))).toBe(true);
  const parsed = parseStoredBody(e.body);
  expect(parsed.kind).toBe(e.kind);
  expect(parsed.apiVersion).toBe(e.apiVersion);
}

const artifactArb = fc.uint8Array({ minLength: 0, maxLength: 96 });
const keyArb = fc.integer({ min: 0, max: KEYS.length - 1 }).map((i) => KEYS[i]!);

describe("property: accepted submissions canonicalise deterministically and round-trip", () => {
  it("hashedrekord 0.0.1", () => {
    fc.assert(
      fc.property(keyArb, fc.boolean(), artifactArb, fc.constantFrom("sha256", "sha384", "sha512" as const), fc.integer(), (k, bare, artifact, alg, seed) => {
        const { entry, digest, signature } = v1Entry({ key: k, cert: bare ? null : CERTS.get(k)!, artifact, alg });
        const plain = prepareRekorV1Entry(entry);
        const formatted = prepareRekorV1Entry(Buffer.from(reformat(entry, seed)));
        expect(formatted.body.equals(plain.body)).toBe(true);
        expect(formatted.leafHash.equals(plain.leafHash)).toBe(true);
        expect(formatted.search).toEqual(plain.search);
        assertRoundTrip(plain);
        const stored = parseStoredBody(plain.body);
        if (stored.kind !== "hashedrekord") throw new Error("kind");
        expect(stored.digest.value.equals(digest)).toBe(true);
        expect(stored.signature.equals(signature)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("hashedrekord 0.0.2", () => {
    fc.assert(
      fc.property(keyArb, fc.boolean(), artifactArb, fc.integer(), (k, bare, artifact, seed) => {
        const { request } = v2Request({ key: k, cert: bare ? null : CERTS.get(k)!, artifact });
        const plain = prepareRekorV2Entry(request);
        const formatted = prepareRekorV2Entry(reformat(request, seed));
        expect(formatted.body.equals(plain.body)).toBe(true);
        assertRoundTrip(plain);
      }),
      { numRuns: RUNS },
    );
  });

  it("dsse 0.0.1", () => {
    const dsseKeys = [key("P-256"), key("Ed25519"), key("RSA-2048")];
    fc.assert(
      // A DSSE payload must not be empty (the log refuses it), so the artifact has at least one byte.
      fc.property(fc.subarray(dsseKeys, { minLength: 1 }), fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 96 }), fc.boolean(), fc.integer(), (keys, bare, artifact, intoto, seed) => {
        const payload = intoto ? statement(artifact) : Buffer.from(artifact);
        const { entry } = dsseEntry({ keys, bare, payload, payloadType: intoto ? "application/vnd.in-toto+json" : "application/octet-stream" });
        const plain = prepareRekorV1Entry(entry);
        const formatted = prepareRekorV1Entry(reformat(entry, seed));
        expect(formatted.body.equals(plain.body)).toBe(true);
        assertRoundTrip(plain);
        expect(plain.search.artifactDigest).toBe(`sha256:${crypto.hash("sha256", intoto ? artifact : payload, "hex")}`);
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });
});

// ---- fuzzing -------------------------------------------------------------------

const ENTRY_CODES = new Set(["ERR_ENTRY_MALFORMED", "ERR_ENTRY_UNSUPPORTED_KIND", "ERR_ENTRY_KIND_MISMATCH", "ERR_ENTRY_SIGNATURE_INVALID", "ERR_ENTRY_KEY_UNSUPPORTED", "ERR_ENTRY_DIGEST_INVALID"]);

/** Either a round-tripping entry or a 400 with an entry code; anything else fails the property. */
function outcome(f: () => PreparedEntry): "accepted" | string {
  let e: PreparedEntry;
  try {
    e = f();
  } catch (err) {
    if (!(err instanceof DomainError) || err.status !== 400 || !ENTRY_CODES.has(err.code)) throw err;
    return err.code;
  }
  assertRoundTrip(e);
  return "accepted";
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Collect every path (object member or array element) in a JSON tree. */
function paths(v: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

function mutate(root: Json, pick: number, op: number, replacement: Json, seed: number): Json {
  const copy = structuredClone(root);
  const all = paths(copy).filter((p) => p.length > 0);
  const path = all[pick % all.length]!;
  let parent: Json = copy;
  for (const k of path.slice(0, -1)) parent = (parent as Record<string | number, Json>)[k]!;
  const last = path[path.length - 1]!;
  const p = parent as Record<string | number, Json>;
  const r = prng(seed);
  switch (op % 6) {
    case 0:
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete p[last];
      break;
    case 1:
      p[last] = replacement;
      break;
    case 2:
      if (!Array.isArray(parent)) p[`x${seed & 0xff}`] = replacement;
      else parent.push(replacement);
      break;
    case 3: {
      const s = p[last];
      if (typeof s === "string" && s.length > 0) {
        const i = Math.floor(r() * s.length);
        p[last] = s.slice(0, i) + String.fromCharCode(32 + Math.floor(r() * 95)) + s.slice(i + 1);
      } else p[last] = replacement;
      break;
    }
    case 4: {
      const s = p[last];
      p[last] = typeof s === "string" ? s.slice(0, Math.floor(r() * s.length)) : null;
      break;
    }
    default:
      p[last] = [p[last]!];
  }
  return copy;
}

describe("property: mutated submissions are accepted cleanly or refused with an entry code", () => {
  const sources: [string, () => Json, (v: unknown) => PreparedEntry][] = [
    ["hashedrekord 0.0.1", () => v1Entry().entry as Json, prepareRekorV1Entry],
    ["hashedrekord 0.0.2", () => v2Request().request as unknown as Json, prepareRekorV2Entry],
    ["dsse 0.0.1", () => dsseEntry().entry as Json, prepareRekorV1Entry],
    ["dsse 0.0.1 (inside the envelope)", () => dsseEntry().entry as Json, prepareRekorV1Entry],
  ];

  it.each(sources)("%s: structural mutations", (name, make, prepare) => {
    const valid = make();
    const codes = new Map<string, number>();
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.jsonValue({ maxDepth: 2 }), fc.integer(), (pick, op, replacement, seed) => {
        let input: Json;
        if (name.includes("inside the envelope")) {
          const e = structuredClone(valid) as { spec: { proposedContent: { envelope: string } } };
          e.spec.proposedContent.envelope = JSON.stringify(mutate(JSON.parse(e.spec.proposedContent.envelope) as Json, pick, op, replacement as Json, seed));
          input = e as unknown as Json;
        } else input = mutate(valid, pick, op, replacement as Json, seed);
        const o = outcome(() => prepare(input));
        codes.set(o, (codes.get(o) ?? 0) + 1);
      }),
      { numRuns: RUNS * 3 },
    );
    // Most mutations must be refused, and refusals must use more than one code (the fuzzer reaches past parsing).
    expect([...codes.keys()].filter((c) => c !== "accepted").length).toBeGreaterThan(1);
  });

  it.each(sources.slice(0, 3))("%s: byte-level mutations of the raw request", (_, make, prepare) => {
    const text = JSON.stringify(make());
    fc.assert(
      fc.property(fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 4 }), (pos, op, junk) => {
        const i = pos % (text.length + 1);
        const mutated = [text.slice(0, i), text.slice(0, i) + junk + text.slice(i), text.slice(0, i) + text.slice(i + 1), text.slice(0, i) + text.slice(i, i + 40) + text.slice(i)][op]!;
        outcome(() => prepare(Buffer.from(mutated)));
      }),
      { numRuns: RUNS * 3 },
    );
  });
});
