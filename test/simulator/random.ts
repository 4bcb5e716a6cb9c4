/**
 * Deterministic randomness for the simulator. Every decision (who misses, which slot is empty, how
 * late a vote lands) is a hash of the seed and the decision's coordinates rather than a draw from
 * one running generator, so any epoch can be computed on its own, in any order, and reads the same
 * every time. The hash is a 32-bit integer mix (murmur3's rounds and finaliser): fast enough for a
 * few million calls per epoch; it is not cryptographic, nothing here needs it to be.
 */

/** Salts keep decisions with the same coordinates independent. */
export const Salt = {
  vote: 1,
  voteKind: 2,
  proposer: 3,
  missedSlot: 4,
  lateDelay: 5,
  duplicate: 6,
  shuffle: 7,
  syncCommittee: 8,
  syncParticipation: 9,
  registry: 10,
  bytes: 11,
} as const;

function mixKey(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalise(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A 32-bit hash of up to five integers. Values up to 2^53 are accepted: slots and seeds may pass
 * 2^32, so the high part is mixed in too.
 */
export function hash32(a: number, b = 0, c = 0, d = 0, e = 0): number {
  let h = 0x2545f491;
  for (const value of [a, b, c, d, e]) {
    h = mixKey(h, value | 0);
    h = mixKey(h, Math.floor(value / 0x1_0000_0000) | 0);
  }
  return finalise(h);
}

/** The same hash as a float in [0, 1). */
export function uniform(a: number, b = 0, c = 0, d = 0, e = 0): number {
  return hash32(a, b, c, d, e) / 0x1_0000_0000;
}

/**
 * Hot-loop variant of hash32 for three small (< 2^32) integers, with no array and no high parts.
 * Results differ from hash32's; callers use one or the other for a given decision, never both.
 */
export function hash3(a: number, b: number, c: number): number {
  let h = 0x2545f491;
  h = mixKey(h, a);
  h = mixKey(h, b);
  h = mixKey(h, c);
  return finalise(h);
}

/** Fills `length` bytes (a multiple of 4) of `out` from `offset` with bytes derived from the key. */
export function fillBytes(out: Uint8Array, offset: number, length: number, a: number, b = 0, c = 0, d = 0): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < length; i += 4) view.setUint32(offset + i, hash32(Salt.bytes, a, b, c, d * 0x1_0000 + i), true);
}

/** `length` deterministic bytes from the key. */
export function bytesFrom(length: number, a: number, b = 0, c = 0, d = 0): Uint8Array {
  const out = new Uint8Array(length);
  fillBytes(out, 0, length, a, b, c, d);
  return out;
}

/** The first four bytes as a little-endian integer: a root's worth as a hash input. */
export function firstWord(bytes: Uint8Array): number {
  return ((bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8) | ((bytes[2] ?? 0) << 16) | ((bytes[3] ?? 0) << 24)) >>> 0;
}

/** sfc32: a small generator for the one place that needs a stream (shuffling). */
export function generator(seed: number): () => number {
  let a = hash32(seed, 1) | 0;
  let b = hash32(seed, 2) | 0;
  let c = hash32(seed, 3) | 0;
  let d = 1;
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
}

/** An unbiased-enough integer in [0, n) from a 32-bit value; n is far below 2^32 here. */
export function below(value: number, n: number): number {
  return Math.floor((value / 0x1_0000_0000) * n);
}
