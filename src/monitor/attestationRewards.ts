/**
 * Attestation rewards of epoch N computed from the state at the last slot of N+1, by the spec's
 * altair-and-later rules (get_flag_index_deltas and get_inactivity_penalty_deltas, run when the
 * chain leaves epoch N+1). For nodes without the rewards API, and for the network baseline, where
 * asking the API about 1M validators would cost more than computing.
 *
 * earned = flag rewards − flag penalties − inactivity penalty; ideal = the flag rewards a validator
 * of the same effective balance gets with every flag (the API's ideal_rewards). One approximation:
 * the finalized checkpoint used for "in an inactivity leak" is the state's before the epoch
 * transition, which may move by one justification step; it only matters at the edge of a leak.
 */
import type { ChainSpec } from "../beacon/chainSpec.js";
import { forkIsAtLeast } from "../beacon/chainSpec.js";
import { FLAG_HEAD, FLAG_SOURCE, FLAG_TARGET, type StateSnapshot } from "../beacon/stateReader.js";

export interface ComputedRewards {
  /** Per validator index, Gwei (negative = net penalty); 0 for validators not eligible. */
  readonly earned: Float64Array;
  readonly ideal: Float64Array;
  readonly inLeak: boolean;
  readonly totalActiveBalance: number;
}

export function isActive(s: StateSnapshot, index: number, epoch: number): boolean {
  return (s.activationEpoch[index] as number) <= epoch && epoch < (s.exitEpoch[index] as number);
}

export function computeAttestationRewards(s: StateSnapshot, spec: ChainSpec, epoch: number): ComputedRewards {
  const n = s.validatorCount;
  const current = epoch + 1;
  const increment = spec.effectiveBalanceIncrement;
  let totalActive = 0;
  let sourceIncrements = 0;
  let targetIncrements = 0;
  let headIncrements = 0;
  for (let i = 0; i < n; i++) {
    if (isActive(s, i, current)) totalActive += s.effectiveBalance[i] as number;
    if (s.slashed[i] === 0 && isActive(s, i, epoch)) {
      const flags = s.previousParticipation[i] as number;
      const increments = Math.floor((s.effectiveBalance[i] as number) / increment);
      if (flags & FLAG_SOURCE) sourceIncrements += increments;
      if (flags & FLAG_TARGET) targetIncrements += increments;
      if (flags & FLAG_HEAD) headIncrements += increments;
    }
  }
  const participating = [sourceIncrements, targetIncrements, headIncrements];
  totalActive = Math.max(increment, totalActive);
  const activeIncrements = Math.floor(totalActive / increment);
  const perIncrement = Math.floor((increment * spec.baseRewardFactor) / integerSqrt(totalActive));
  const inLeak = epoch - s.finalizedEpoch > spec.minEpochsToInactivityPenalty;
  const weights = [spec.weights.source, spec.weights.target, spec.weights.head];
  const bits = [FLAG_SOURCE, FLAG_TARGET, FLAG_HEAD];
  const denominator = spec.weights.denominator;
  const quotient = forkIsAtLeast(s.fork, "bellatrix") ? spec.inactivityPenaltyQuotientBellatrix : spec.inactivityPenaltyQuotientAltair;

  const earned = new Float64Array(n);
  const ideal = new Float64Array(n);
  // Per effective balance, the flag rewards: few distinct values, so computed once each.
  const rewardCache = new Map<number, number[]>();
  const flagRewards = (effective: number): number[] => {
    let cached = rewardCache.get(effective);
    if (cached === undefined) {
      const base = Math.floor(effective / increment) * perIncrement;
      cached = weights.map((w, f) => (inLeak ? 0 : Math.floor((base * w * (participating[f] as number)) / (activeIncrements * denominator))));
      cached.push(...weights.map((w) => Math.floor((base * w) / denominator)));
      rewardCache.set(effective, cached);
    }
    return cached;
  };
  for (let i = 0; i < n; i++) {
    const active = isActive(s, i, epoch);
    const slashed = s.slashed[i] === 1;
    const eligible = active || (slashed && epoch + 1 < (s.withdrawableEpoch[i] as number));
    if (!eligible) continue;
    const effective = s.effectiveBalance[i] as number;
    const table = flagRewards(effective);
    const flags = slashed ? 0 : (s.previousParticipation[i] as number);
    let delta = 0;
    let best = 0;
    for (let f = 0; f < 3; f++) {
      best += table[f] as number;
      if (flags & (bits[f] as number)) delta += table[f] as number;
      else if (f !== 2) delta -= table[3 + f] as number;
    }
    if ((flags & FLAG_TARGET) === 0) {
      const score = updatedInactivityScore(s.inactivityScores[i] as number, false, inLeak, spec);
      if (score > 0) delta -= Number((BigInt(effective) * BigInt(score)) / BigInt(spec.inactivityScoreBias * quotient));
    }
    earned[i] = delta;
    ideal[i] = best;
  }
  return { earned, ideal, inLeak, totalActiveBalance: totalActive };
}

/** process_inactivity_updates for one validator, which runs before the rewards. */
function updatedInactivityScore(score: number, targetTimely: boolean, inLeak: boolean, spec: ChainSpec): number {
  let next = targetTimely ? score - Math.min(1, score) : score + spec.inactivityScoreBias;
  if (!inLeak) next -= Math.min(spec.inactivityScoreRecoveryRate, next);
  return next;
}

export function integerSqrt(n: number): number {
  let x = Math.floor(Math.sqrt(n));
  while (x * x > n) x--;
  while ((x + 1) * (x + 1) <= n) x++;
  return x;
}
