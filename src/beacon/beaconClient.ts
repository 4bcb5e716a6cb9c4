/**
 * BeaconNodeApi over the standard Beacon API (JSON) of one or several nodes: failover, retries and
 * health live in BeaconNodePool; this module knows the endpoints, their batching and their
 * fallbacks to the forms older nodes serve.
 *
 * Fallbacks happen within one node (an operation asks the same node the new form, then the old
 * one): an answer is never stitched together from two nodes that may follow different heads.
 */
import { InputError } from "../errors.js";
import type { BeaconGenesis, BeaconNodeApi, BeaconSyncing, BeaconValidator, ChainDataApi, ExitBeaconApi, StateReadRequest } from "./beaconApi.js";
import type { SignedVoluntaryExitJson } from "../exit/signedExit.js";
import {
  readAttestationRewards,
  readBlock,
  readCommittees,
  readFinality,
  readHeader,
  readProposerDuties,
  readSyncCommittee,
  type AttestationRewards,
  type BlockHeaderSummary,
  type BlockSummary,
  type Committee,
  type FinalityCheckpoints,
  type ProposerDuty,
} from "./chainResponses.js";
import { readStateStream, type StateSnapshot } from "./stateReader.js";
import { BeaconError } from "./errors.js";
import {
  BeaconNodePool,
  type BeaconNodeHealth,
  type BeaconNodePoolDependencies,
  type BeaconNodePoolOptions,
  type BeaconNodeSession,
} from "./nodePool.js";
import { readGenesis, readLiveness, readPendingDepositPubkeys, readPendingPartialWithdrawalIndices, readSpec, readSyncing, readValidators } from "./responses.js";

export const ROUTES = {
  genesis: "/eth/v1/beacon/genesis",
  spec: "/eth/v1/config/spec",
  syncing: "/eth/v1/node/syncing",
  validators: "/eth/v1/beacon/states/{state_id}/validators",
  pendingDeposits: "/eth/v1/beacon/states/{state_id}/pending_deposits",
  liveness: "/eth/v1/validator/liveness/{epoch}",
  /** The form before the POST one (Lodestar 1.x until 2023): repeated `indices` and `epoch` in the query. */
  livenessOld: "/eth/v1/validator/liveness",
  header: "/eth/v1/beacon/headers/{block_id}",
  block: "/eth/v2/beacon/blocks/{block_id}",
  finality: "/eth/v1/beacon/states/{state_id}/finality_checkpoints",
  state: "/eth/v2/debug/beacon/states/{state_id}",
  committees: "/eth/v1/beacon/states/{state_id}/committees",
  proposerDuties: "/eth/v1/validator/duties/proposer/{epoch}",
  syncCommittees: "/eth/v1/beacon/states/{state_id}/sync_committees",
  attestationRewards: "/eth/v1/beacon/rewards/attestations/{epoch}",
  pendingPartialWithdrawals: "/eth/v1/beacon/states/{state_id}/pending_partial_withdrawals",
  voluntaryExits: "/eth/v1/beacon/pool/voluntary_exits",
} as const;

export interface BeaconClientOptions extends BeaconNodePoolOptions {
  /** Ids per POST request body (validators and liveness); big lists go in several requests. */
  readonly postBatchSize?: number;
  /** Pubkeys per GET .../validators?id=… request: the API allows 64, and 32 keeps the URL near 3 KB for proxies. */
  readonly validatorsPerGet?: number;
  /** Indices per old-form GET liveness request. */
  readonly livenessPerGet?: number;
  /** Validator indices per rewards request (the answer is ~150 bytes per validator). */
  readonly rewardsBatchSize?: number;
}

export type BeaconClientDependencies = BeaconNodePoolDependencies;

const PUBKEY = /^0x[0-9a-fA-F]{96}$/;

export class BeaconClient implements BeaconNodeApi, ChainDataApi, ExitBeaconApi {
  private readonly pool: BeaconNodePool;
  private readonly postBatchSize: number;
  private readonly validatorsPerGet: number;
  private readonly livenessPerGet: number;
  private readonly rewardsBatchSize: number;

