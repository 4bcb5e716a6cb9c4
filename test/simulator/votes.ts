/**
 * Attestations: who votes in an epoch, which block includes each vote, and the participation flags
 * the spec's get_attestation_participation_flag_indices gives for the first inclusion.
 *
 * Every active validator votes once per epoch in its committee's slot s, unless it misses (its miss
 * rate). A vote is one of:
 *   timely      correct head, nominally included at s + 1
 *   wrongHead   voted for the parent of the head block (it did not see that block in time); at an
 *               epoch's first block that also makes its target wrong. Nominally included at s + 1
 *   late        correct head, included at s + d, d drawn per slot (2..5 mostly, up to 31)
 * Votes of one slot and kind form one Electra aggregate (committee_bits over every committee with a
 * voter of that kind; data.index 0). Some slots also get a duplicate: the timely votes of one of
 * their committees included a second time 2..4 slots later, as happens on mainnet.
 *
 * A group lands in the first block at or after its nominal slot, if that block is still in the
 * inclusion window (epochs E and E+1, Deneb's EIP-7045 rule). A block takes at most
 * MAX_ATTESTATIONS_ELECTRA groups; after empty slots more may be due, and the block keeps the
 * timely groups of the newest slots first, then wrong-head, late and duplicate ones. Groups that do
 * not fit are never included (their voters get no flags), as when real blocks are full.
 */
import { MAX_ATTESTATIONS_ELECTRA, MIN_ATTESTATION_INCLUSION_DELAY, TIMELY_HEAD_FLAG_INDEX, TIMELY_SOURCE_FLAG_INDEX, TIMELY_TARGET_FLAG_INDEX } from "@lodestar/params";
import { SLOTS_PER_EPOCH, TIMELY_SOURCE_MAX_DELAY } from "./chainConfig.js";
import { epochOf, startSlotOf, type ChainLayout, type FinalityHistory } from "./chainLayout.js";
import type { EpochCommittees } from "./duties.js";
import { Salt, hash3, hash32, uniform } from "./random.js";

export const VoteKind = { missed: 0, timely: 1, wrongHead: 2, late: 3 } as const;
export type VoteKind = (typeof VoteKind)[keyof typeof VoteKind];

export const GroupKind = { timely: 0, wrongHead: 1, late: 2, duplicate: 3 } as const;
export type GroupKind = (typeof GroupKind)[keyof typeof GroupKind];

export const FLAG_SOURCE = 1 << TIMELY_SOURCE_FLAG_INDEX;
export const FLAG_TARGET = 1 << TIMELY_TARGET_FLAG_INDEX;
export const FLAG_HEAD = 1 << TIMELY_HEAD_FLAG_INDEX;

/** The longest nominal delay of a late group. */
export const MAX_LATE_DELAY = SLOTS_PER_EPOCH - 1;

export interface VoteRates {
  /** Share of voters whose vote is included late (delay 2 or more). */
  readonly lateRate: number;
  /** Share of voters who vote for the head's parent. */
  readonly wrongHeadRate: number;
  /** Share of slots whose timely votes of one committee are included twice. */
  readonly duplicateRate: number;
}

export interface GroupRef {
  readonly sourceSlot: number;
  readonly kind: GroupKind;
}

export interface Checkpoint {
  readonly epoch: number;
  readonly root: Uint8Array;
}

export interface AttestationDataValue {
  readonly slot: number;
  readonly index: number;
  readonly beaconBlockRoot: Uint8Array;
  readonly source: Checkpoint;
  readonly target: Checkpoint;
}

/** Per validator of one epoch: how it voted. Indexed by validator index over [0, activeCount). */
export class EpochVotes {
  readonly kind: Uint8Array;

  constructor(
    readonly epoch: number,
    rates: Float64Array,
    seed: number,
    voteRates: VoteRates,
  ) {
    const n = rates.length;
    const kind = new Uint8Array(n);
    const voteKey = hash32(seed, Salt.vote) | 0;
    const kindKey = hash32(seed, Salt.voteKind) | 0;
    const lateLimit = voteRates.lateRate;
    const wrongLimit = voteRates.lateRate + voteRates.wrongHeadRate;
    for (let v = 0; v < n; v++) {
      if (hash3(voteKey, epoch, v) / 0x1_0000_0000 < (rates[v] ?? 0)) continue;
      const u = hash3(kindKey, epoch, v) / 0x1_0000_0000;
      kind[v] = u < lateLimit ? VoteKind.late : u < wrongLimit ? VoteKind.wrongHead : VoteKind.timely;
    }
    this.kind = kind;
  }
}

