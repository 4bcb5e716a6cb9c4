/**
 * The figures kept per validator and per epoch, their sums per operator and for the network, and
 * the performance score.
 *
 * Score: the duty weighting of the protocol's own rewards (altair: timely source 14 + target 26 +
 * head 14 = 54 for attestations, proposer 8, sync committee 2, of 64), as public raters use it
 * (Rated Network's effectiveness rating weighs attester 54 : proposer 8 : sync 2). Per validator
 * and epoch: attestation = (14·source + 26·target + 14·head) / 54 from the timely flags, proposal =
 * proposed / assigned, sync = signed / assigned; the score is their weighted mean over the duties
 * the validator actually had. An operator's (or the network's) score is the same mean over all its
 * validators' duties: Σ weighted parts / Σ weights.
 */
import type { ValidatorStatus } from "../beacon/beaconApi.js";


export const SCORE_WEIGHTS = { attestation: 54, proposal: 8, sync: 2 } as const;

/** Bits of ValidatorEpochResult.flags. */
export const RESULT_FLAGS = {
  source: 1,
  target: 2,
  head: 4,
  /** Active in the epoch: had an attestation duty. */
  duty: 8,
  /** Its vote is in a canonical block. */
  included: 16,
  headCorrect: 32,
  targetCorrect: 64,
  slashed: 128,
} as const;

export interface ValidatorEpochResult {
  readonly index: number;
  readonly status: ValidatorStatus;
  readonly flags: number;
  /** First inclusion delay in slots; 0 when not included. */
  readonly inclusionDelay: number;
  readonly proposalDuties: number;
  readonly proposed: number;
  readonly syncDuties: number;
  readonly syncParticipated: number;
  /** Attestation rewards, Gwei; earned may be negative. */
  readonly earnedGwei: number;
  readonly idealGwei: number;
  readonly balanceGwei: number;
  readonly effectiveBalanceGwei: number;
}

export interface PerformanceTotals {
  validators: number;
  statusCounts: Partial<Record<ValidatorStatus, number>>;
  attestationDuties: number;
  attestationMissed: number;
  timelySource: number;
  timelyTarget: number;
  timelyHead: number;
  included: number;
  inclusionDelaySum: number;
  headCorrect: number;
  targetCorrect: number;
  earnedGwei: number;
  idealGwei: number;
  proposalDuties: number;
  proposed: number;
  syncDuties: number;
  syncParticipated: number;
  balanceGwei: number;
  effectiveBalanceGwei: number;
  scoreSum: number;
  scoreWeight: number;
}

export function emptyTotals(): PerformanceTotals {
  return {
    validators: 0,
    statusCounts: {},
    attestationDuties: 0,
    attestationMissed: 0,
    timelySource: 0,
    timelyTarget: 0,
    timelyHead: 0,
    included: 0,
    inclusionDelaySum: 0,
    headCorrect: 0,
    targetCorrect: 0,
    earnedGwei: 0,
    idealGwei: 0,
    proposalDuties: 0,
    proposed: 0,
    syncDuties: 0,
    syncParticipated: 0,
    balanceGwei: 0,
    effectiveBalanceGwei: 0,
    scoreSum: 0,
    scoreWeight: 0,
  };
}

/** A validator's weighted score parts: Σ weight·performance and Σ weight over the duties it had. */
export function scoreParts(r: Pick<ValidatorEpochResult, "flags" | "proposalDuties" | "proposed" | "syncDuties" | "syncParticipated">): {
  sum: number;
  weight: number;
} {
  let sum = 0;
  let weight = 0;
  if (r.flags & RESULT_FLAGS.duty) {
    const attestation = (14 * (r.flags & RESULT_FLAGS.source ? 1 : 0) + 26 * (r.flags & RESULT_FLAGS.target ? 1 : 0) + 14 * (r.flags & RESULT_FLAGS.head ? 1 : 0)) / 54;
    sum += SCORE_WEIGHTS.attestation * attestation;
    weight += SCORE_WEIGHTS.attestation;
  }
  if (r.proposalDuties > 0) {
    sum += SCORE_WEIGHTS.proposal * (r.proposed / r.proposalDuties);
    weight += SCORE_WEIGHTS.proposal;
  }
  if (r.syncDuties > 0) {
    sum += SCORE_WEIGHTS.sync * (r.syncParticipated / r.syncDuties);
    weight += SCORE_WEIGHTS.sync;
  }
  return { sum, weight };
}

/** A validator's score in [0, 1]; null without any duty. */
export function validatorScore(r: ValidatorEpochResult): number | null {
  const { sum, weight } = scoreParts(r);
  return weight === 0 ? null : sum / weight;
}

/** A result's figures without who and what status: the part that sums. */
export type ResultFigures = Omit<ValidatorEpochResult, "index" | "status">;

export function addResult(t: PerformanceTotals, r: ValidatorEpochResult): void {
  t.validators++;
  t.statusCounts[r.status] = (t.statusCounts[r.status] ?? 0) + 1;
  addFigures(t, r);
}

/** Adds one validator's figures (not its count or status) to the totals. */
export function addFigures(t: PerformanceTotals, r: ResultFigures): void {
  if (r.flags & RESULT_FLAGS.duty) {
    t.attestationDuties++;
    if ((r.flags & (RESULT_FLAGS.source | RESULT_FLAGS.target | RESULT_FLAGS.head)) === 0) t.attestationMissed++;
    if (r.flags & RESULT_FLAGS.source) t.timelySource++;
    if (r.flags & RESULT_FLAGS.target) t.timelyTarget++;
    if (r.flags & RESULT_FLAGS.head) t.timelyHead++;
    if (r.flags & RESULT_FLAGS.included) {
      t.included++;
      t.inclusionDelaySum += r.inclusionDelay;
      if (r.flags & RESULT_FLAGS.headCorrect) t.headCorrect++;
      if (r.flags & RESULT_FLAGS.targetCorrect) t.targetCorrect++;
    }
  }
  t.earnedGwei += r.earnedGwei;
  t.idealGwei += r.idealGwei;
  t.proposalDuties += r.proposalDuties;
  t.proposed += r.proposed;
  t.syncDuties += r.syncDuties;
  t.syncParticipated += r.syncParticipated;
  t.balanceGwei += r.balanceGwei;
  t.effectiveBalanceGwei += r.effectiveBalanceGwei;
  const { sum, weight } = scoreParts(r);
  t.scoreSum += sum;
  t.scoreWeight += weight;
}

/** Ratios for reports and metrics; null where the denominator is zero. */
export function ratios(t: PerformanceTotals): {
  timely: { source: number | null; target: number | null; head: number | null };
  missed: number | null;
  inclusionDelayAvg: number | null;
  effectiveness: number | null;
  syncParticipation: number | null;
  score: number | null;
} {
  const of = (a: number, b: number): number | null => (b === 0 ? null : a / b);
  return {
    timely: { source: of(t.timelySource, t.attestationDuties), target: of(t.timelyTarget, t.attestationDuties), head: of(t.timelyHead, t.attestationDuties) },
    missed: of(t.attestationMissed, t.attestationDuties),
    inclusionDelayAvg: of(t.inclusionDelaySum, t.included),
    effectiveness: t.idealGwei === 0 ? null : Math.max(0, t.earnedGwei) / t.idealGwei,
    syncParticipation: of(t.syncParticipated, t.syncDuties),
    score: of(t.scoreSum, t.scoreWeight),
  };
}
