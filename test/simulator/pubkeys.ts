/**
 * Validator pubkeys of the simulated chain: a function of the index alone (not of the seed), so a
 * test or benchmark can register "its" validators before the simulator runs.
 *
 * They are not BLS points, nobody verifies signatures here, but they look like compressed G1
 * points (first byte 0x80..0xbf: compression bit set, infinity bit clear) and are distinct by
 * construction: bytes 1..4 hold the index, scrambled invertibly, so the index can also be read
 * back from a pubkey without a 2-million-entry map.
 */
import { hash3 } from "./random.js";

export const PUBKEY_LENGTH = 48;
const PUBKEY_SALT = 0x70b1c3e5;
const INDEX_MASK = 0x5a3c96e1;
/** An odd multiplier and its inverse modulo 2^32: the index is scrambled (invertibly) so consecutive pubkeys do not share bytes. */
const SCRAMBLE = 0x9e3779b1;
const UNSCRAMBLE = inverseMod32(SCRAMBLE);

function inverseMod32(odd: number): number {
  // Newton's iteration doubles the correct low bits each round: 5 rounds cover 32 bits.
  let inverse = odd;
  for (let i = 0; i < 5; i++) inverse = Math.imul(inverse, 2 - Math.imul(odd, inverse));
  return inverse >>> 0;
}

/** Writes the pubkey of `index` into `out` at `offset` (48 bytes). */
export function writeSimulatedPubkey(out: Uint8Array, offset: number, index: number): void {
  for (let word = 0; word < PUBKEY_LENGTH / 4; word++) {
    const h = hash3(PUBKEY_SALT, index, word);
    const at = offset + word * 4;
    out[at] = h & 0xff;
    out[at + 1] = (h >>> 8) & 0xff;
    out[at + 2] = (h >>> 16) & 0xff;
    out[at + 3] = h >>> 24;
  }
  out[offset] = 0x80 | ((out[offset] ?? 0) & 0x3f);
  const masked = (Math.imul(index, SCRAMBLE) ^ INDEX_MASK) >>> 0;
  out[offset + 1] = masked >>> 24;
  out[offset + 2] = (masked >>> 16) & 0xff;
  out[offset + 3] = (masked >>> 8) & 0xff;
  out[offset + 4] = masked & 0xff;
}

export function simulatedPubkey(index: number): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index > 0xffff_ffff) throw new RangeError(`validator index out of range: ${index}`);
  const out = new Uint8Array(PUBKEY_LENGTH);
  writeSimulatedPubkey(out, 0, index);
  return out;
}

/** 0x-prefixed lower-case hex, as the Beacon API writes pubkeys. */
export function simulatedPubkeyHex(index: number): string {
  return `0x${Buffer.from(simulatedPubkey(index)).toString("hex")}`;
}

/** The index whose simulated pubkey this is (0x hex, any case), or null for any other value. */
export function indexOfSimulatedPubkey(pubkeyHex: string): number | null {
  if (!/^0x[0-9a-fA-F]{96}$/.test(pubkeyHex)) return null;
  const lower = pubkeyHex.toLowerCase();
  const index = Math.imul((Number.parseInt(lower.slice(4, 12), 16) ^ INDEX_MASK) >>> 0, UNSCRAMBLE) >>> 0;
  return simulatedPubkeyHex(index) === lower ? index : null;
}