/** Nominal delay of slot `s`'s late group: 2 to 5 mostly, sometimes beyond the timely-source limit. */
export function lateDelayOf(seed: number, slot: number): number {
  const u = uniform(seed, Salt.lateDelay, slot);
  if (u < 0.45) return 2;
  if (u < 0.7) return 3;
  if (u < 0.82) return 4;
  if (u < 0.9) return 5;
  return 6 + Math.floor(uniform(seed, Salt.lateDelay, slot, 1) * (MAX_LATE_DELAY - 5));
}

/** The committee whose timely votes of slot `s` are included twice, and the second inclusion's delay; null for most slots. */
export function duplicateOf(seed: number, slot: number, committeesPerSlot: number, rate: number): { committeeIndex: number; delay: number } | null {
  if (uniform(seed, Salt.duplicate, slot) >= rate) return null;
  return {
    committeeIndex: Math.floor(uniform(seed, Salt.duplicate, slot, 1) * committeesPerSlot),
    delay: 2 + Math.floor(uniform(seed, Salt.duplicate, slot, 2) * 3),
  };
}

export interface VotingContext {
  readonly seed: number;
  readonly voteRates: VoteRates;
  readonly committeesPerSlot: number;
  readonly layout: ChainLayout;
  readonly finality: FinalityHistory;
  committees(epoch: number): EpochCommittees;
  votes(epoch: number): EpochVotes;
}

export function nominalSlot(context: VotingContext, group: GroupRef): number | null {
  const s = group.sourceSlot;
  switch (group.kind) {
    case GroupKind.timely:
      return s + MIN_ATTESTATION_INCLUSION_DELAY;
    case GroupKind.wrongHead:
      return context.voteRates.wrongHeadRate > 0 ? s + MIN_ATTESTATION_INCLUSION_DELAY : null;
    case GroupKind.late:
      return context.voteRates.lateRate > 0 ? s + lateDelayOf(context.seed, s) : null;
    case GroupKind.duplicate: {
      const duplicate = duplicateOf(context.seed, s, context.committeesPerSlot, context.voteRates.duplicateRate);
      return duplicate === null ? null : s + duplicate.delay;
    }
  }
}

/**
 * The groups the block at `blockSlot` includes, in block order (at most MAX_ATTESTATIONS_ELECTRA).
 * Depends only on which slots have blocks and on per-slot draws, never on individual votes, so any
 * block can be worked out without the votes of other epochs.
 */
export function groupsOfBlock(context: VotingContext, blockSlot: number): GroupRef[] {
  const previousBlock = context.layout.latestBlockSlot(blockSlot - 1);
  const windowStart = startSlotOf(epochOf(blockSlot) - 1);
  const firstSource = Math.max(windowStart, previousBlock + 1 - MAX_LATE_DELAY);
  const due: GroupRef[] = [];
  for (let s = blockSlot - 1; s >= firstSource; s--) {
    for (const kind of [GroupKind.timely, GroupKind.wrongHead, GroupKind.late, GroupKind.duplicate]) {
      const nominal = nominalSlot(context, { sourceSlot: s, kind });
      if (nominal !== null && nominal > previousBlock && nominal <= blockSlot) due.push({ sourceSlot: s, kind });
    }
  }
  // Newest slots first within a kind, kinds in the order above; the sort is stable.
  due.sort((a, b) => a.kind - b.kind);
  return due.slice(0, MAX_ATTESTATIONS_ELECTRA);
}

/** Which votes make up a group: those of one kind, in every committee of the slot or in one only. */
export function membership(context: VotingContext, group: GroupRef): { voteKind: VoteKind; onlyCommittee: number | null } {
  switch (group.kind) {
    case GroupKind.timely:
      return { voteKind: VoteKind.timely, onlyCommittee: null };
    case GroupKind.wrongHead:
      return { voteKind: VoteKind.wrongHead, onlyCommittee: null };
    case GroupKind.late:
      return { voteKind: VoteKind.late, onlyCommittee: null };
    case GroupKind.duplicate: {
      const duplicate = duplicateOf(context.seed, group.sourceSlot, context.committeesPerSlot, context.voteRates.duplicateRate);
      return { voteKind: VoteKind.timely, onlyCommittee: duplicate?.committeeIndex ?? -1 };
    }
  }
}

/**
 * Calls `visit` for every committee of the group's slot that the group may cover, with its members
 * (validator indices) and the vote kind of each member's vote; a member is in the group when its
 * kind equals `voteKind`.
 */