  constructor(options: BeaconClientOptions, dependencies: BeaconClientDependencies = {}) {
    this.pool = new BeaconNodePool(options, dependencies);
    this.postBatchSize = batchSize(options.postBatchSize ?? 1000, "postBatchSize");
    this.validatorsPerGet = batchSize(options.validatorsPerGet ?? 32, "validatorsPerGet");
    this.livenessPerGet = batchSize(options.livenessPerGet ?? 100, "livenessPerGet");
    this.rewardsBatchSize = batchSize(options.rewardsBatchSize ?? 100_000, "rewardsBatchSize");
  }

  /** Per node: consecutive failures, last error and last success (labels are host:port). */
  nodeHealth(): BeaconNodeHealth[] {
    return this.pool.nodeHealth();
  }

  /**
   * Asks every node for its genesis and throws BEACON_CHAINS_DIFFER when two answering nodes follow
   * different chains (an operator pointed one URL at another network): mixing their answers would be
   * silently wrong. Nodes that do not answer are reported, not fatal.
   */
  async checkSameChain(signal?: AbortSignal): Promise<{ genesis: BeaconGenesis | null; unreachable: string[] }> {
    const answers = await this.pool.eachNode((node) => node.request({ method: "GET", route: ROUTES.genesis }, readGenesis), signal);
    const answered = answers.filter((a): a is { node: string; result: BeaconGenesis } => a.result !== undefined);
    const first = answered[0];
    for (const other of answered.slice(1)) {
      if (first !== undefined && (other.result.genesisValidatorsRoot !== first.result.genesisValidatorsRoot || other.result.genesisTime !== first.result.genesisTime)) {
        throw new BeaconError(
          "BEACON_CHAINS_DIFFER",
          `beacon nodes ${first.node} and ${other.node} follow different chains (genesis validators root ${first.result.genesisValidatorsRoot} vs ${other.result.genesisValidatorsRoot}); fix BEACON_NODE_URLS`,
          { endpoint: ROUTES.genesis, method: "GET", node: other.node },
        );
      }
    }
    return { genesis: first?.result ?? null, unreachable: answers.filter((a) => a.error !== undefined).map((a) => a.node) };
  }

  getGenesis(signal?: AbortSignal): Promise<BeaconGenesis> {
    return this.pool.run((node) => node.request({ method: "GET", route: ROUTES.genesis }, readGenesis), signal);
  }

  getSpec(signal?: AbortSignal): Promise<Readonly<Record<string, string>>> {
    return this.pool.run((node) => node.request({ method: "GET", route: ROUTES.spec }, readSpec), signal);
  }

  getSyncing(signal?: AbortSignal): Promise<BeaconSyncing> {
    return this.pool.run((node) => node.request({ method: "GET", route: ROUTES.syncing }, readSyncing), signal);
  }

  async getValidatorsByPubkey(pubkeys: readonly string[], stateId = "head", signal?: AbortSignal): Promise<BeaconValidator[]> {
    const wanted = [...new Set(pubkeys.map(normalizePubkey))];
    const found: BeaconValidator[] = [];
    for (const batch of chunks(wanted, this.postBatchSize)) {
      found.push(...(await this.pool.run((node) => this.validatorsBatch(node, batch, stateId), signal)));
    }
    return found;
  }

  async getPendingDepositPubkeys(stateId = "head", signal?: AbortSignal): Promise<ReadonlySet<string> | null> {
    try {
      return await this.pool.run(
        (node) => node.request({ method: "GET", route: ROUTES.pendingDeposits, params: { state_id: stateId } }, readPendingDepositPubkeys),
        signal,
      );
    } catch (error) {
      // Nodes before Electra have no such list; the caller treats null as "unknown here".
      if (error instanceof BeaconError && error.code === "BEACON_NOT_SUPPORTED") return null;
      throw error;
    }
  }

  async getLiveness(epoch: number, indices: readonly number[], signal?: AbortSignal): Promise<ReadonlyMap<number, boolean>> {
    checkUint(epoch, "epoch");
    indices.forEach((index) => checkUint(index, "validator index"));
    const wanted = [...new Set(indices)];
    const live = new Map<number, boolean>();
    for (const batch of chunks(wanted, this.postBatchSize)) {
      const answer = await this.pool.run((node) => this.livenessBatch(node, epoch, batch), signal);
      for (const [index, isLive] of answer) live.set(index, isLive);
    }
    return live;
  }

