/**
 * The validator registry of the simulated chain: who is active, exited, queued or slashed, their
 * withdrawal credentials and balances at the start of the simulated history. It does not change
 * while the simulation runs (no deposits, exits or effective-balance updates happen; see README),
 * which is what lets the state's 121-byte-per-validator region be built once and reused.
 *
 * The mix, for indices at or above activeCount (indices below it are all active_ongoing):
 *   0.2 %  slashed: exited shortly before the reference epoch, withdrawable 8192 epochs later
 *          (status exited_slashed, still penalised every epoch as the spec does for slashed validators)
 *  12   %  queued: eligible for activation, not yet activated (pending_queued)
 *   8   %  exited recently: exit in the last 200 epochs, withdrawable 256 epochs after the exit
 *          (exited_unslashed, later withdrawal_possible as the head moves on)
 *  rest    withdrawn long ago: balance 0 (withdrawal_done)
 * Withdrawal credentials, for everyone: 5 % 0x00 (BLS), 25 % 0x02 (compounding), 70 % 0x01.
 * Active 0x02 validators have 40 % odds of an effective balance above 32 ETH (up to 2048 ETH).
 */
import { ssz } from "@lodestar/types";
import { COMPOUNDING_WITHDRAWAL_PREFIX, EFFECTIVE_BALANCE_INCREMENT, EPOCHS_PER_SLASHINGS_VECTOR, ETH1_ADDRESS_WITHDRAWAL_PREFIX } from "@lodestar/params";
import { FAR_FUTURE_EPOCH, MIN_VALIDATOR_WITHDRAWABILITY_DELAY, SHARD_COMMITTEE_PERIOD } from "./chainConfig.js";
import { writeSimulatedPubkey } from "./pubkeys.js";
import { Salt, fillBytes, hash3 } from "./random.js";

export const VALIDATOR_RECORD_SIZE = ssz.phase0.Validator.fixedSize ?? 121;

export const Category = {
  active: 0,
  slashed: 1,
  queued: 2,
  exited: 3,
  withdrawn: 4,
} as const;
export type Category = (typeof Category)[keyof typeof Category];

export type ValidatorStatus =
  | "pending_initialized"
  | "pending_queued"
  | "active_ongoing"
  | "active_exiting"
  | "active_slashed"
  | "exited_unslashed"
  | "exited_slashed"
  | "withdrawal_possible"
  | "withdrawal_done";

/** A validator as the state holds it; FAR_FUTURE_EPOCH is Infinity, as in @lodestar/types values. */
export interface ValidatorRecord {
  readonly pubkey: Uint8Array;
  readonly withdrawalCredentials: Uint8Array;
  readonly effectiveBalance: number;
  readonly slashed: boolean;
  readonly activationEligibilityEpoch: number;
  readonly activationEpoch: number;
  readonly exitEpoch: number;
  readonly withdrawableEpoch: number;
}

export interface RegistryOptions {
  readonly validatorCount: number;
  readonly activeCount: number;
  readonly seed: number;
  /** The epoch the mix is laid out around (the initial head's). */
  readonly referenceEpoch: number;
  /** First epoch of the simulated history: every active validator is active from before it. */
  readonly anchorEpoch: number;
}

const ETH = EFFECTIVE_BALANCE_INCREMENT;
const MAX_INCREMENTS_COMPOUNDING = 2048;

interface MutableRecord {
  pubkey: Uint8Array;
  withdrawalCredentials: Uint8Array;
  effectiveBalance: number;
  slashed: boolean;
  activationEligibilityEpoch: number;
  activationEpoch: number;
  exitEpoch: number;
  withdrawableEpoch: number;
}

export class ValidatorRegistry {
  readonly validatorCount: number;
  readonly activeCount: number;
  readonly category: Uint8Array;
  /** Effective balance in increments of 1 ETH (0..2048), the unit of the reward rules. */
  readonly effectiveIncrements: Uint16Array;
  /** Balances (Gwei) at the start of the simulated history. */
  readonly initialBalances: Float64Array;
  /** Sum of the active validators' effective increments (constant: the active set never changes). */
  readonly totalActiveIncrements: number;
  readonly slashedIndices: readonly number[];
  private region: Buffer | null = null;

