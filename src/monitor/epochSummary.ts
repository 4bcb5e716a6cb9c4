/**
 * Epoch N in figures: per registered validator (ValidatorEpochResult), per operator and for the
 * whole network (PerformanceTotals), from what the chain served (EpochInputs). Pure: no I/O.
 *
 * Sources, best first: attestation flags from the state at the last slot of N+1
 * (previous_epoch_participation); inclusion delay and vote correctness from the blocks of N and
 * N+1; rewards from the node's rewards API for registered validators, else computed from the
 * state; the network baseline always from the state. Without a state (a node that serves no SSZ),
 * flags come from the blocks by the spec's rules, statuses and balances from the JSON validators
 * endpoint, and rewards from the API or not at all.
 */
import type { BeaconValidator, ValidatorStatus } from "../beacon/beaconApi.js";
import type { AttestationRewards, BlockSummary, Committee, ProposerDuty } from "../beacon/chainResponses.js";
import type { ChainSpec } from "../beacon/chainSpec.js";
import { FAR_FUTURE, type StateSnapshot } from "../beacon/stateReader.js";
import { analyseInclusion, flagsFromInclusion, type DoubleVote, type InclusionResult } from "./attestationInclusion.js";
import { computeAttestationRewards, isActive } from "./attestationRewards.js";
import { RESULT_FLAGS, addFigures, addResult, emptyTotals, type PerformanceTotals, type ResultFigures, type ValidatorEpochResult } from "./performance.js";

export interface EpochInputs {
  readonly epoch: number;
  readonly spec: ChainSpec;
  /** Null when the node served no SSZ state: `validators` must then hold the registered ones. */
  readonly snapshot: StateSnapshot | null;
  readonly validators?: ReadonlyMap<number, BeaconValidator>;
  /** Canonical blocks of epochs N and N+1 (missed slots absent). */
  readonly blocks: readonly BlockSummary[];
  readonly committees: readonly Committee[];
  /** Null when no node could say who was to propose in N. */
  readonly proposerDuties: readonly ProposerDuty[] | null;
  /** Epoch N's sync committee by position; null before altair or when not served. */
  readonly syncCommittee: readonly number[] | null;
  /** From the rewards API for registered validators; null when the node has none. */
  readonly rewards: AttestationRewards | null;
}

export interface RegisteredValidator {
  readonly index: number;
  readonly operatorId: string;
}

export interface EpochSummary {
  readonly epoch: number;
  readonly source: "ssz-state" | "json";
  /** api+computed: the API for validators known before the state arrived, the state for those it revealed. */
  readonly rewardsSource: "api" | "api+computed" | "computed" | "none";
  readonly proposerDutiesKnown: boolean;
  /** Registered validators' results, per operator id, in index order. */
  readonly validators: ReadonlyMap<string, readonly ValidatorEpochResult[]>;
  readonly operators: ReadonlyMap<string, PerformanceTotals>;
  readonly network: PerformanceTotals;
  readonly doubleVotes: readonly DoubleVote[];
  readonly slashedInBlocks: readonly number[];
  readonly duplicateInclusions: number;
}

