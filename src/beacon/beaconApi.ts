/**
 * What stakeops needs from a beacon node, as a narrow interface (the standard Beacon API behind
 * it). Implemented by beaconClient.ts over one or several nodes; tests and later issues may
 * provide other implementations (a simulator speaking the same API, for instance).
 * Pubkeys and roots at this boundary are 0x-prefixed lower-case hex strings.
 */
import type { AttestationRewards, BlockHeaderSummary, BlockSummary, Committee, FinalityCheckpoints, ProposerDuty } from "./chainResponses.js";
import type { StateLayout } from "./stateLayout.js";
import type { StateSnapshot } from "./stateReader.js";
import type { SignedVoluntaryExitJson } from "../exit/signedExit.js";
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

/** Every status, in the lifecycle's order. */
export const VALIDATOR_STATUSES: readonly ValidatorStatus[] = [
  "pending_initialized",
  "pending_queued",
  "active_ongoing",
  "active_exiting",
  "active_slashed",
  "exited_unslashed",
  "exited_slashed",
  "withdrawal_possible",
  "withdrawal_done",
];

export interface BeaconValidator {
  readonly index: number;
  readonly pubkey: string;
  readonly status: ValidatorStatus;
  readonly balanceGwei: number;
  readonly effectiveBalanceGwei: number;
  readonly withdrawalCredentials: string;
  readonly slashed: boolean;
  /** null where the chain says FAR_FUTURE_EPOCH (2^64-1). */
  readonly activationEligibilityEpoch: number | null;
  readonly activationEpoch: number | null;
  readonly exitEpoch: number | null;
  readonly withdrawableEpoch: number | null;
}

export interface BeaconGenesis {
  readonly genesisTime: number;
  readonly genesisValidatorsRoot: string;
  readonly genesisForkVersion: string;
}

export interface BeaconSyncing {
  readonly headSlot: number;
  readonly syncDistance: number;
  readonly isSyncing: boolean;
  readonly isOptimistic: boolean;
  readonly elOffline: boolean;
}

export interface BeaconNodeApi {
  getGenesis(signal?: AbortSignal): Promise<BeaconGenesis>;
  /** /eth/v1/config/spec, values as the node returns them (strings). */
  getSpec(signal?: AbortSignal): Promise<Readonly<Record<string, string>>>;
  getSyncing(signal?: AbortSignal): Promise<BeaconSyncing>;
  /** The validators among `pubkeys` that the state knows (any status); unknown pubkeys are simply absent. */
  getValidatorsByPubkey(pubkeys: readonly string[], stateId?: string, signal?: AbortSignal): Promise<BeaconValidator[]>;
  /** Pubkeys with a deposit pending in the state (Electra `pending_deposits`); null when the node does not serve it. */
  getPendingDepositPubkeys(stateId?: string, signal?: AbortSignal): Promise<ReadonlySet<string> | null>;
  /** Liveness of validators in an epoch (current or previous); new POST form, falling back to the old GET form. */
  getLiveness(epoch: number, indices: readonly number[], signal?: AbortSignal): Promise<ReadonlyMap<number, boolean>>;
}

/**
 * What the epoch monitor reads from the chain. Separate from BeaconNodeApi so that the registry's
 * needs stay small; BeaconClient implements both. "Not there" answers (an empty slot, a node that
 * lacks an endpoint or refuses a past epoch) are null, so callers choose their fallback.
 */
export interface ChainDataApi {
  getSpec(signal?: AbortSignal): Promise<Readonly<Record<string, string>>>;
  getGenesis(signal?: AbortSignal): Promise<BeaconGenesis>;
  getSyncing(signal?: AbortSignal): Promise<BeaconSyncing>;
  /** `blockId`: head, finalized, a slot or a root. Null when there is no block there. */
  getHeader(blockId: string | number, signal?: AbortSignal): Promise<BlockHeaderSummary | null>;
  getBlock(slot: number, signal?: AbortSignal): Promise<BlockSummary | null>;
  getFinality(stateId: string | number, signal?: AbortSignal): Promise<FinalityCheckpoints>;
  /** The state as SSZ, decoded while it streams in; null when the node serves no SSZ state. */
  getStateSnapshot(stateId: string | number, reader: StateReadRequest, signal?: AbortSignal): Promise<StateSnapshot | null>;
  /** Null when the node cannot serve them from that state (older nodes keep only recent states for JSON answers). */
  getCommittees(stateId: string | number, epoch: number, signal?: AbortSignal): Promise<Committee[] | null>;
  /** Null when the node does not serve duties for that epoch (older nodes: only current and next). */
  getProposerDuties(epoch: number, signal?: AbortSignal): Promise<ProposerDuty[] | null>;
  getSyncCommittee(stateId: string | number, epoch: number, signal?: AbortSignal): Promise<number[] | null>;
  /** Null when the node has no rewards API. */
  getAttestationRewards(epoch: number, indices: readonly number[], signal?: AbortSignal): Promise<AttestationRewards | null>;
}

/** How to read a state: the layout (fork and preset) and which pubkeys' indices to look for. */
export interface StateReadRequest {
  readonly layout: StateLayout;
  readonly wantedPubkeys?: ReadonlySet<string>;
  readonly pubkeysFrom?: number;
}

/** What the exit path needs from the chain, beyond the monitor's reads. */
export interface ExitBeaconApi {
  getSpec(signal?: AbortSignal): Promise<Readonly<Record<string, string>>>;
  getGenesis(signal?: AbortSignal): Promise<BeaconGenesis>;
  getSyncing(signal?: AbortSignal): Promise<BeaconSyncing>;
  getHeader(blockId: string | number, signal?: AbortSignal): Promise<BlockHeaderSummary | null>;
  getFinality(stateId: string | number, signal?: AbortSignal): Promise<FinalityCheckpoints>;
  getValidatorsByPubkey(pubkeys: readonly string[], stateId?: string, signal?: AbortSignal): Promise<BeaconValidator[]>;
  /** Validators with a pending partial withdrawal (electra); empty before electra, where none can exist. */
  getPendingPartialWithdrawalIndices(signal?: AbortSignal): Promise<ReadonlySet<number>>;
  /** Sends the signed exit to every node's pool; how each node answered. */
  submitVoluntaryExit(exit: SignedVoluntaryExitJson, signal?: AbortSignal): Promise<{ node: string; accepted: boolean; message: string }[]>;
}
