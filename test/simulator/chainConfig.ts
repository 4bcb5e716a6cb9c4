/**
 * The simulated chain's constants: the mainnet preset from @lodestar/params (its active preset is
 * mainnet unless LODESTAR_PRESET says otherwise, which the simulator refuses), and the mainnet chain
 * config. @lodestar/config is not a dependency of stakeops, so the config values the simulator
 * serves are written out here, from the published mainnet config (eth-clients/mainnet
 * metadata/config.yaml, consensus-specs configs/mainnet.yaml).
 */
import * as params from "@lodestar/params";

if (params.ACTIVE_PRESET !== params.PresetName.mainnet) {
  // SSZ types (vector lengths, list limits) depend on the preset: a minimal-preset process would
  // serve states no mainnet client can read.
  throw new Error(`the beacon simulator needs the mainnet preset, but LODESTAR_PRESET selects "${params.ACTIVE_PRESET}"`);
}

export const SLOTS_PER_EPOCH = params.SLOTS_PER_EPOCH;
export const FAR_FUTURE_EPOCH = params.FAR_FUTURE_EPOCH;
/** JSON and SSZ write FAR_FUTURE_EPOCH as 2^64-1; lodestar's number types carry it as Infinity. */
export const FAR_FUTURE_EPOCH_STRING = "18446744073709551615";

/** Mainnet fork schedule. */
export const FORKS = {
  genesis: { version: "0x00000000", epoch: 0 },
  altair: { version: "0x01000000", epoch: 74240 },
  bellatrix: { version: "0x02000000", epoch: 144896 },
  capella: { version: "0x03000000", epoch: 194048 },
  deneb: { version: "0x04000000", epoch: 269568 },
  electra: { version: "0x05000000", epoch: 364032 },
  fulu: { version: "0x06000000", epoch: 411392 },
} as const;

export type SimulatedFork = "electra" | "fulu";

/** Mainnet's genesis: its validators root signs exits (EIP-7044), so the simulator keeps the real one. */
export const MAINNET_GENESIS_TIME = 1606824023;
export const MAINNET_GENESIS_VALIDATORS_ROOT = "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95";

/** Chain config values (not preset) the simulator's rules use. */
export const SECONDS_PER_SLOT = 12;
export const SHARD_COMMITTEE_PERIOD = 256;
export const MIN_VALIDATOR_WITHDRAWABILITY_DELAY = 256;
export const INACTIVITY_SCORE_BIAS = 4;
export const INACTIVITY_SCORE_RECOVERY_RATE = 16;
export const EJECTION_BALANCE = 16_000_000_000;

/** Phase0 constant: `integer_squareroot(SLOTS_PER_EPOCH)`, the inclusion limit of the timely-source flag. */
export const TIMELY_SOURCE_MAX_DELAY = Math.floor(Math.sqrt(SLOTS_PER_EPOCH));

/**
 * What GET /eth/v1/config/spec answers: preset values as @lodestar/params has them, the mainnet
 * config, and the constants clients publish alongside. With `fork: "electra"` Fulu is shown as not
 * scheduled (FAR_FUTURE_EPOCH), so that a head past mainnet's Fulu epoch still reads as Electra.
 */
