/**
 * Where and how each validator's attestation for epoch N landed, from the canonical blocks of
 * epochs N and N+1 (the whole inclusion window since deneb) and epoch N's committees:
 * first inclusion delay, and whether its head and target votes match the canonical chain.
 *
 * The same vote often lands in several blocks (and, since electra, one aggregate spans several
 * committees through `committee_bits`): only the first inclusion counts. Two *different* votes by
 * one validator for the same target epoch are a slashable double vote and are reported.
 */
import type { BlockSummary, Committee } from "../beacon/chainResponses.js";

export interface InclusionOptions {
  readonly epoch: number;
  readonly slotsPerEpoch: number;
  readonly validatorCount: number;
}

export interface DoubleVote {
  readonly validatorIndex: number;
  readonly targetEpoch: number;
  /** The two votes' (head root, target root, source epoch) as seen. */
  readonly votes: readonly [string, string];
}

export interface InclusionResult {
  /** Per validator index: 0 = not included; otherwise the first inclusion delay in slots (at most 255). */
  readonly delay: Uint8Array;
  readonly headCorrect: Uint8Array;
  readonly targetCorrect: Uint8Array;
  /** Votes seen again after their first inclusion (counted once). */
  readonly duplicateInclusions: number;
  readonly doubleVotes: readonly DoubleVote[];
  /** Attestations whose committee the committees answer did not have (a node inconsistency). */
  readonly unknownCommittees: number;
}

export function analyseInclusion(options: InclusionOptions, blocks: readonly BlockSummary[], committees: readonly Committee[]): InclusionResult {
  const { epoch, slotsPerEpoch, validatorCount } = options;
  const first = epoch * slotsPerEpoch;
  const end = first + slotsPerEpoch;
  const byKey = new Map<number, Uint32Array>();
  // A slot has at most 64 committees (MAX_COMMITTEES_PER_SLOT); the key only has to be unique.
  for (const c of committees) byKey.set(c.slot * 1024 + c.index, c.validators);
  const sorted = [...blocks].sort((a, b) => a.slot - b.slot);
  const rootAt = canonicalRoots(sorted);
  const targetRoot = rootAt(first);

  const delay = new Uint8Array(validatorCount);
  const headCorrect = new Uint8Array(validatorCount);
  const targetCorrect = new Uint8Array(validatorCount);
  const voteOf = new Map<number, string>();
  const doubleVotes: DoubleVote[] = [];
  let duplicateInclusions = 0;
  let unknownCommittees = 0;

  for (const block of sorted) {
    for (const attestation of block.attestations) {
      if (attestation.slot < first || attestation.slot >= end || attestation.targetEpoch !== epoch) continue;
      const vote = `${attestation.beaconBlockRoot}/${attestation.targetRoot}/${attestation.sourceEpoch}`;
      const head = rootAt(attestation.slot);
      const isHeadCorrect = head !== null && attestation.beaconBlockRoot === head ? 1 : 0;
      const isTargetCorrect = targetRoot !== null && attestation.targetRoot === targetRoot ? 1 : 0;
      const inclusionDelay = Math.min(255, block.slot - attestation.slot);
      const committeeIndices = attestation.committees ?? [attestation.index];
      let offset = 0;
      for (const committeeIndex of committeeIndices) {
        const members = byKey.get(attestation.slot * 1024 + committeeIndex);
        if (members === undefined) {
          unknownCommittees++;
          break;
        }
        const bits = attestation.aggregationBits;
        for (let k = 0; k < members.length; k++) {
          const bit = offset + k;
          if ((((bits[bit >> 3] ?? 0) >> (bit & 7)) & 1) === 0) continue;
          const v = members[k] as number;
          if (v >= validatorCount) continue;
          const seen = voteOf.get(v);
          if (seen !== undefined && seen !== vote) doubleVotes.push({ validatorIndex: v, targetEpoch: epoch, votes: [seen, vote] });
          if (delay[v] !== 0) {
            duplicateInclusions++;
            continue;
          }
          voteOf.set(v, vote);
          delay[v] = Math.max(1, inclusionDelay);
          headCorrect[v] = isHeadCorrect;
          targetCorrect[v] = isTargetCorrect;
        }
        offset += members.length;
      }
    }
  }
  return { delay, headCorrect, targetCorrect, duplicateInclusions, doubleVotes, unknownCommittees };
}

/**
 * The canonical block root at each slot (the latest block at or before it), read from the chain
 * of parent roots: the block after slot s names it as its parent. Null for slots after the last
 * block of the window, whose root no later block names.
 */
export function canonicalRoots(sortedBlocks: readonly BlockSummary[]): (slot: number) => string | null {
  return (slot) => {
    for (const block of sortedBlocks) if (block.slot > slot) return block.parentRoot;
    return null;
  };
}

/**
 * Participation flags a vote earns by the spec's rules (get_attestation_participation_flag_indices,
 * deneb and later): source when included within √SLOTS_PER_EPOCH slots, target when the target
 * is right, head when the head is right and the delay is the minimum (1). For nodes that serve no
 * state, and to check the state's flags against the blocks.
 */
export function flagsFromInclusion(inclusion: InclusionResult, index: number, slotsPerEpoch: number, targetDelayLimit: number | null): number {
  const d = inclusion.delay[index] as number;
  if (d === 0) return 0;
  let flags = 0;
  if (d <= Math.floor(Math.sqrt(slotsPerEpoch))) flags |= 1;
  if (inclusion.targetCorrect[index] === 1 && (targetDelayLimit === null || d <= targetDelayLimit)) flags |= 2;
  if (inclusion.headCorrect[index] === 1 && d === 1) flags |= 4;
  return flags;
}
