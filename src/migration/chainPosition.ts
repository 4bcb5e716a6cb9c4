/**
 * Where the chain is, as the beacon node sees it: the slot its clock is at, and the epoch. Read
 * from the node rather than the wall clock so that liveness is asked about epochs the node knows
 * (a node answers liveness for its current and previous epoch; Lodestar 1.5 for nothing else).
 */
import type { BeaconNodeApi } from "../beacon/beaconApi.js";
import { BeaconError } from "../beacon/errors.js";
import { isStakeopsError } from "../errors.js";

export interface ChainPosition {
  /** The node's current slot: its head plus its sync distance (a head behind empty slots still knows the time). */
  readonly slot: number;
  readonly epoch: number;
  readonly slotsPerEpoch: number;
  readonly secondsPerSlot: number;
  /** The chain's identity: slashing protection for another root protects nothing here. */
  readonly genesisValidatorsRoot: string;
}

export type ChainPositionSource = Pick<BeaconNodeApi, "getSpec" | "getSyncing" | "getGenesis">;

export class ChainPositionReader {
  private chain: { slotsPerEpoch: number; secondsPerSlot: number; genesisValidatorsRoot: string } | null = null;

  constructor(private readonly beacon: ChainPositionSource) {}

  /**
   * Null when the node cannot be asked, or is syncing or optimistic: its liveness answers would
   * then say "not live" for validators it simply has not seen yet, the unsafe kind of wrong.
   */
  async read(signal?: AbortSignal): Promise<ChainPosition | null> {
    try {
      this.chain ??= { ...readTiming(await this.beacon.getSpec(signal)), genesisValidatorsRoot: (await this.beacon.getGenesis(signal)).genesisValidatorsRoot.toLowerCase() };
      const syncing = await this.beacon.getSyncing(signal);
      if (syncing.isSyncing || syncing.isOptimistic) return null;
      const slot = syncing.headSlot + syncing.syncDistance;
      return { slot, epoch: Math.floor(slot / this.chain.slotsPerEpoch), ...this.chain };
    } catch (error) {
      if (signal?.aborted === true || !isStakeopsError(error)) throw error;
      return null;
    }
  }
}

function readTiming(spec: Readonly<Record<string, string>>): { slotsPerEpoch: number; secondsPerSlot: number } {
  const value = (name: string): number => {
    const raw = spec[name];
    const n = Number(raw);
    if (raw === undefined || !/^[0-9]+$/.test(raw) || !Number.isSafeInteger(n) || n === 0) {
      throw new BeaconError("BEACON_BAD_RESPONSE", `the beacon node's spec has no usable ${name}`, { endpoint: "/eth/v1/config/spec", method: "GET", reason: name });
    }
    return n;
  };
  return { slotsPerEpoch: value("SLOTS_PER_EPOCH"), secondsPerSlot: value("SECONDS_PER_SLOT") };
}
