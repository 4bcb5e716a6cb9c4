/**
 * The chain's constants, read from the node's `/eth/v1/config/spec` rather than assumed: the
 * devnet runs the minimal preset (8 slots per epoch), mainnet 32, and SSZ sizes depend on the
 * preset. Only protocol constants that no preset changes (fork names, flag bit positions) are
 * written down here.
 */
import { BeaconError } from "./errors.js";

/** Forks the monitor understands, oldest first. Phase0 has no participation flags; later forks are refused by name. */
export const FORKS = ["phase0", "altair", "bellatrix", "capella", "deneb", "electra", "fulu"] as const;
export type ForkName = (typeof FORKS)[number];

export interface ChainSpec {
  readonly slotsPerEpoch: number;
  readonly secondsPerSlot: number;
  /** Fork activation epochs, oldest first; forks not scheduled are absent. */
  readonly forkSchedule: readonly { readonly fork: ForkName; readonly epoch: number }[];
  readonly slotsPerHistoricalRoot: number;
  readonly epochsPerHistoricalVector: number;
  readonly epochsPerSlashingsVector: number;
  readonly syncCommitteeSize: number;
  readonly epochsPerSyncCommitteePeriod: number;
  readonly minSeedLookahead: number;
  readonly effectiveBalanceIncrement: number;
  readonly baseRewardFactor: number;
  readonly minEpochsToInactivityPenalty: number;
  readonly inactivityScoreBias: number;
  readonly inactivityScoreRecoveryRate: number;
  /** INACTIVITY_PENALTY_QUOTIENT_ALTAIR before Bellatrix, _BELLATRIX from then on. */
  readonly inactivityPenaltyQuotientAltair: number;
  readonly inactivityPenaltyQuotientBellatrix: number;
  readonly shardCommitteePeriod: number;
  /** The first fork after fulu that the chain schedules, if any: states from then on are refused, not misread. */
  readonly unsupportedFork: { readonly name: string; readonly epoch: number } | null;
  readonly weights: { readonly source: number; readonly target: number; readonly head: number; readonly sync: number; readonly proposer: number; readonly denominator: number };
}

/** Later forks whose states this reader does not know: refused with a clear message instead of misread. */
const UNKNOWN_LATER_FORKS = ["GLOAS", "HEZE"] as const;

export class ChainSpecError extends BeaconError {}