  constructor(private readonly options: RegistryOptions) {
    const { validatorCount, activeCount } = options;
    this.validatorCount = validatorCount;
    this.activeCount = activeCount;
    this.category = new Uint8Array(validatorCount);
    this.effectiveIncrements = new Uint16Array(validatorCount);
    this.initialBalances = new Float64Array(validatorCount);
    const slashed: number[] = [];
    let total = 0;
    for (let i = 0; i < validatorCount; i++) {
      const category = this.categoryOf(i);
      this.category[i] = category;
      const increments = this.incrementsOf(i, category);
      this.effectiveIncrements[i] = increments;
      this.initialBalances[i] = this.initialBalanceOf(i, category, increments);
      if (category === Category.active) total += increments;
      if (category === Category.slashed) slashed.push(i);
    }
    this.totalActiveIncrements = total;
    this.slashedIndices = slashed;
  }

  record(index: number): ValidatorRecord {
    const record = this.emptyRecord();
    this.fillRecord(record, index);
    return record;
  }

  /**
   * The SSZ bytes of the state's validators list (its elements, without a length prefix: list
   * elements of a fixed size are simply concatenated). Built once, record by record with the
   * phase0 Validator type, into one preallocated buffer.
   */
  validatorsRegion(): Buffer {
    if (this.region !== null) return this.region;
    const region = Buffer.allocUnsafe(this.validatorCount * VALIDATOR_RECORD_SIZE);
    const views = { uint8Array: region, dataView: new DataView(region.buffer, region.byteOffset, region.byteLength) };
    const record = this.emptyRecord();
    for (let i = 0; i < this.validatorCount; i++) {
      this.fillRecord(record, i);
      ssz.phase0.Validator.value_serializeToBytes(views, i * VALIDATOR_RECORD_SIZE, record);
    }
    this.region = region;
    return region;
  }

  /** Eligible for attestation rewards and penalties in `epoch` (the spec's get_eligible_validator_indices). */
  isEligible(index: number, epoch: number): boolean {
    const category = this.category[index];
    if (category === Category.active) return true;
    return category === Category.slashed && epoch + 1 < this.withdrawableEpochOf(index, Category.slashed);
  }

  private emptyRecord(): MutableRecord {
    return {
      pubkey: new Uint8Array(48),
      withdrawalCredentials: new Uint8Array(32),
      effectiveBalance: 0,
      slashed: false,
      activationEligibilityEpoch: 0,
      activationEpoch: 0,
      exitEpoch: FAR_FUTURE_EPOCH,
      withdrawableEpoch: FAR_FUTURE_EPOCH,
    };
  }

  private fillRecord(record: MutableRecord, index: number): void {
    const category = (this.category[index] ?? Category.withdrawn) as Category;
    writeSimulatedPubkey(record.pubkey, 0, index);
    this.writeCredentials(record.withdrawalCredentials, index);
    record.effectiveBalance = (this.effectiveIncrements[index] ?? 0) * ETH;
    record.slashed = category === Category.slashed;
    const { eligibility, activation, exit } = this.epochsOf(index, category);
    record.activationEligibilityEpoch = eligibility;
    record.activationEpoch = activation;
    record.exitEpoch = exit;
    record.withdrawableEpoch = this.withdrawableEpochOf(index, category);
  }

  private categoryOf(index: number): Category {
    if (index < this.activeCount) return Category.active;
    const u = this.draw(index, 0);
    if (u < 0.002) return Category.slashed;
    if (u < 0.122) return Category.queued;
    if (u < 0.202) return Category.exited;
    return Category.withdrawn;
  }

  private incrementsOf(index: number, category: Category): number {
    if (category === Category.withdrawn) return 0;
    if (category === Category.active && this.credentialPrefix(index) === COMPOUNDING_WITHDRAWAL_PREFIX && this.draw(index, 2) < 0.4) {
      // Consolidated validators: mostly a little above 32 ETH, a few near the 2048 ETH cap.
      return 32 + Math.floor(this.draw(index, 3) ** 3 * (MAX_INCREMENTS_COMPOUNDING - 32));
    }
    return 32;
  }