  getHeader(blockId: string | number, signal?: AbortSignal): Promise<BlockHeaderSummary | null> {
    return orNull(this.pool.run((node) => node.request({ method: "GET", route: ROUTES.header, params: { block_id: blockId } }, readHeader), signal));
  }

  getBlock(slot: number, signal?: AbortSignal): Promise<BlockSummary | null> {
    checkUint(slot, "slot");
    return orNull(this.pool.run((node) => node.request({ method: "GET", route: ROUTES.block, params: { block_id: slot } }, readBlock), signal));
  }

  getFinality(stateId: string | number, signal?: AbortSignal): Promise<FinalityCheckpoints> {
    return this.pool.run((node) => node.request({ method: "GET", route: ROUTES.finality, params: { state_id: stateId } }, readFinality), signal);
  }

  getStateSnapshot(stateId: string | number, read: StateReadRequest, signal?: AbortSignal): Promise<StateSnapshot | null> {
    return orNull(
      this.pool.run(
        (node) =>
          node.stream({ method: "GET", route: ROUTES.state, params: { state_id: stateId } }, "application/octet-stream", (body, headers) => {
            const length = Number(headers.get("content-length") ?? NaN);
            return readStateStream(body, { ...read, ...(Number.isSafeInteger(length) ? { expectedLength: length } : {}) });
          }),
        signal,
      ),
    );
  }

  getCommittees(stateId: string | number, epoch: number, signal?: AbortSignal): Promise<Committee[] | null> {
    checkUint(epoch, "epoch");
    const query = new URLSearchParams({ epoch: String(epoch) });
    return orNull(this.pool.run((node) => node.request({ method: "GET", route: ROUTES.committees, params: { state_id: stateId }, query }, readCommittees), signal));
  }

  async getProposerDuties(epoch: number, signal?: AbortSignal): Promise<ProposerDuty[] | null> {
    checkUint(epoch, "epoch");
    try {
      return await this.pool.run((node) => node.request({ method: "GET", route: ROUTES.proposerDuties, params: { epoch } }, readProposerDuties), signal);
    } catch (error) {
      // Older nodes serve only the current and next epoch and answer other epochs with 400 or 500
      // ("Requested epoch 1 must equal current 2 or next epoch 3"): for a past epoch that is "not here".
      if (error instanceof BeaconError && (error.code === "BEACON_NOT_SUPPORTED" || error.code === "BEACON_HTTP_ERROR")) return null;
      throw error;
    }
  }

  getSyncCommittee(stateId: string | number, epoch: number, signal?: AbortSignal): Promise<number[] | null> {
    checkUint(epoch, "epoch");
    const query = new URLSearchParams({ epoch: String(epoch) });
    return orNull(
      this.pool.run((node) => node.request({ method: "GET", route: ROUTES.syncCommittees, params: { state_id: stateId }, query }, readSyncCommittee), signal),
    );
  }

  async getAttestationRewards(epoch: number, indices: readonly number[], signal?: AbortSignal): Promise<AttestationRewards | null> {
    checkUint(epoch, "epoch");
    const earned = new Map<number, number>();
    const ideal = new Map<number, number>();
    // An empty body would mean "every validator": never send one.
    for (const batch of chunks([...new Set(indices)], this.rewardsBatchSize)) {
      const answer = await orNull(
        this.pool.run(
          (node) => node.request({ method: "POST", route: ROUTES.attestationRewards, params: { epoch }, body: batch.map(String) }, readAttestationRewards),
          signal,
        ),
      );
      if (answer === null) return null;
      for (const [index, reward] of answer.earned) earned.set(index, reward);
      for (const [balance, reward] of answer.idealByEffectiveBalance) ideal.set(balance, reward);
    }
    return { earned, idealByEffectiveBalance: ideal };
  }

  async getPendingPartialWithdrawalIndices(signal?: AbortSignal): Promise<ReadonlySet<number>> {
    const answer = await orNull(
      this.pool.run((node) => node.request({ method: "GET", route: ROUTES.pendingPartialWithdrawals, params: { state_id: "head" } }, readPendingPartialWithdrawalIndices), signal),
    );
    // Before electra the endpoint does not exist, and neither can a pending partial withdrawal.
    return answer ?? new Set();
  }

