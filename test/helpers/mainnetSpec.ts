/**
 * The `/eth/v1/config/spec` values of a mainnet-preset chain, as a node would serve them, taken
 * from @lodestar/params (whose active preset is mainnet) rather than typed in, plus the chain
 * config values a node adds. `forkEpochs` schedules the forks (default: everything up to electra
 * at epoch 0).
 */
import * as params from "@lodestar/params";

const PRESET_KEYS = [
  "SLOTS_PER_EPOCH",
  "SLOTS_PER_HISTORICAL_ROOT",
  "EPOCHS_PER_HISTORICAL_VECTOR",
  "EPOCHS_PER_SLASHINGS_VECTOR",
  "SYNC_COMMITTEE_SIZE",
  "EPOCHS_PER_SYNC_COMMITTEE_PERIOD",
  "MIN_SEED_LOOKAHEAD",
  "EFFECTIVE_BALANCE_INCREMENT",
  "BASE_REWARD_FACTOR",
  "MIN_EPOCHS_TO_INACTIVITY_PENALTY",
  "INACTIVITY_PENALTY_QUOTIENT_ALTAIR",
  "INACTIVITY_PENALTY_QUOTIENT_BELLATRIX",
  "TIMELY_SOURCE_WEIGHT",
  "TIMELY_TARGET_WEIGHT",
  "TIMELY_HEAD_WEIGHT",
  "SYNC_REWARD_WEIGHT",
  "PROPOSER_WEIGHT",
  "WEIGHT_DENOMINATOR",
  "MAX_EFFECTIVE_BALANCE",
  "MAX_EFFECTIVE_BALANCE_ELECTRA",
] as const;

export function mainnetSpecValues(forkEpochs: Readonly<Record<string, number>> = {}): Record<string, string> {
  const values: Record<string, string> = {};
  const table = params as unknown as Record<string, unknown>;
  for (const key of PRESET_KEYS) values[key] = String(table[key]);
  // Chain config (not preset) values of mainnet.
  Object.assign(values, {
    SECONDS_PER_SLOT: "12",
    INACTIVITY_SCORE_BIAS: "4",
    INACTIVITY_SCORE_RECOVERY_RATE: "16",
    SHARD_COMMITTEE_PERIOD: "256",
  });
  const schedule = { ALTAIR: 0, BELLATRIX: 0, CAPELLA: 0, DENEB: 0, ELECTRA: 0, ...forkEpochs };
  for (const [fork, epoch] of Object.entries(schedule)) values[`${fork}_FORK_EPOCH`] = String(epoch);
  return values;
}
