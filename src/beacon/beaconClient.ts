/**
 * BeaconNodeApi over the standard Beacon API (JSON) of one or several nodes: failover, retries and
 * health live in BeaconNodePool; this module knows the endpoints, their batching and their
 * fallbacks to the forms older nodes serve.
 *
 * Fallbacks happen within one node (an operation asks the same node the new form, then the old
 * one): an answer is never stitched together from two nodes that may follow different heads.
 */
import { InputError } from "../errors.js";
import type { BeaconGenesis, BeaconNodeApi, BeaconSyncing, BeaconValidator } from "./beaconApi.js";
import { BeaconError } from "./errors.js";
import {
  BeaconNodePool,
  type BeaconNodeHealth,
  type BeaconNodePoolDependencies,
  type BeaconNodePoolOptions,
  type BeaconNodeSession,
} from "./nodePool.js";
import { readGenesis, readLiveness, readPendingDepositPubkeys, readSpec, readSyncing, readValidators } from "./responses.js";

export const ROUTES = {
  genesis: "/eth/v1/beacon/genesis",
  spec: "/eth/v1/config/spec",
  syncing: "/eth/v1/node/syncing",
  validators: "/eth/v1/beacon/states/{state_id}/validators",
  pendingDeposits: "/eth/v1/beacon/states/{state_id}/pending_deposits",
  liveness: "/eth/v1/validator/liveness/{epoch}",
  /** The form before the POST one (Lodestar 1.x until 2023): repeated `indices` and `epoch` in the query. */
  livenessOld: "/eth/v1/validator/liveness",
} as const;

export interface BeaconClientOptions extends BeaconNodePoolOptions {
  /** Ids per POST request body (validators and liveness); big lists go in several requests. */
  readonly postBatchSize?: number;
  /** Pubkeys per GET .../validators?id=… request: the API allows 64, and 32 keeps the URL near 3 KB for proxies. */
  readonly validatorsPerGet?: number;
  /** Indices per old-form GET liveness request. */
  readonly livenessPerGet?: number;
}

export type BeaconClientDependencies = BeaconNodePoolDependencies;

const PUBKEY = /^0x[0-9a-fA-F]{96}$/;

export class BeaconClient implements BeaconNodeApi {
  private readonly pool: BeaconNodePool;
  private readonly postBatchSize: number;
  private readonly validatorsPerGet: number;
  private readonly livenessPerGet: number;

  constructor(options: BeaconClientOptions, dependencies: BeaconClientDependencies = {}) {
    this.pool = new BeaconNodePool(options, dependencies);
    this.postBatchSize = batchSize(options.postBatchSize ?? 1000, "postBatchSize");
    this.validatorsPerGet = batchSize(options.validatorsPerGet ?? 32, "validatorsPerGet");
    this.livenessPerGet = batchSize(options.livenessPerGet ?? 100, "livenessPerGet");
  }

  /** Per node: consecutive failures, last error and last success (labels are host:port). */
  nodeHealth(): BeaconNodeHealth[] {
    return this.pool.nodeHealth();
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