export function summarizeEpoch(inputs: EpochInputs, registered: readonly RegisteredValidator[]): EpochSummary {
  const { epoch, spec, snapshot } = inputs;
  const S = spec.slotsPerEpoch;
  const count = snapshot?.validatorCount ?? maxIndex(inputs) + 1;
  const inclusion = analyseInclusion({ epoch, slotsPerEpoch: S, validatorCount: count }, inputs.blocks, inputs.committees);
  const blockAt = new Map(inputs.blocks.map((b) => [b.slot, b]));

  // Proposals: per validator index, duties and blocks in epoch N.
  const proposalDuties = new Map<number, number>();
  const proposed = new Map<number, number>();
  const first = epoch * S;
  if (inputs.proposerDuties !== null) {
    for (const duty of inputs.proposerDuties) {
      if (duty.slot < first || duty.slot >= first + S) continue;
      proposalDuties.set(duty.validatorIndex, (proposalDuties.get(duty.validatorIndex) ?? 0) + 1);
      if (blockAt.get(duty.slot)?.proposerIndex === duty.validatorIndex) proposed.set(duty.validatorIndex, (proposed.get(duty.validatorIndex) ?? 0) + 1);
    }
  } else {
    // Without duties, the blocks still tell who proposed; missed proposals cannot be attributed.
    for (const block of inputs.blocks) {
      if (block.slot < first || block.slot >= first + S) continue;
      proposalDuties.set(block.proposerIndex, (proposalDuties.get(block.proposerIndex) ?? 0) + 1);
      proposed.set(block.proposerIndex, (proposed.get(block.proposerIndex) ?? 0) + 1);
    }
  }

  // Sync committee: a duty per position per slot of N that has a block (an empty slot is the proposer's miss).
  const syncDuties = new Map<number, number>();
  const syncDone = new Map<number, number>();
  if (inputs.syncCommittee !== null) {
    for (let slot = first; slot < first + S; slot++) {
      const bits = blockAt.get(slot)?.syncBits;
      if (bits === undefined || bits === null) continue;
      inputs.syncCommittee.forEach((v, position) => {
        syncDuties.set(v, (syncDuties.get(v) ?? 0) + 1);
        if ((((bits[position >> 3] ?? 0) >> (position & 7)) & 1) === 1) syncDone.set(v, (syncDone.get(v) ?? 0) + 1);
      });
    }
  }

  const computed = snapshot === null ? null : computeAttestationRewards(snapshot, spec, epoch);
  const covered = (index: number): boolean => inputs.rewards?.earned.has(index) === true;
  const rewardsSource =
    inputs.rewards !== null && registered.every((r) => covered(r.index))
      ? "api"
      : inputs.rewards !== null && computed !== null
        ? "api+computed"
        : computed !== null
          ? "computed"
          : inputs.rewards !== null
            ? "api"
            : "none";
  const targetDelayLimit = null; // deneb and later: a correct target counts anywhere in the window

  const resultFor = (index: number): ValidatorEpochResult | null => {
    let status: ValidatorStatus;
    let flags: number;
    let balance: number;
    let effective: number;
    if (snapshot !== null) {
      if (index >= snapshot.validatorCount) return null;
      status = statusAt(snapshot, index, epoch + 1);
      const active = isActive(snapshot, index, epoch);
      flags = active ? (snapshot.previousParticipation[index] as number) & 7 : 0;
      if (active) flags |= RESULT_FLAGS.duty;
      if (snapshot.slashed[index] === 1) flags |= RESULT_FLAGS.slashed;
      balance = snapshot.balance[index] as number;
      effective = snapshot.effectiveBalance[index] as number;
    } else {
      const v = inputs.validators?.get(index);
      if (v === undefined) return null;
      status = v.status;
      const active = (v.activationEpoch ?? Infinity) <= epoch && epoch < (v.exitEpoch ?? Infinity);
      flags = active ? flagsFromInclusion(inclusion, index, S, targetDelayLimit) | RESULT_FLAGS.duty : 0;
      if (v.slashed) flags |= RESULT_FLAGS.slashed;
      balance = v.balanceGwei;
      effective = v.effectiveBalanceGwei;
    }
    const delay = index < inclusion.delay.length ? (inclusion.delay[index] as number) : 0;
    if (delay > 0) {
      flags |= RESULT_FLAGS.included;
      if (inclusion.headCorrect[index] === 1) flags |= RESULT_FLAGS.headCorrect;
      if (inclusion.targetCorrect[index] === 1) flags |= RESULT_FLAGS.targetCorrect;
    }
    const apiEarned = inputs.rewards?.earned.get(index);
    return {
      index,
      status,
      flags,
      inclusionDelay: delay,
      proposalDuties: proposalDuties.get(index) ?? 0,
      proposed: proposed.get(index) ?? 0,
      syncDuties: syncDuties.get(index) ?? 0,
      syncParticipated: syncDone.get(index) ?? 0,
      earnedGwei: apiEarned ?? (computed?.earned[index] as number | undefined) ?? 0,
      idealGwei:
        apiEarned !== undefined
          ? (inputs.rewards?.idealByEffectiveBalance.get(effective) ?? 0)
          : ((computed?.ideal[index] as number | undefined) ?? 0),
      balanceGwei: balance,
      effectiveBalanceGwei: effective,
    };
  };

  const validators = new Map<string, ValidatorEpochResult[]>();
  const operators = new Map<string, PerformanceTotals>();
  for (const r of [...registered].sort((a, b) => a.index - b.index)) {
    const result = resultFor(r.index);
    if (result === null) continue;
    let list = validators.get(r.operatorId);
    if (list === undefined) validators.set(r.operatorId, (list = []));
    list.push(result);
    let totals = operators.get(r.operatorId);
    if (totals === undefined) operators.set(r.operatorId, (totals = emptyTotals()));
    addResult(totals, result);
  }

  const network = emptyTotals();
  if (snapshot !== null) {
    // The baseline is the validators with a duty in N (exited and pending ones would only dilute
    // it), summed through one reused scratch record: a million result objects would cost more
    // than the rest of the epoch.
    const { activationEpoch, exitEpoch, previousParticipation, balance, effectiveBalance } = snapshot;
    const { delay, headCorrect, targetCorrect } = inclusion;
    const scratch: { -readonly [K in keyof ResultFigures]: ResultFigures[K] } = {
      flags: 0,
      inclusionDelay: 0,
      proposalDuties: 0,
      proposed: 0,
      syncDuties: 0,
      syncParticipated: 0,
      earnedGwei: 0,
      idealGwei: 0,
      balanceGwei: 0,
      effectiveBalanceGwei: 0,
    };
    for (let i = 0; i < snapshot.validatorCount; i++) {
      if ((activationEpoch[i] as number) > epoch || epoch >= (exitEpoch[i] as number)) continue;
      const d = delay[i] as number;
      let bits = ((previousParticipation[i] as number) & 7) | RESULT_FLAGS.duty;
      if (d > 0) bits |= RESULT_FLAGS.included | (headCorrect[i] === 1 ? RESULT_FLAGS.headCorrect : 0) | (targetCorrect[i] === 1 ? RESULT_FLAGS.targetCorrect : 0);
      scratch.flags = bits;
      scratch.inclusionDelay = d;
      scratch.proposalDuties = proposalDuties.get(i) ?? 0;
      scratch.proposed = proposed.get(i) ?? 0;
      scratch.syncDuties = syncDuties.get(i) ?? 0;
      scratch.syncParticipated = syncDone.get(i) ?? 0;
      scratch.earnedGwei = computed?.earned[i] ?? 0;
      scratch.idealGwei = computed?.ideal[i] ?? 0;
      scratch.balanceGwei = balance[i] as number;
      scratch.effectiveBalanceGwei = effectiveBalance[i] as number;
      network.validators++;
      addFigures(network, scratch);
    }
    network.statusCounts = {};
  } else {
    for (const committee of inputs.committees) {
      for (const v of committee.validators) {
        const flags = flagsFromInclusion(inclusion, v, S, targetDelayLimit) | RESULT_FLAGS.duty;
        addResult(network, {
          index: v,
          status: "active_ongoing",
          flags,
          inclusionDelay: inclusion.delay[v] ?? 0,
          proposalDuties: proposalDuties.get(v) ?? 0,
          proposed: proposed.get(v) ?? 0,
          syncDuties: syncDuties.get(v) ?? 0,
          syncParticipated: syncDone.get(v) ?? 0,
          earnedGwei: 0,
          idealGwei: 0,
          balanceGwei: 0,
          effectiveBalanceGwei: 0,
        });
      }
    }
  }

  const slashedInBlocks = [...new Set(inputs.blocks.flatMap((b) => [...b.proposerSlashed, ...b.attesterSlashed]))];
  return {
    epoch,
    source: snapshot === null ? "json" : "ssz-state",
    rewardsSource,
    proposerDutiesKnown: inputs.proposerDuties !== null,
    validators,
    operators,
    network,
    doubleVotes: inclusion.doubleVotes,
    slashedInBlocks,
    duplicateInclusions: inclusion.duplicateInclusions,
  };
}

/** The Beacon API's validator status at `epoch` (the state's epoch), from the status epochs. */
export function statusAt(s: StateSnapshot, i: number, epoch: number): ValidatorStatus {
  const activation = s.activationEpoch[i] as number;
  const exit = s.exitEpoch[i] as number;
  const slashed = s.slashed[i] === 1;
  if (activation === FAR_FUTURE) return s.activationEligibilityEpoch[i] === FAR_FUTURE ? "pending_initialized" : "pending_queued";
  if (epoch < activation) return "pending_queued";
  if (epoch < exit) return slashed ? "active_slashed" : exit === FAR_FUTURE ? "active_ongoing" : "active_exiting";
  if (epoch < (s.withdrawableEpoch[i] as number)) return slashed ? "exited_slashed" : "exited_unslashed";
  return s.balance[i] === 0 ? "withdrawal_done" : "withdrawal_possible";
}

function maxIndex(inputs: EpochInputs): number {
  let max = -1;
  for (const c of inputs.committees) for (const v of c.validators) if (v > max) max = v;
  for (const index of inputs.validators?.keys() ?? []) if (index > max) max = index;
  return max;
}

export type { InclusionResult };
