/**
 * Balances and inactivity scores, epoch by epoch, by the Altair rules as Electra still applies them:
 *   process_inactivity_updates: eligible validators without a timely target gain
 *     INACTIVITY_SCORE_BIAS, those with one lose 1; outside a leak everyone recovers
 *     INACTIVITY_SCORE_RECOVERY_RATE (so scores stay 0 unless finality stalls);
 *   get_flag_index_deltas: base_reward = effective increments × base_reward_per_increment, with
 *     base_reward_per_increment = EFFECTIVE_BALANCE_INCREMENT × BASE_REWARD_FACTOR
 *     // integer_squareroot(total active balance); a flag earns
 *     base_reward × weight × participating increments // (active increments × WEIGHT_DENOMINATOR)
 *     (nothing during a leak); a missing source or target costs base_reward × weight // WEIGHT_DENOMINATOR,
 *     a missing head costs nothing;
 *   get_inactivity_penalty_deltas: without a timely target,
 *     effective_balance × score // (INACTIVITY_SCORE_BIAS × INACTIVITY_PENALTY_QUOTIENT_BELLATRIX).
 * Deltas are applied per component in the spec's order (each decrease floored at 0).
 *
 * Not modelled (see README): proposer and sync committee rewards, slashing penalties after the
 * initial one, withdrawals, effective balance updates (the hysteresis thresholds are never crossed
 * in a realistic run: a validator missing everything loses about 7,000 Gwei an epoch against a
 * 0.25 ETH margin).
 */
import {
  BASE_REWARD_FACTOR,
  EFFECTIVE_BALANCE_INCREMENT,
  INACTIVITY_PENALTY_QUOTIENT_BELLATRIX,
  MIN_EPOCHS_TO_INACTIVITY_PENALTY,
  TIMELY_HEAD_WEIGHT,
  TIMELY_SOURCE_WEIGHT,
  TIMELY_TARGET_WEIGHT,
  WEIGHT_DENOMINATOR,
} from "@lodestar/params";
import { INACTIVITY_SCORE_BIAS, INACTIVITY_SCORE_RECOVERY_RATE } from "./chainConfig.js";
import { FLAG_HEAD, FLAG_SOURCE, FLAG_TARGET } from "./votes.js";

export interface FlagDeltas {
  /** Signed Gwei: reward minus penalty, per component. */
  readonly source: number;
  readonly target: number;
  readonly head: number;
}

export interface RewardContext {
  /** The epoch whose votes are rewarded (the previous epoch of the transition). */
  readonly epoch: number;
  readonly baseRewardPerIncrement: bigint;
  readonly activeIncrements: number;
  /** Unslashed participating increments per flag: source, target, head. */
  readonly participatingIncrements: readonly [number, number, number];
  readonly inLeak: boolean;
}

const INCREMENT = BigInt(EFFECTIVE_BALANCE_INCREMENT);

export function integerSquareRoot(n: bigint): bigint {
  if (n < 2n) return n;
  let x = n;
  let y = (x + 1n) / 2n;
  while (y < x) {
    x = y;
    y = (x + n / x) / 2n;
  }
  return x;
}

/** Leak in the transition into `epoch`: previous epoch (epoch - 2 there) minus the finalized epoch it sees. */
export function isInLeak(epoch: number, finalizedEpoch: number): boolean {
  return epoch - 2 - finalizedEpoch > MIN_EPOCHS_TO_INACTIVITY_PENALTY;
}

