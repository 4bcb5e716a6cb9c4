/**
 * EIP-3076 slashing protection data as stakeops holds it: camelCase, slots and epochs as bigint,
 * hex normalised to lower case with 0x. The wire form (snake_case, decimal strings) exists only in
 * parse.ts and serialize.ts.
 */

/** The only version EIP-3076 defines; earlier drafts (< 5) are explicitly incompatible. */
export const INTERCHANGE_FORMAT_VERSION = "5";

/**
 * Slots and epochs are uint64 on the beacon chain. The EIP writes them as decimal strings because a
 * JavaScript number loses integers above 2^53; stakeops keeps them as bigint end to end, so a value
 * near 2^64 (FAR_FUTURE_EPOCH is 2^64-1) compares exactly instead of rounding to a neighbour.
 */
export type Uint64 = bigint;

export const MAX_UINT64: Uint64 = (1n << 64n) - 1n;

/** 0x and 64 lower-case hex digits. */
export type Root = string;

/** 0x and 96 lower-case hex digits. */
export type BlsPubkey = string;

export interface SignedBlock {
  readonly slot: Uint64;
  /** compute_signing_root(block, domain). Absent: unknown, so no other block at this slot is a repeat. */
  readonly signingRoot?: Root;
}

export interface SignedAttestation {
  readonly sourceEpoch: Uint64;
  readonly targetEpoch: Uint64;
  /** compute_signing_root(attestation_data, domain). Absent: unknown. */
  readonly signingRoot?: Root;
}

/** One `data[]` entry. A file may hold several records for the same key; they mean their union. */
export interface InterchangeRecord {
  readonly pubkey: BlsPubkey;
  readonly signedBlocks: readonly SignedBlock[];
  readonly signedAttestations: readonly SignedAttestation[];
}

/** A version 5 interchange (the version is implied: no other is accepted or written). */
export interface Interchange {
  readonly genesisValidatorsRoot: Root;
  readonly data: readonly InterchangeRecord[];
}
