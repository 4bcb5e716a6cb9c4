/**
 * EIP-2333 key tree, on blst's native implementation (`deriveMasterEip2333`/`deriveChildEip2333`
 * of @chainsafe/blst, the same library that signs). Verified against the EIP's vectors in
 * test/spec/eip2333.test.ts.
 */
import blst from "@chainsafe/blst";
import { DerivationError } from "./errors.js";

/** EIP-2333: the seed must be at least 32 bytes. */
export const MIN_SEED_BYTES = 32;
const MAX_CHILD_INDEX = 2 ** 32 - 1;

export type Eip2333SecretKey = blst.SecretKey;

export function deriveMasterSecretKey(seed: Uint8Array): Eip2333SecretKey {
  if (seed.length < MIN_SEED_BYTES) {
    throw new DerivationError(
      "DERIVATION_SEED_TOO_SHORT",
      `an EIP-2333 seed must be at least ${MIN_SEED_BYTES} bytes, got ${seed.length}`,
      { seedBytes: seed.length },
    );
  }
  return blst.SecretKey.deriveMasterEip2333(seed);
}

export function deriveChildSecretKey(parent: Eip2333SecretKey, index: number): Eip2333SecretKey {
  if (!Number.isInteger(index) || index < 0 || index > MAX_CHILD_INDEX) {
    throw new DerivationError("DERIVATION_PATH_INVALID", `child index ${index} is outside 0..2^32-1`, { index });
  }
  return parent.deriveChildEip2333(index);
}

/** Walks `indices` from the master key of `seed`: m/indices[0]/indices[1]/… */
export function deriveSecretKey(seed: Uint8Array, indices: readonly number[]): Eip2333SecretKey {
  return indices.reduce(deriveChildSecretKey, deriveMasterSecretKey(seed));
}
