/**
 * Read the artifact to sign in one streaming pass: each chunk goes into a
 * SHA-256 (@noble/hashes, incremental) and into one buffer of the file's size.
 * The buffer is needed because WebCrypto's ECDSA signs whole messages and has
 * no streaming or prehashed interface; the cap below keeps that bounded.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { sha256 } from "@noble/hashes/sha2.js";
import type { Bytes } from "@signet/crypto";
import { SignError } from "./errors.ts";

/** Largest artifact the CLI signs (it must fit in memory once for WebCrypto). */
export const ARTIFACT_MAX_BYTES = 1024 * 1024 * 1024;

/** The artifact's bytes and SHA-256. */
export interface Artifact {
  readonly bytes: Bytes;
  readonly sha256: Bytes;
}

/** Read `path` (a regular file of at most `maxBytes`) and hash it while reading. */
export async function readArtifact(path: string, maxBytes = ARTIFACT_MAX_BYTES): Promise<Artifact> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new SignError("ERR_SIGN_ARTIFACT_UNREADABLE", `${path} is not a regular file`);
    size = s.size;
  } catch (cause) {
    if (cause instanceof SignError) throw cause;
    throw new SignError("ERR_SIGN_ARTIFACT_UNREADABLE", `cannot read ${path}`, { cause });
  }
  // Checked before any read: the buffer below is allocated from this size.
  if (size > maxBytes) throw new SignError("ERR_SIGN_ARTIFACT_TOO_LARGE", `${path} is ${size} bytes; at most ${maxBytes} can be signed`);
  const bytes = new Uint8Array(size) as Bytes;
  const hash = sha256.create();
  let offset = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
      if (offset + chunk.length > size) throw new SignError("ERR_SIGN_ARTIFACT_CHANGED", `${path} grew while it was read`);
      bytes.set(chunk, offset);
      hash.update(chunk);
      offset += chunk.length;
    }
  } catch (cause) {
    if (cause instanceof SignError) throw cause;
    throw new SignError("ERR_SIGN_ARTIFACT_UNREADABLE", `cannot read ${path}`, { cause });
  }
  if (offset !== size) throw new SignError("ERR_SIGN_ARTIFACT_CHANGED", `${path} shrank while it was read`);
  return { bytes, sha256: hash.digest() as Bytes };
}
