/**
 * Where each field of a BeaconState sits in its SSZ serialization, for the fork and preset of the
 * chain at hand. SSZ puts fixed-size fields inline and variable-size ones (lists) behind 4-byte
 * offsets in the fixed part, so once the fixed part has arrived every list's byte range is known
 * and a reader can skip what it does not need (2 MB of randao mixes, 266 MB of validators it only
 * skims) without building a tree.
 *
 * Sizes of vectors come from the chain's own constants (ChainSpec), sizes of the small
 * preset-independent containers from @lodestar/types, so nothing preset-specific is written here.
 * test/unit/stateLayout.test.ts checks the result against @lodestar/types' mainnet BeaconState.
 */
import { ssz } from "@lodestar/types";
import { forkIsAtLeast, type ChainSpec, type ForkName } from "./chainSpec.js";

/** A field: its fixed size in bytes, or null for a variable-size one (an offset in the fixed part). */
export interface StateField {
  readonly name: string;
  readonly fixedSize: number | null;
}

export interface StateLayout {
  readonly fork: ForkName;
  readonly fields: readonly StateField[];
  /** Byte position of each field in the fixed part (for variable fields: of its 4-byte offset). */
  readonly fixedOffsets: ReadonlyMap<string, number>;
  readonly fixedPartSize: number;
  /** Variable fields in serialization order (their data follows the fixed part in this order). */
  readonly variableFields: readonly string[];
}

const UINT64 = 8;
const ROOT = 32;
const PUBKEY = 48;

export function stateFields(fork: ForkName, spec: ChainSpec): StateField[] {
  const fixed = (name: string, fixedSize: number): StateField => ({ name, fixedSize });
  const variable = (name: string): StateField => ({ name, fixedSize: null });
  const syncCommitteeSize = (spec.syncCommitteeSize + 1) * PUBKEY; // pubkeys + aggregate pubkey
  const fields: StateField[] = [
    fixed("genesis_time", UINT64),
    fixed("genesis_validators_root", ROOT),
    fixed("slot", UINT64),
    fixed("fork", fixedSizeOf(ssz.phase0.Fork)),
    fixed("latest_block_header", fixedSizeOf(ssz.phase0.BeaconBlockHeader)),
    fixed("block_roots", spec.slotsPerHistoricalRoot * ROOT),
    fixed("state_roots", spec.slotsPerHistoricalRoot * ROOT),
    variable("historical_roots"),
    fixed("eth1_data", fixedSizeOf(ssz.phase0.Eth1Data)),
    variable("eth1_data_votes"),
    fixed("eth1_deposit_index", UINT64),
    variable("validators"),
    variable("balances"),
    fixed("randao_mixes", spec.epochsPerHistoricalVector * ROOT),
    fixed("slashings", spec.epochsPerSlashingsVector * UINT64),
    // phase0 keeps pending attestations here; from altair on, one flags byte per validator.
    variable(fork === "phase0" ? "previous_epoch_attestations" : "previous_epoch_participation"),
    variable(fork === "phase0" ? "current_epoch_attestations" : "current_epoch_participation"),
    fixed("justification_bits", 1),
    fixed("previous_justified_checkpoint", fixedSizeOf(ssz.phase0.Checkpoint)),
    fixed("current_justified_checkpoint", fixedSizeOf(ssz.phase0.Checkpoint)),
    fixed("finalized_checkpoint", fixedSizeOf(ssz.phase0.Checkpoint)),
  ];
  if (forkIsAtLeast(fork, "altair")) {
    fields.push(variable("inactivity_scores"), fixed("current_sync_committee", syncCommitteeSize), fixed("next_sync_committee", syncCommitteeSize));
  }
  if (forkIsAtLeast(fork, "bellatrix")) fields.push(variable("latest_execution_payload_header"));
  if (forkIsAtLeast(fork, "capella")) {
    fields.push(fixed("next_withdrawal_index", UINT64), fixed("next_withdrawal_validator_index", UINT64), variable("historical_summaries"));
  }
  if (forkIsAtLeast(fork, "electra")) {
    fields.push(
      fixed("deposit_requests_start_index", UINT64),
      fixed("deposit_balance_to_consume", UINT64),
      fixed("exit_balance_to_consume", UINT64),
      fixed("earliest_exit_epoch", UINT64),
      fixed("consolidation_balance_to_consume", UINT64),
      fixed("earliest_consolidation_epoch", UINT64),
      variable("pending_deposits"),
      variable("pending_partial_withdrawals"),
      variable("pending_consolidations"),
    );
  }
  if (forkIsAtLeast(fork, "fulu")) fields.push(fixed("proposer_lookahead", (spec.minSeedLookahead + 1) * spec.slotsPerEpoch * UINT64));
  return fields;
}

export function stateLayout(fork: ForkName, spec: ChainSpec): StateLayout {
  const fields = stateFields(fork, spec);
  const fixedOffsets = new Map<string, number>();
  let position = 0;
  for (const field of fields) {
    fixedOffsets.set(field.name, position);
    position += field.fixedSize ?? 4;
  }
  return { fork, fields, fixedOffsets, fixedPartSize: position, variableFields: fields.filter((f) => f.fixedSize === null).map((f) => f.name) };
}

/** Sizes of list elements the reader decodes. */
export const VALIDATOR_SIZE = fixedSizeOf(ssz.phase0.Validator);
export const PENDING_PARTIAL_WITHDRAWAL_SIZE = fixedSizeOf(ssz.electra.PendingPartialWithdrawal);

function fixedSizeOf(type: { readonly fixedSize: number | null }): number {
  if (type.fixedSize === null) throw new Error("expected a fixed-size SSZ type");
  return type.fixedSize;
}