  /**
   * Every node gets the exit, not just the first that takes it: a node's pool only gossips what it
   * accepted, and a node may be partitioned. A node that refuses (400: already exiting, invalid)
   * or fails is reported, not retried here; the exit tracker resubmits next epoch.
   */
  async submitVoluntaryExit(exit: SignedVoluntaryExitJson, signal?: AbortSignal): Promise<{ node: string; accepted: boolean; message: string }[]> {
    const answers = await this.pool.eachNode(
      (node) => node.request({ method: "POST", route: ROUTES.voluntaryExits, body: exit }, () => true),
      signal,
    );
    return answers.map((a) => ({ node: a.node, accepted: a.result === true, message: a.error?.message ?? "" }));
  }

  /** POST with `{ids}` (large lists in the body); the GET form with repeated `id` where POST is not served. */
  private async validatorsBatch(node: BeaconNodeSession, pubkeys: readonly string[], stateId: string): Promise<BeaconValidator[]> {
    const requested = new Set(pubkeys);
    try {
      return await node.request(
        { method: "POST", route: ROUTES.validators, params: { state_id: stateId }, body: { ids: pubkeys } },
        (json) => readValidators(json, requested),
      );
    } catch (error) {
      if (!(error instanceof BeaconError && error.code === "BEACON_NOT_SUPPORTED")) throw error;
    }
    const found: BeaconValidator[] = [];
    for (const chunk of chunks(pubkeys, this.validatorsPerGet)) {
      // Repeated `id=` (OpenAPI's default for query arrays): Lodestar 1.5 reads `id=a,b` as one
      // unknown id and answers an empty list, which would look like "no such validators".
      const query = new URLSearchParams(chunk.map((pubkey): [string, string] => ["id", pubkey]));
      const chunkSet = new Set(chunk);
      found.push(
        ...(await node.request({ method: "GET", route: ROUTES.validators, params: { state_id: stateId }, query }, (json) =>
          readValidators(json, chunkSet),
        )),
      );
    }
    return found;
  }

  /** POST /liveness/{epoch} with index strings; the old GET form (numbers in the answer) where POST is not served. */
  private async livenessBatch(node: BeaconNodeSession, epoch: number, indices: readonly number[]): Promise<Map<number, boolean>> {
    try {
      return await node.request({ method: "POST", route: ROUTES.liveness, params: { epoch }, body: indices.map(String) }, (json) =>
        readLiveness(json, indices),
      );
    } catch (error) {
      if (!(error instanceof BeaconError && error.code === "BEACON_NOT_SUPPORTED")) throw error;
    }
    const live = new Map<number, boolean>();
    for (const chunk of chunks(indices, this.livenessPerGet)) {
      const query = new URLSearchParams([...chunk.map((index): [string, string] => ["indices", String(index)]), ["epoch", String(epoch)]]);
      const answer = await node.request({ method: "GET", route: ROUTES.livenessOld, query }, (json) => readLiveness(json, chunk));
      for (const [index, isLive] of answer) live.set(index, isLive);
    }
    return live;
  }
}

/** "Not served here" (404 and the like, from every node) as null. */
async function orNull<T>(pending: Promise<T>): Promise<T | null> {
  try {
    return await pending;
  } catch (error) {
    if (error instanceof BeaconError && error.code === "BEACON_NOT_SUPPORTED") return null;
    throw error;
  }
}

function normalizePubkey(pubkey: string): string {
  if (!PUBKEY.test(pubkey)) {
    throw new InputError("INVALID_HEX", `a validator pubkey must be 0x and 48 bytes of hex (got "${pubkey.slice(0, 20)}…")`, {
      what: "validator pubkey",
    });
  }
  return pubkey.toLowerCase();
}

function checkUint(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InputError("INVALID_ARGUMENT", `${what} must be a non-negative integer, got ${String(value)}`, { what });
  }
}

function batchSize(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new InputError("INVALID_ARGUMENT", `${what} must be a positive integer`, { what });
  return value;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