  /** A little above the effective balance (never across the hysteresis thresholds, so both stay consistent). */
  private initialBalanceOf(index: number, category: Category, increments: number): number {
    if (category === Category.withdrawn) return 0;
    if (category === Category.queued) return increments * ETH;
    const extra = Math.floor(this.draw(index, 4) * 0.05 * ETH);
    // Slashed: the Electra initial penalty, effective_balance / MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA (4096).
    return category === Category.slashed ? increments * ETH - Math.floor((increments * ETH) / 4096) + extra : increments * ETH + extra;
  }

  private epochsOf(index: number, category: Category): { eligibility: number; activation: number; exit: number } {
    const { referenceEpoch: ref, anchorEpoch, activeCount } = this.options;
    if (category === Category.active) {
      // Activation order follows the index, as on a real chain; the newest activated a few epochs
      // before the simulated history starts, some of them less than SHARD_COMMITTEE_PERIOD ago.
      const activation = Math.floor((Math.max(0, anchorEpoch - 2) * index) / Math.max(1, activeCount));
      return { eligibility: Math.max(0, activation - 5), activation, exit: FAR_FUTURE_EPOCH };
    }
    const spread = hash3(Salt.registry, index, 5);
    if (category === Category.queued) return { eligibility: Math.max(0, ref - 1 - (spread % 32)), activation: FAR_FUTURE_EPOCH, exit: FAR_FUTURE_EPOCH };
    const exit =
      category === Category.withdrawn
        ? Math.max(SHARD_COMMITTEE_PERIOD, ref - MIN_VALIDATOR_WITHDRAWABILITY_DELAY - 44 - (spread % 100_000))
        : Math.max(SHARD_COMMITTEE_PERIOD, ref - 1 - (spread % (category === Category.slashed ? 64 : 200)));
    const activation = Math.max(0, exit - SHARD_COMMITTEE_PERIOD - (hash3(Salt.registry, index, 6) % 10_000));
    return { eligibility: Math.max(0, activation - 5), activation, exit };
  }

  private withdrawableEpochOf(index: number, category: Category): number {
    if (category === Category.active || category === Category.queued) return FAR_FUTURE_EPOCH;
    const { exit } = this.epochsOf(index, category);
    return exit + (category === Category.slashed ? EPOCHS_PER_SLASHINGS_VECTOR : MIN_VALIDATOR_WITHDRAWABILITY_DELAY);
  }

  private credentialPrefix(index: number): number {
    const u = this.draw(index, 1);
    return u < 0.05 ? 0 : u < 0.3 ? COMPOUNDING_WITHDRAWAL_PREFIX : ETH1_ADDRESS_WITHDRAWAL_PREFIX;
  }

  /** 0x00: a hash-like 31 bytes; 0x01/0x02: eleven zero bytes and an address shared by 1000 consecutive indices (an operator's). */
  private writeCredentials(out: Uint8Array, index: number): void {
    const prefix = this.credentialPrefix(index);
    out.fill(0);
    if (prefix === 0) {
      fillBytes(out, 0, 32, Salt.registry, index, 7);
      out[0] = 0;
      return;
    }
    out[0] = prefix;
    fillBytes(out, 12, 20, Salt.registry, Math.floor(index / 1000), 8, this.options.seed);
  }

  private draw(index: number, what: number): number {
    return hash3(Salt.registry ^ this.options.seed, index, what) / 0x1_0000_0000;
  }
}

/** The spec's validator status (Beacon API names) of a record in `epoch`, given its balance. */
export function validatorStatus(record: ValidatorRecord, epoch: number, balance: number): ValidatorStatus {
  if (record.activationEpoch > epoch) return record.activationEligibilityEpoch === FAR_FUTURE_EPOCH ? "pending_initialized" : "pending_queued";
  if (epoch < record.exitEpoch) {
    if (record.exitEpoch === FAR_FUTURE_EPOCH) return "active_ongoing";
    return record.slashed ? "active_slashed" : "active_exiting";
  }
  if (epoch < record.withdrawableEpoch) return record.slashed ? "exited_slashed" : "exited_unslashed";
  return balance === 0 ? "withdrawal_done" : "withdrawal_possible";
}

/** A status filter of the Beacon API matches its exact status or its general one (active, pending, exited, withdrawal). */
export function statusMatches(status: ValidatorStatus, filter: string): boolean {
  return status === filter || status.startsWith(`${filter}_`);
}
