/**
 * BeaconClient against a real Lodestar 1.5.1 chain (the shared devnet): 16 interop genesis
 * validators on the minimal preset, 0..13 run by the node itself, 14 and 15 by nobody.
 * Lodestar 1.5.1 serves neither POST .../validators nor POST /liveness/{epoch} nor pending_deposits,
 * so this file also proves the fallbacks on a real node, not only on the fault-injecting fakes.
 */
import { createHash } from "node:crypto";
import { ssz } from "@lodestar/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BeaconGenesis } from "../../src/beacon/beaconApi.js";
import { BeaconClient } from "../../src/beacon/beaconClient.js";
import type { BeaconRequestEvent } from "../../src/beacon/nodePool.js";
import { currentSlot, interopPubkey, startDevnet, untilSlot, type Devnet } from "../helpers/devnet.js";

const SLOTS_PER_EPOCH = 8;
const GENESIS_VALIDATORS = 16;
const RUN_BY_NODE = 14;

let devnet: Devnet;
let client: BeaconClient;
let genesis: BeaconGenesis;
const events: BeaconRequestEvent[] = [];

beforeAll(async () => {
  devnet = await startDevnet({ slotSeconds: 1 });
  client = new BeaconClient({ urls: [devnet.beaconUrl], timeoutMs: 5_000 }, { onRequest: (event) => events.push(event) });
  genesis = await client.getGenesis();
}, 240_000);

afterAll(async () => {
  await devnet?.stop();
}, 60_000);

/** hash_tree_root of the genesis registry: the interop keys with 0x00 credentials, 32 ETH, active from epoch 0. */
function interopGenesisValidatorsRoot(): string {
  const validators = Array.from({ length: GENESIS_VALIDATORS }, (_, i) => {
    const pubkey = Buffer.from(interopPubkey(i).slice(2), "hex");
    const withdrawalCredentials = createHash("sha256").update(pubkey).digest();
    withdrawalCredentials[0] = 0;
    return {
      pubkey,
      withdrawalCredentials,
      effectiveBalance: 32e9,
      slashed: false,
      activationEligibilityEpoch: 0,
      activationEpoch: 0,
      exitEpoch: Infinity,
      withdrawableEpoch: Infinity,
    };
  });
  return `0x${Buffer.from(ssz.phase0.Validators.hashTreeRoot(validators)).toString("hex")}`;
}

describe("BeaconClient on a Lodestar 1.5.1 devnet", () => {
  it("reads the genesis of the chain the devnet just made", async () => {
    const spec = await client.getSpec();
    expect(genesis.genesisValidatorsRoot).toBe(interopGenesisValidatorsRoot());
    // Every fork through Capella is active from epoch 0, so the genesis state already has Capella's version.
    expect(genesis.genesisForkVersion).toBe(spec.CAPELLA_FORK_VERSION);
    // start-dev.sh makes a new genesis a few seconds after start.
    expect(Math.abs(genesis.genesisTime - Date.now() / 1000)).toBeLessThan(120);
  });

  it("reads the chain spec as strings: minimal preset, 8 slots per epoch, 1 s slots", async () => {
    const spec = await client.getSpec();
    expect(spec).toMatchObject({ PRESET_BASE: "minimal", SLOTS_PER_EPOCH: "8", SECONDS_PER_SLOT: "1", SHARD_COMMITTEE_PERIOD: "0" });
  });

  it("reads the sync status of a node that makes its own blocks", async () => {
    await untilSlot(genesis.genesisTime, devnet.slotSeconds, 3);
    const syncing = await client.getSyncing();
    expect(syncing).toMatchObject({ isSyncing: false, isOptimistic: false, elOffline: false, syncDistance: 0 });
    expect(syncing.headSlot).toBeGreaterThanOrEqual(1);
    expect(syncing.headSlot).toBeLessThanOrEqual(currentSlot(genesis.genesisTime, devnet.slotSeconds) + 1);
  });

  it("finds interop validators 0 and 15 by pubkey and leaves an unknown key out (POST 404, then GET)", async () => {
    events.length = 0;
    const unknown = `0x${"ab".repeat(48)}`;
    const found = await client.getValidatorsByPubkey([interopPubkey(15), unknown, interopPubkey(0).toUpperCase().replace("0X", "0x")]);
    expect(found.map((v) => v.index).sort((a, b) => a - b)).toEqual([0, 15]);
    for (const validator of found) {
      expect(validator).toMatchObject({
        pubkey: interopPubkey(validator.index),
        status: "active_ongoing",
        effectiveBalanceGwei: 32_000_000_000,
        slashed: false,
        activationEligibilityEpoch: 0,
        activationEpoch: 0,
        exitEpoch: null,
        withdrawableEpoch: null,
      });
      expect(validator.withdrawalCredentials).toMatch(/^0x00[0-9a-f]{62}$/);
      expect(validator.balanceGwei).toBeGreaterThan(31_000_000_000);
    }
    expect(events.map((e) => [e.method, e.endpoint, e.status])).toEqual([
      ["POST", "/eth/v1/beacon/states/{state_id}/validators", 404],
      ["GET", "/eth/v1/beacon/states/{state_id}/validators", 200],
    ]);
  });

  it("says null for pending deposits: Lodestar 1.5.1 has no such endpoint", async () => {
    await expect(client.getPendingDepositPubkeys()).resolves.toBeNull();
  });

  it("reports liveness of a finished epoch: validators 0..13 attest, 14 and 15 have no validator client", async () => {
    // Epoch 1 is complete, and its last attestations processed, a few slots into epoch 2. Lodestar
    // answers only for the current epoch and the one before it.
    await untilSlot(genesis.genesisTime, devnet.slotSeconds, 2 * SLOTS_PER_EPOCH + 3);
    const epoch = Math.floor(currentSlot(genesis.genesisTime, devnet.slotSeconds) / SLOTS_PER_EPOCH) - 1;
    events.length = 0;
    const indices = Array.from({ length: GENESIS_VALIDATORS }, (_, i) => i);
    const live = await client.getLiveness(epoch, indices);
    // Every validator answered; 14 and 15 have no client. The node's own validators attest, but on
    // a loaded machine a young chain's node misses a few, so "most of them" rather than all.
    expect([...live.keys()].sort((a, b) => a - b)).toEqual(indices);
    expect(indices.filter((i) => i >= RUN_BY_NODE).map((i) => live.get(i))).toEqual([false, false]);
    expect(indices.filter((i) => i < RUN_BY_NODE && live.get(i) === true).length).toBeGreaterThanOrEqual(RUN_BY_NODE - 4);
    expect(events.map((e) => [e.method, e.endpoint, e.status])).toEqual([
      ["POST", "/eth/v1/validator/liveness/{epoch}", 404],
      ["GET", "/eth/v1/validator/liveness", 200],
    ]);
  }, 60_000);

  it("fails over from a node that refuses connections to the devnet, and records the first node's health", async () => {
    const dead = new BeaconClient({ urls: ["http://127.0.0.1:1", devnet.beaconUrl], retries: 0 });
    await expect(dead.getGenesis()).resolves.toEqual(genesis);
    const [first, second] = dead.nodeHealth();
    expect(first).toMatchObject({
      node: "127.0.0.1:1",
      consecutiveFailures: 1,
      lastSuccessAt: null,
      lastError: { code: "BEACON_UNREACHABLE" },
    });
    expect(second).toMatchObject({ consecutiveFailures: 0, lastError: null });
    expect(second?.lastSuccessAt).toEqual(expect.any(Number));
  });
});