export function rewardContext(
  epoch: number,
  activeIncrements: number,
  effectiveIncrements: Uint16Array,
  flags: Uint8Array,
  inLeak: boolean,
): RewardContext {
  const participating: [number, number, number] = [0, 0, 0];
  // Flags exist only for active validators (indices below flags.length), none of them slashed.
  for (let v = 0; v < flags.length; v++) {
    const f = flags[v] ?? 0;
    if (f === 0) continue;
    const increments = effectiveIncrements[v] ?? 0;
    if (f & FLAG_SOURCE) participating[0] += increments;
    if (f & FLAG_TARGET) participating[1] += increments;
    if (f & FLAG_HEAD) participating[2] += increments;
  }
  // get_total_active_balance is at least one increment.
  const totalActiveBalance = BigInt(Math.max(1, activeIncrements)) * INCREMENT;
  return {
    epoch,
    baseRewardPerIncrement: (INCREMENT * BigInt(BASE_REWARD_FACTOR)) / integerSquareRoot(totalActiveBalance),
    activeIncrements: Math.max(1, activeIncrements),
    participatingIncrements: participating,
    inLeak,
  };
}

/** Flag deltas of one validator, from its effective increments and its flag byte (for unslashed active validators). */
export function flagDeltas(context: RewardContext, increments: number, flags: number, slashed = false): FlagDeltas {
  const baseReward = BigInt(increments) * context.baseRewardPerIncrement;
  const component = (flag: number, weight: number, participating: number, penalised: boolean): number => {
    if (!slashed && (flags & flag) !== 0) {
      if (context.inLeak) return 0;
      return Number((baseReward * BigInt(weight) * BigInt(participating)) / (BigInt(context.activeIncrements) * BigInt(WEIGHT_DENOMINATOR)));
    }
    return penalised ? -Number((baseReward * BigInt(weight)) / BigInt(WEIGHT_DENOMINATOR)) : 0;
  };
  const [source, target, head] = context.participatingIncrements;
  return {
    source: component(FLAG_SOURCE, TIMELY_SOURCE_WEIGHT, source, true),
    target: component(FLAG_TARGET, TIMELY_TARGET_WEIGHT, target, true),
    head: component(FLAG_HEAD, TIMELY_HEAD_WEIGHT, head, false),
  };
}

/** What a validator with a flag earns at this effective balance: the API's ideal_rewards. */
export function idealDeltas(context: RewardContext, increments: number): FlagDeltas {
  return flagDeltas(context, increments, FLAG_SOURCE | FLAG_TARGET | FLAG_HEAD);
}

export function inactivityPenalty(increments: number, score: number): number {
  if (score === 0 || increments === 0) return 0;
  return Number(
    (BigInt(increments) * INCREMENT * BigInt(score)) / (BigInt(INACTIVITY_SCORE_BIAS) * BigInt(INACTIVITY_PENALTY_QUOTIENT_BELLATRIX)),
  );
}

/** process_inactivity_updates for one eligible validator. */
export function nextInactivityScore(score: number, timelyTarget: boolean, inLeak: boolean): number {
  let next = timelyTarget ? score - Math.min(1, score) : score + INACTIVITY_SCORE_BIAS;
  if (!inLeak) next -= Math.min(INACTIVITY_SCORE_RECOVERY_RATE, next);
  return next;
}

/** Applies one validator's deltas as process_rewards_and_penalties does: each set in turn, decreases floored at 0. */
export function applyDeltas(balance: number, deltas: FlagDeltas, inactivity: number): number {
  let b = applyOne(balance, deltas.source);
  b = applyOne(b, deltas.target);
  b = applyOne(b, deltas.head);
  return applyOne(b, -inactivity);
}

function applyOne(balance: number, delta: number): number {
  return delta >= 0 ? balance + delta : Math.max(0, balance + delta);
}

/** Memoises flagDeltas per (increments, flags, slashed): a chain has few distinct effective balances. */
export class FlagDeltaTable {
  private readonly table: (FlagDeltas | undefined)[] = [];
  constructor(readonly context: RewardContext) {}

  get(increments: number, flags: number, slashed: boolean): FlagDeltas {
    const key = (increments * 8 + flags) * 2 + (slashed ? 1 : 0);
    let deltas = this.table[key];
    if (deltas === undefined) {
      deltas = flagDeltas(this.context, increments, flags, slashed);
      this.table[key] = deltas;
    }
    return deltas;
  }
}
