/**
 * Bit arithmetic on uint64 tree sizes and indices, shared by proof verification and generation.
 * Values arrive as bigint (int64 JSON strings up to 2^63−1); they are split into two 32-bit halves
 * so the per-level loops stay in fast number arithmetic.
 */
import { SignetCryptoError } from "../errors.ts";
import type { ErrorCode } from "../errors.ts";

/** Largest value a uint64 tree size or index may take. */
export const UINT64_MAX = (1n << 64n) - 1n;

/** Upper bound on proof length: a tree of at most 2^64 leaves has height ≤ 64. */
export const MAX_PROOF_HASHES = 64;

/** Throw `code` unless `value` is a bigint in [0, 2^64). */
export function assertUint64(value: unknown, what: string, code: ErrorCode): asserts value is bigint {
  if (typeof value !== "bigint" || value < 0n || value > UINT64_MAX) {
    throw new SignetCryptoError(code, `${what} must be a bigint in [0, 2^64)`);
  }
}

/** Number of significant bits of a uint64 (0 for 0). */
export function bitLength(x: bigint): number {
  const hi = Number(x >> 32n);
  if (hi !== 0) return 64 - Math.clz32(hi);
  return 32 - Math.clz32(Number(x & 0xffffffffn));
}

function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Number of set bits of a uint64. */
export function popCount(x: bigint): number {
  return popcount32(Number(x >> 32n)) + popcount32(Number(x & 0xffffffffn));
}

/** Number of trailing zero bits of a non-zero uint64. */
export function trailingZeros(x: bigint): number {
  const lo = Number(x & 0xffffffffn);
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  const hi = Number(x >> 32n);
  return 32 + 31 - Math.clz32(hi & -hi);
}

/** A uint64 as two 32-bit halves, for testing bit i without bigint work. */
export interface Bits64 {
  readonly hi: number;
  readonly lo: number;
}

/** Split a uint64 into 32-bit halves. */
export function toBits64(x: bigint): Bits64 {
  return { hi: Number(x >> 32n) >>> 0, lo: Number(x & 0xffffffffn) >>> 0 };
}

/** Bit i (0 = least significant) of a split uint64. */
export function bitAt(x: Bits64, i: number): number {
  return i < 32 ? (x.lo >>> i) & 1 : (x.hi >>> (i - 32)) & 1;
}

/**
 * Shape of an inclusion proof for `index` in a tree of `size` leaves: `inner` hashes below the
 * point where the paths to `index` and to the last leaf merge, then `border` hashes of left
 * siblings along the right border (RFC 9162 §2.1.3; the same split transparency-dev/merkle uses).
 */
export function inclusionShape(index: bigint, size: bigint): { inner: number; border: number } {
  const inner = bitLength(index ^ (size - 1n));
  const border = popCount(index >> BigInt(inner));
  return { inner, border };
}