export function specJson(fork: SimulatedFork): Record<string, string> {
  const preset = params.presetToJson(params.activePreset);
  const hex = (bytes: Uint8Array): string => `0x${Buffer.from(bytes).toString("hex")}`;
  const config: Record<string, string> = {
    PRESET_BASE: "mainnet",
    CONFIG_NAME: "mainnet",
    TERMINAL_TOTAL_DIFFICULTY: "58750000000000000000000",
    TERMINAL_BLOCK_HASH: `0x${"00".repeat(32)}`,
    TERMINAL_BLOCK_HASH_ACTIVATION_EPOCH: FAR_FUTURE_EPOCH_STRING,
    MIN_GENESIS_ACTIVE_VALIDATOR_COUNT: "16384",
    MIN_GENESIS_TIME: "1606824000",
    GENESIS_FORK_VERSION: FORKS.genesis.version,
    GENESIS_DELAY: "604800",
    ALTAIR_FORK_VERSION: FORKS.altair.version,
    ALTAIR_FORK_EPOCH: String(FORKS.altair.epoch),
    BELLATRIX_FORK_VERSION: FORKS.bellatrix.version,
    BELLATRIX_FORK_EPOCH: String(FORKS.bellatrix.epoch),
    CAPELLA_FORK_VERSION: FORKS.capella.version,
    CAPELLA_FORK_EPOCH: String(FORKS.capella.epoch),
    DENEB_FORK_VERSION: FORKS.deneb.version,
    DENEB_FORK_EPOCH: String(FORKS.deneb.epoch),
    ELECTRA_FORK_VERSION: FORKS.electra.version,
    ELECTRA_FORK_EPOCH: String(FORKS.electra.epoch),
    FULU_FORK_VERSION: FORKS.fulu.version,
    FULU_FORK_EPOCH: fork === "fulu" ? String(FORKS.fulu.epoch) : FAR_FUTURE_EPOCH_STRING,
    SECONDS_PER_SLOT: String(SECONDS_PER_SLOT),
    SLOT_DURATION_MS: String(SECONDS_PER_SLOT * 1000),
    SECONDS_PER_ETH1_BLOCK: "14",
    MIN_VALIDATOR_WITHDRAWABILITY_DELAY: String(MIN_VALIDATOR_WITHDRAWABILITY_DELAY),
    SHARD_COMMITTEE_PERIOD: String(SHARD_COMMITTEE_PERIOD),
    ETH1_FOLLOW_DISTANCE: "2048",
    INACTIVITY_SCORE_BIAS: String(INACTIVITY_SCORE_BIAS),
    INACTIVITY_SCORE_RECOVERY_RATE: String(INACTIVITY_SCORE_RECOVERY_RATE),
    EJECTION_BALANCE: String(EJECTION_BALANCE),
    MIN_PER_EPOCH_CHURN_LIMIT: "4",
    CHURN_LIMIT_QUOTIENT: "65536",
    MAX_PER_EPOCH_ACTIVATION_CHURN_LIMIT: "8",
    MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA: "128000000000",
    MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT: "256000000000",
    PROPOSER_SCORE_BOOST: "40",
    REORG_HEAD_WEIGHT_THRESHOLD: "20",
    REORG_PARENT_WEIGHT_THRESHOLD: "160",
    REORG_MAX_EPOCHS_SINCE_FINALIZATION: "2",
    DEPOSIT_CHAIN_ID: "1",
    DEPOSIT_NETWORK_ID: "1",
    DEPOSIT_CONTRACT_ADDRESS: "0x00000000219ab540356cbb839cbe05303d7705fa",
    MAX_BLOBS_PER_BLOCK: "6",
    MAX_BLOBS_PER_BLOCK_ELECTRA: "9",
    MAX_REQUEST_BLOB_SIDECARS_ELECTRA: "1152",
    BLOB_SIDECAR_SUBNET_COUNT_ELECTRA: "9",
  };
  const constants: Record<string, string> = {
    GENESIS_SLOT: String(params.GENESIS_SLOT),
    GENESIS_EPOCH: String(params.GENESIS_EPOCH),
    FAR_FUTURE_EPOCH: FAR_FUTURE_EPOCH_STRING,
    BASE_REWARDS_PER_EPOCH: String(params.BASE_REWARDS_PER_EPOCH),
    DEPOSIT_CONTRACT_TREE_DEPTH: String(params.DEPOSIT_CONTRACT_TREE_DEPTH),
    JUSTIFICATION_BITS_LENGTH: String(params.JUSTIFICATION_BITS_LENGTH),
    BLS_WITHDRAWAL_PREFIX: "0x00",
    ETH1_ADDRESS_WITHDRAWAL_PREFIX: "0x01",
    COMPOUNDING_WITHDRAWAL_PREFIX: "0x02",
    DOMAIN_BEACON_PROPOSER: hex(params.DOMAIN_BEACON_PROPOSER),
    DOMAIN_BEACON_ATTESTER: hex(params.DOMAIN_BEACON_ATTESTER),
    DOMAIN_RANDAO: hex(params.DOMAIN_RANDAO),
    DOMAIN_DEPOSIT: hex(params.DOMAIN_DEPOSIT),
    DOMAIN_VOLUNTARY_EXIT: hex(params.DOMAIN_VOLUNTARY_EXIT),
    DOMAIN_SELECTION_PROOF: hex(params.DOMAIN_SELECTION_PROOF),
    DOMAIN_AGGREGATE_AND_PROOF: hex(params.DOMAIN_AGGREGATE_AND_PROOF),
    DOMAIN_SYNC_COMMITTEE: hex(params.DOMAIN_SYNC_COMMITTEE),
    DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF: hex(params.DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF),
    DOMAIN_CONTRIBUTION_AND_PROOF: hex(params.DOMAIN_CONTRIBUTION_AND_PROOF),
    DOMAIN_BLS_TO_EXECUTION_CHANGE: hex(params.DOMAIN_BLS_TO_EXECUTION_CHANGE),
    TIMELY_SOURCE_FLAG_INDEX: String(params.TIMELY_SOURCE_FLAG_INDEX),
    TIMELY_TARGET_FLAG_INDEX: String(params.TIMELY_TARGET_FLAG_INDEX),
    TIMELY_HEAD_FLAG_INDEX: String(params.TIMELY_HEAD_FLAG_INDEX),
    TIMELY_SOURCE_WEIGHT: String(params.TIMELY_SOURCE_WEIGHT),
    TIMELY_TARGET_WEIGHT: String(params.TIMELY_TARGET_WEIGHT),
    TIMELY_HEAD_WEIGHT: String(params.TIMELY_HEAD_WEIGHT),
    SYNC_REWARD_WEIGHT: String(params.SYNC_REWARD_WEIGHT),
    PROPOSER_WEIGHT: String(params.PROPOSER_WEIGHT),
    WEIGHT_DENOMINATOR: String(params.WEIGHT_DENOMINATOR),
    TARGET_AGGREGATORS_PER_COMMITTEE: String(params.TARGET_AGGREGATORS_PER_COMMITTEE),
    TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE: String(params.TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE),
    SYNC_COMMITTEE_SUBNET_COUNT: String(params.SYNC_COMMITTEE_SUBNET_COUNT),
    ATTESTATION_SUBNET_COUNT: String(params.ATTESTATION_SUBNET_COUNT),
  };
  return { ...preset, ...config, ...constants };
}