export function forEachCommittee(
  context: VotingContext,
  group: GroupRef,
  visit: (committeeIndex: number, members: Uint32Array, kinds: Uint8Array, voteKind: VoteKind) => void,
): void {
  const epoch = epochOf(group.sourceSlot);
  const committees = context.committees(epoch);
  const kinds = context.votes(epoch).kind;
  const slotOffset = group.sourceSlot - startSlotOf(epoch);
  const { voteKind, onlyCommittee } = membership(context, group);
  for (let c = 0; c < committees.committeesPerSlot; c++) {
    if (onlyCommittee === null || onlyCommittee === c) visit(c, committees.members(slotOffset, c), kinds, voteKind);
  }
}

/** The AttestationData of a group's votes: what its voters saw. */
export function attestationData(context: VotingContext, group: GroupRef): AttestationDataValue {
  const { layout, finality } = context;
  const s = group.sourceSlot;
  const epoch = epochOf(s);
  const boundary = startSlotOf(epoch);
  const justified = finality.justifiedEpoch(epoch);
  const source = { epoch: justified, root: layout.blockRootAt(startSlotOf(justified)) };
  if (group.kind !== GroupKind.wrongHead) {
    return { slot: s, index: 0, beaconBlockRoot: layout.blockRootAt(s), source, target: { epoch, root: layout.blockRootAt(boundary) } };
  }
  // The voter's chain lacks the latest block b: its head is b's parent, and if b is the epoch's
  // boundary block (at or before the first slot), its target is that parent too.
  const b = layout.latestBlockSlot(s);
  const parent = layout.blockRootAt(b - 1);
  return { slot: s, index: 0, beaconBlockRoot: parent, source, target: { epoch, root: b <= boundary ? parent : layout.blockRootAt(boundary) } };
}

/**
 * The spec's get_attestation_participation_flag_indices (Deneb and later) for a vote with this data
 * included at `inclusionSlot`, as a flag byte. The source always matches here: blocks only carry
 * votes whose source is the state's justified checkpoint.
 */
export function participationFlags(context: VotingContext, data: AttestationDataValue, inclusionSlot: number): number {
  const { layout } = context;
  const delay = inclusionSlot - data.slot;
  const matchingTarget = equalBytes(data.target.root, layout.blockRootAt(startSlotOf(data.target.epoch)));
  const matchingHead = matchingTarget && equalBytes(data.beaconBlockRoot, layout.blockRootAt(data.slot));
  let flags = 0;
  if (delay <= TIMELY_SOURCE_MAX_DELAY) flags |= FLAG_SOURCE;
  if (matchingTarget) flags |= FLAG_TARGET;
  if (matchingHead && delay === MIN_ATTESTATION_INCLUSION_DELAY) flags |= FLAG_HEAD;
  return flags;
}

/** First inclusion of every vote of one epoch and its flags, indexed by validator index. */
export class EpochInclusion {
  /** Slot of the block that first included the vote; 0 if never included. */
  readonly inclusionSlot: Uint32Array;
  readonly flags: Uint8Array;

  constructor(
    readonly epoch: number,
    context: VotingContext,
  ) {
    const n = context.votes(epoch).kind.length;
    const inclusionSlot = new Uint32Array(n);
    const flags = new Uint8Array(n);
    const first = startSlotOf(epoch) + MIN_ATTESTATION_INCLUSION_DELAY;
    const last = startSlotOf(epoch + 2) - 1;
    for (let blockSlot = first; blockSlot <= last; blockSlot++) {
      if (!context.layout.hasBlock(blockSlot)) continue;
      for (const group of groupsOfBlock(context, blockSlot)) {
        if (epochOf(group.sourceSlot) !== epoch) continue;
        const groupFlags = participationFlags(context, attestationData(context, group), blockSlot);
        forEachCommittee(context, group, (_c, members, kinds, voteKind) => {
          for (let p = 0; p < members.length; p++) {
            const v = members[p] ?? 0;
            if (inclusionSlot[v] === 0 && kinds[v] === voteKind) {
              inclusionSlot[v] = blockSlot;
              flags[v] = groupFlags;
            }
          }
        });
      }
    }
    this.inclusionSlot = inclusionSlot;
    this.flags = flags;
  }

  /** Flags as a state at `slot` holds them: only votes included in blocks up to that slot. */
  writeFlagsAt(slot: number, out: Uint8Array): void {
    const n = this.flags.length;
    for (let v = 0; v < n; v++) {
      const at = this.inclusionSlot[v] ?? 0;
      out[v] = at !== 0 && at <= slot ? (this.flags[v] ?? 0) : 0;
    }
  }
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
