/**
 * TEST ONLY: in-memory doubles for the CA's unit tests and the benchmark: a key store with the HSM
 * client's shape (software keys, prehashed ECDSA like the PKCS#11 sidecar), and a helper that runs the
 * real key ceremony over it into a temporary directory. Never used by product code.
 */
import { generateKeyPairSync, sign as nodeSign, verify as nodeVerify, type KeyObject } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { p256, p384 } from "@noble/curves/nist.js";
import type { Signer } from "@signet/hsm/signer";
import type { CaKeyAlgorithm } from "./certificate.ts";
import { KEY_LABELS, runKeyCeremony, type CeremonyKeyStore, type CeremonyResult } from "./ceremony.ts";

interface MemoryKey {
  algorithm: CaKeyAlgorithm;
  spki: Uint8Array;
  scalar: Uint8Array;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A CeremonyKeyStore over software keys, with call counts and a switch to simulate an outage. */
export interface MemoryKeyStore extends CeremonyKeyStore {
  readonly keys: Map<string, MemoryKey>;
  signCount: number;
  /** When set, every sign() rejects with this error (the HSM is down). */
  failWith: Error | undefined;
}

/** TEST ONLY: create an in-memory key store. */
export function createMemoryKeyStore(): MemoryKeyStore {
  const keys = new Map<string, MemoryKey>();
  const store: MemoryKeyStore = {
    keys,
    signCount: 0,
    failWith: undefined,
    async ensureKey(label, algorithm) {
      let k = keys.get(label);
      if (k === undefined) {
        const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: algorithm === "P-256" ? "prime256v1" : "secp384r1" });
        const jwk = privateKey.export({ format: "jwk" });
        k = {
          algorithm,
          spki: new Uint8Array(publicKey.export({ format: "der", type: "spki" })),
          scalar: new Uint8Array(Buffer.from(jwk.d!, "base64url")),
          privateKey,
          publicKey,
        };
        keys.set(label, k);
      }
      if (k.algorithm !== algorithm) throw Object.assign(new Error(`key ${label} is ${k.algorithm}`), { code: "ERR_HSM_KEY_MISMATCH" });
      return { spki: k.spki.slice(), algorithm: k.algorithm };
    },
    async publicKey(label) {
      const k = keys.get(label);
      if (k === undefined) throw Object.assign(new Error(`no key ${label}`), { code: "ERR_HSM_KEY_NOT_FOUND" });
      return { spki: k.spki.slice(), algorithm: k.algorithm };
    },
    async sign(label, digest) {
      if (store.failWith) throw store.failWith;
      const k = keys.get(label);
      if (k === undefined) throw Object.assign(new Error(`no key ${label}`), { code: "ERR_HSM_KEY_NOT_FOUND" });
      store.signCount++;
      const curve = k.algorithm === "P-256" ? p256 : p384;
      return curve.sign(digest, k.scalar, { prehash: false, format: "compact" });
    },
  };
  return store;
}

/** What createTestCa returns. */
export interface TestCa {
  readonly dir: string;
  readonly store: MemoryKeyStore;
  readonly ceremony: CeremonyResult;
  /**
   * A Signer over an HSM key of the ceremony that behaves like createHsmSigner (signs, then verifies its
   * own signature) but signs with Node's OpenSSL, so benchmarks measure the CA rather than the double.
   */
  signer(label: (typeof KEY_LABELS)[keyof typeof KEY_LABELS]): Signer;
}

/** TEST ONLY: run the real key ceremony over a memory key store in a fresh temporary directory. */
export async function createTestCa(options: { intermediateAlgorithm?: CaKeyAlgorithm; clock?: () => number } = {}): Promise<TestCa> {
  const dir = await mkdtemp(path.join(tmpdir(), "signet-ca-test-"));
  const store = createMemoryKeyStore();
  const ceremony = await runKeyCeremony({ keyStore: store, dir, ...options });
  return {
    dir,
    store,
    ceremony,
    signer(label) {
      const k = store.keys.get(label)!;
      const hash = k.algorithm === "P-256" ? "sha256" : "sha384";
      return {
        algorithm: k.algorithm,
        publicKey: async () => k.spki.slice(),
        async sign(data) {
          if (store.failWith) throw store.failWith;
          store.signCount++;
          const der = nodeSign(hash, data, { key: k.privateKey, dsaEncoding: "der" });
          if (!nodeVerify(hash, data, { key: k.publicKey, dsaEncoding: "der" }, der)) throw new Error("memory signer produced a bad signature");
          return new Uint8Array(der);
        },
      };
    },
  };
}
