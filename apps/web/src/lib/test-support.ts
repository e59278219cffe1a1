/**
 * Test support for the explorer's lib tests: a real P-256 log key (WebCrypto), checkpoints signed
 * with it as the API signs them (C2SP signed note, ECDSA key ID), a trusted root naming it, and a
 * Merkle tree to take proofs from. Nothing here is imported by product code.
 */
import { signCheckpoint } from "@signet/crypto/checkpoint/checkpoint";
import { toBase64 } from "@signet/crypto/encoding/base64";
import { sha256 } from "@signet/crypto/digest";
import { MemoryTree } from "@signet/crypto/merkle/proof";
import { hashLeaf } from "@signet/crypto/merkle/rfc6962";
import { createEcdsaNoteSigner } from "@signet/crypto/note/signed-note";
import { parseTrustedRoot, type TrustedRoot } from "@signet/crypto/trust/trusted-root";

export interface TestLog {
  readonly host: string;
  readonly spki: Uint8Array;
  readonly root: TrustedRoot;
  readonly rootJson: string;
  readonly tree: MemoryTree;
  readonly bodies: Uint8Array[];
  /** A signed checkpoint of the tree at `size` (default: now), with an optional other origin. */
  checkpoint(size?: bigint, origin?: string): Promise<string>;
  append(n: number): void;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

export async function createTestLog(host = "log.signet.test:8443"): Promise<TestLog> {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  const sign = async (m: Uint8Array) => new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, Uint8Array.from(m)));
  const rootJson = JSON.stringify({
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: [
      {
        baseUrl: `https://${host}`,
        hashAlgorithm: "SHA2_256",
        publicKey: { rawBytes: toBase64(spki), keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: { start: "2020-01-01T00:00:00Z" } },
        logId: { keyId: toBase64(sha256(spki)) },
      },
    ],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  });
  const tree = new MemoryTree();
  const bodies: Uint8Array[] = [];
  const log: TestLog = {
    host,
    spki,
    root: parseTrustedRoot(rootJson),
    rootJson,
    tree,
    bodies,
    sign,
    append(n) {
      for (let i = 0; i < n; i++) {
        const body = new TextEncoder().encode(JSON.stringify({ apiVersion: "0.0.1", kind: "test", n: bodies.length }));
        bodies.push(body);
        tree.append(hashLeaf(body));
      }
    },
    checkpoint(size = tree.size, origin = host) {
      const signer = createEcdsaNoteSigner({ name: host, spki, sign });
      return signCheckpoint({ origin, size, rootHash: tree.root(size) }, [signer]);
    },
  };
  return log;
}

/** A Map-backed Storage double (unit tests only). */
export function memoryStorage(): { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void; map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  };
}
