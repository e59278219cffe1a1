import { randomBytes } from "node:crypto";
import { chmod, link, mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from "jose";
import type { CryptoKey, JWK } from "jose";

import { IdpError } from "./errors.ts";

/** The JWS algorithms the dev IdP signs with; RS256 first because it is the OIDC default for ID tokens. */
export const SIGNING_ALGORITHMS = ["RS256", "ES256"] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** A private signing key ready for jose, with the `kid` it is published under. */
export interface SigningKey {
  alg: SigningAlgorithm;
  kid: string;
  privateKey: CryptoKey;
}

/** The IdP's signing material: the private JWKS handed to oidc-provider and the same keys for `/dev/token`. */
export interface SigningKeys {
  /** Where the keys are persisted. */
  file: string;
  /** Private JWKs (with `kid`, `alg`, `use`), in the shape oidc-provider's `jwks` option takes. */
  privateJwks: { keys: JWK[] };
  /** The signing key for an algorithm. */
  keyFor(alg: SigningAlgorithm): SigningKey;
}

// A corrupt or hostile file must not make us allocate much before we notice.
const MAX_JWKS_FILE_BYTES = 64 * 1024;

const EXPECTED: Record<SigningAlgorithm, { kty: string; crv?: string }> = {
  RS256: { kty: "RSA" },
  ES256: { kty: "EC", crv: "P-256" },
};

async function generateJwk(alg: SigningAlgorithm): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, alg === "RS256" ? { modulusLength: 2048, extractable: true } : { extractable: true });
  const jwk = await exportJWK(privateKey);
  // RFC 7638 thumbprint as kid: stable for the key, so tokens minted before a restart keep matching the JWKS.
  return { ...jwk, kid: await calculateJwkThumbprint(jwk, "sha256"), alg, use: "sig" };
}

function corrupt(file: string, why: string, cause?: unknown): IdpError {
  return new IdpError(
    "ERR_IDP_KEYS_CORRUPT",
    `the dev IdP key file ${file} is unusable (${why}); delete it to generate new keys (tokens signed with the old keys stop verifying)`,
    cause === undefined ? undefined : { cause },
  );
}

/** Validates the persisted JWKS and imports one private key per algorithm; throws ERR_IDP_KEYS_CORRUPT naming the file. */
async function toSigningKeys(file: string, text: string): Promise<SigningKeys> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw corrupt(file, "not valid JSON", cause);
  }
  if (typeof parsed !== "object" || parsed === null || !Array.isArray((parsed as { keys?: unknown }).keys)) {
    throw corrupt(file, 'expected an object with a "keys" array');
  }
  const keys = (parsed as { keys: unknown[] }).keys;
  const byAlg = new Map<SigningAlgorithm, SigningKey>();
  const jwks: JWK[] = [];
  for (const alg of SIGNING_ALGORITHMS) {
    const jwk = keys.find((k): k is JWK => typeof k === "object" && k !== null && (k as JWK).alg === alg);
    if (jwk === undefined) throw corrupt(file, `no ${alg} key`);
    const want = EXPECTED[alg];
    if (jwk.kty !== want.kty || (want.crv !== undefined && jwk.crv !== want.crv) || typeof jwk.d !== "string") {
      throw corrupt(file, `the ${alg} key is not a private ${want.kty}${want.crv ? ` ${want.crv}` : ""} key`);
    }
    let privateKey: CryptoKey;
    let thumbprint: string;
    try {
      privateKey = (await importJWK(jwk, alg)) as CryptoKey;
      thumbprint = await calculateJwkThumbprint(jwk, "sha256");
    } catch (cause) {
      throw corrupt(file, `the ${alg} key cannot be imported`, cause);
    }
    if (jwk.kid !== thumbprint) throw corrupt(file, `the ${alg} key's kid is not its RFC 7638 thumbprint`);
    byAlg.set(alg, { alg, kid: thumbprint, privateKey });
    jwks.push({ ...jwk, use: "sig" });
  }
  return {
    file,
    privateJwks: { keys: jwks },
    keyFor(alg) {
      const key = byAlg.get(alg);
      if (key === undefined) throw new Error(`no signing key for ${alg}`);
      return key;
    },
  };
}

async function readKeyFile(file: string): Promise<string | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw corrupt(file, `cannot be read: ${(error as Error).message}`, error);
  }
  if (bytes.length > MAX_JWKS_FILE_BYTES) throw corrupt(file, `larger than ${MAX_JWKS_FILE_BYTES} bytes`);
  return bytes.toString("utf8");
}

/**
 * Loads the signing JWKS from `<dataDir>/idp/jwks.json`, generating and persisting it (mode 0600) on first start, so
 * tokens stay verifiable across restarts.
 */
export async function loadOrCreateSigningKeys(dataDir: string): Promise<SigningKeys> {
  const dir = join(dataDir, "idp");
  const file = join(dir, "jwks.json");
  const existing = await readKeyFile(file);
  if (existing !== undefined) {
    // Private keys: keep them owner-only even if someone loosened the mode.
    await chmod(file, 0o600).catch(() => undefined);
    return toSigningKeys(file, existing);
  }

  // Only the idp directory is private: other services (PostgreSQL under its own user) live beside it in the data dir.
  await mkdir(dataDir, { recursive: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const jwks = { keys: await Promise.all(SIGNING_ALGORITHMS.map(generateJwk)) };
  // Write aside, then link into place: link fails if another process won the race, and a reader never sees a
  // half-written file.
  const tmp = join(dir, `.jwks.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  await writeFile(tmp, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  try {
    await link(tmp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  const text = await readKeyFile(file);
  if (text === undefined) throw corrupt(file, "vanished right after it was written");
  return toSigningKeys(file, text);
}
