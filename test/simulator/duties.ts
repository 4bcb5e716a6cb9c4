/**
 * Who does what in an epoch: attestation committees, block proposers, sync committees.
 *
 * Committees follow the spec's layout (get_committee_count_per_slot, then compute_committee's
 * slicing of one permutation of the active indices into SLOTS_PER_EPOCH × committees_per_slot
 * parts) but the permutation is a seeded Fisher-Yates, not the swap-or-not shuffle: consumers read
 * committees from the API, they never recompute them. Proposers and sync committees are likewise
 * seeded draws among the active validators, not balance-weighted as in the spec.
 */
import { MAX_COMMITTEES_PER_SLOT, SYNC_COMMITTEE_SIZE, TARGET_COMMITTEE_SIZE } from "@lodestar/params";
import { SLOTS_PER_EPOCH } from "./chainConfig.js";
import { Salt, below, generator, hash32 } from "./random.js";

export function committeeCountPerSlot(activeCount: number): number {
  return Math.max(1, Math.min(MAX_COMMITTEES_PER_SLOT, Math.floor(activeCount / SLOTS_PER_EPOCH / TARGET_COMMITTEE_SIZE)));
}

export class EpochCommittees {
  readonly committeesPerSlot: number;
  /** Position in the epoch's permutation → validator index. */
  readonly shuffling: Uint32Array;
  /** Validator index → position. */
  readonly positionOf: Uint32Array;

  constructor(
    readonly epoch: number,
    activeCount: number,
    seed: number,
  ) {
    this.committeesPerSlot = committeeCountPerSlot(activeCount);
    const shuffling = new Uint32Array(activeCount);
    for (let i = 0; i < activeCount; i++) shuffling[i] = i;
    const next = generator(hash32(seed, Salt.shuffle, epoch));
    for (let i = activeCount - 1; i > 0; i--) {
      const j = below(next(), i + 1);
      const t = shuffling[i] ?? 0;
      shuffling[i] = shuffling[j] ?? 0;
      shuffling[j] = t;
    }
    const positionOf = new Uint32Array(activeCount);
    for (let p = 0; p < activeCount; p++) positionOf[shuffling[p] ?? 0] = p;
    this.shuffling = shuffling;
    this.positionOf = positionOf;
  }

  /** [start, end) positions of committee `index` at `slotOffset` (slot % SLOTS_PER_EPOCH), as compute_committee slices them. */
  bounds(slotOffset: number, index: number): [number, number] {
    const count = this.committeesPerSlot * SLOTS_PER_EPOCH;
    const k = slotOffset * this.committeesPerSlot + index;
    const n = this.shuffling.length;
    return [Math.floor((n * k) / count), Math.floor((n * (k + 1)) / count)];
  }

  /** Validator indices of one committee. */
  members(slotOffset: number, index: number): Uint32Array {
    const [start, end] = this.bounds(slotOffset, index);
    return this.shuffling.subarray(start, end);
  }

  /** Where a validator attests in this epoch. */
  dutyOf(validatorIndex: number): { slotOffset: number; committeeIndex: number; positionInCommittee: number; committeeLength: number } | null {
    if (validatorIndex >= this.positionOf.length) return null;
    const position = this.positionOf[validatorIndex] ?? 0;
    const count = this.committeesPerSlot * SLOTS_PER_EPOCH;
    const n = this.shuffling.length;
    // Invert the slicing: the committee k with start(k) <= position < start(k + 1).
    let k = Math.min(count - 1, Math.floor(((position + 1) * count) / n));
    while (k > 0 && Math.floor((n * k) / count) > position) k--;
    while (k < count - 1 && Math.floor((n * (k + 1)) / count) <= position) k++;
    const start = Math.floor((n * k) / count);
    const end = Math.floor((n * (k + 1)) / count);
    return {
      slotOffset: Math.floor(k / this.committeesPerSlot),
      committeeIndex: k % this.committeesPerSlot,
      positionInCommittee: position - start,
      committeeLength: end - start,
    };
  }
}

export function proposerOf(slot: number, activeCount: number, seed: number): number {
  return below(hash32(seed, Salt.proposer, slot), activeCount);
}

/**
 * The sync committee of a period: SYNC_COMMITTEE_SIZE distinct active validators when there are
 * enough of them; on a smaller chain every active validator is used and members repeat, as they
 * do in the spec's selection on small test networks.
 */
export function syncCommitteeOf(period: number, activeCount: number, seed: number): Uint32Array {
  const members = new Uint32Array(SYNC_COMMITTEE_SIZE);
  const next = generator(hash32(seed, Salt.syncCommittee, period));
  const size = Math.min(activeCount, SYNC_COMMITTEE_SIZE);
  // A partial Fisher-Yates over [0, activeCount) with the swaps kept sparse.
  const swapped = new Map<number, number>();
  const picked: number[] = [];
  for (let i = 0; i < size; i++) {
    const j = i + below(next(), activeCount - i);
    const atJ = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    picked.push(atJ);
  }
  for (let k = 0; k < SYNC_COMMITTEE_SIZE; k++) members[k] = picked[k % size] ?? 0;
  return members;
}