export function parseChainSpec(values: Readonly<Record<string, string>>, where = "beacon node"): ChainSpec {
  const missing: string[] = [];
  const num = (key: string): number => {
    const raw = values[key];
    if (raw === undefined || !/^[0-9]+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
      missing.push(key);
      return 0;
    }
    return Number(raw);
  };
  const forkSchedule: { fork: ForkName; epoch: number }[] = [{ fork: "phase0", epoch: 0 }];
  for (const fork of FORKS.slice(1)) {
    const raw = values[`${fork.toUpperCase()}_FORK_EPOCH`];
    // FAR_FUTURE_EPOCH or absent: not scheduled on this chain.
    if (raw === undefined || !/^[0-9]+$/.test(raw) || !Number.isSafeInteger(Number(raw))) continue;
    forkSchedule.push({ fork, epoch: Number(raw) });
  }
  const spec: ChainSpec = {
    slotsPerEpoch: num("SLOTS_PER_EPOCH"),
    secondsPerSlot: num("SECONDS_PER_SLOT"),
    forkSchedule,
    slotsPerHistoricalRoot: num("SLOTS_PER_HISTORICAL_ROOT"),
    epochsPerHistoricalVector: num("EPOCHS_PER_HISTORICAL_VECTOR"),
    epochsPerSlashingsVector: num("EPOCHS_PER_SLASHINGS_VECTOR"),
    syncCommitteeSize: num("SYNC_COMMITTEE_SIZE"),
    epochsPerSyncCommitteePeriod: num("EPOCHS_PER_SYNC_COMMITTEE_PERIOD"),
    minSeedLookahead: num("MIN_SEED_LOOKAHEAD"),
    effectiveBalanceIncrement: num("EFFECTIVE_BALANCE_INCREMENT"),
    baseRewardFactor: num("BASE_REWARD_FACTOR"),
    minEpochsToInactivityPenalty: num("MIN_EPOCHS_TO_INACTIVITY_PENALTY"),
    inactivityScoreBias: num("INACTIVITY_SCORE_BIAS"),
    inactivityScoreRecoveryRate: num("INACTIVITY_SCORE_RECOVERY_RATE"),
    inactivityPenaltyQuotientAltair: num("INACTIVITY_PENALTY_QUOTIENT_ALTAIR"),
    inactivityPenaltyQuotientBellatrix: num("INACTIVITY_PENALTY_QUOTIENT_BELLATRIX"),
    shardCommitteePeriod: num("SHARD_COMMITTEE_PERIOD"),
    unsupportedFork: firstUnsupportedFork(values),
    weights: {
      source: num("TIMELY_SOURCE_WEIGHT"),
      target: num("TIMELY_TARGET_WEIGHT"),
      head: num("TIMELY_HEAD_WEIGHT"),
      sync: num("SYNC_REWARD_WEIGHT"),
      proposer: num("PROPOSER_WEIGHT"),
      denominator: num("WEIGHT_DENOMINATOR"),
    },
  };
  if (missing.length > 0) {
    throw new ChainSpecError(
      "BEACON_BAD_RESPONSE",
      `${where}: /eth/v1/config/spec lacks ${missing.join(", ")} (or they are not integers); stakeops reads the chain's constants from it`,
      { endpoint: "/eth/v1/config/spec", method: "GET", reason: `missing ${missing.join(", ")}` },
    );
  }
  if (spec.slotsPerEpoch === 0 || spec.secondsPerSlot === 0 || spec.effectiveBalanceIncrement === 0) {
    throw new ChainSpecError("BEACON_BAD_RESPONSE", `${where}: /eth/v1/config/spec has a zero SLOTS_PER_EPOCH, SECONDS_PER_SLOT or EFFECTIVE_BALANCE_INCREMENT`, {
      endpoint: "/eth/v1/config/spec",
      method: "GET",
    });
  }
  return spec;
}

function firstUnsupportedFork(values: Readonly<Record<string, string>>): { name: string; epoch: number } | null {
  let first: { name: string; epoch: number } | null = null;
  for (const name of UNKNOWN_LATER_FORKS) {
    const raw = values[`${name}_FORK_EPOCH`];
    if (raw === undefined || !/^[0-9]+$/.test(raw) || !Number.isSafeInteger(Number(raw))) continue;
    if (first === null || Number(raw) < first.epoch) first = { name: name.toLowerCase(), epoch: Number(raw) };
  }
  return first;
}

/** The fork active at `epoch`; throws when a fork this version does not know is already active. */
export function forkAtEpoch(spec: ChainSpec, epoch: number): ForkName {
  if (spec.unsupportedFork !== null && spec.unsupportedFork.epoch <= epoch) {
    throw new ChainSpecError(
      "BEACON_NOT_SUPPORTED",
      `the chain is at ${spec.unsupportedFork.name} from epoch ${spec.unsupportedFork.epoch}; this stakeops reads states up to fulu`,
      { endpoint: "/eth/v1/config/spec", method: "GET" },
    );
  }
  let fork: ForkName = "phase0";
  for (const entry of spec.forkSchedule) if (entry.epoch <= epoch) fork = entry.fork;
  return fork;
}

export function epochOfSlot(spec: ChainSpec, slot: number): number {
  return Math.floor(slot / spec.slotsPerEpoch);
}

export function forkIsAtLeast(fork: ForkName, than: ForkName): boolean {
  return FORKS.indexOf(fork) >= FORKS.indexOf(than);
}
