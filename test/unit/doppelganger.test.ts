/**
 * The doppelganger check's rules, on a real SQLite registry with a scripted beacon node (the
 * simulator test in test/api/riskSimulated.test.ts runs the same check over HTTP): which epochs
 * count after a removal, the window, other modules' expectations, a node that lags at an epoch
 * boundary or has no liveness endpoint, and resolution once the key falls silent.
 */
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BeaconNodeApi } from "../../src/beacon/beaconApi.js";
import { BeaconError } from "../../src/beacon/errors.js";
import { silentLogger } from "../../src/jobs/logger.js";
import { DoppelgangerCheck } from "../../src/risk/doppelganger.js";
import { RemovedKeysExpectations, type OfflineExpectations } from "../../src/risk/offlineExpectations.js";
import type { Store } from "../../src/store/database.js";
import { KeyAssignmentsRepository } from "../../src/store/keyAssignments.js";
import { OperatorsRepository } from "../../src/store/operators.js";
import { RiskSignalsRepository } from "../../src/store/riskSignals.js";
import { ValidatorClientsRepository } from "../../src/store/validatorClients.js";
import { ValidatorKeysRepository } from "../../src/store/validatorKeys.js";
import { openTestStore } from "../helpers/stores.js";

/** Mainnet timing, genesis at 0: epoch e starts at e × 384 s. */
const EPOCH_MS = 384_000;
const at = (epoch: number, slot = 0): Date => new Date(epoch * EPOCH_MS + slot * 12_000);
const pk = (n: number): string => `0x${n.toString(16).padStart(96, "0")}`;

/** A beacon node whose liveness answers come from `live` (epoch → live indices); `fail` scripts errors per epoch. */
class ScriptedBeacon implements Pick<BeaconNodeApi, "getGenesis" | "getSpec" | "getLiveness"> {
  live = new Map<number, Set<number>>();
  fail = new Map<number, BeaconError>();
  asked: [number, number[]][] = [];
  getGenesis = () => Promise.resolve({ genesisTime: 0, genesisValidatorsRoot: `0x${"00".repeat(32)}`, genesisForkVersion: "0x00000000" });
  getSpec = () => Promise.resolve({ SECONDS_PER_SLOT: "12", SLOTS_PER_EPOCH: "32" });
  getLiveness = (epoch: number, indices: readonly number[]): Promise<ReadonlyMap<number, boolean>> => {
    this.asked.push([epoch, [...indices].sort((a, b) => a - b)]);
    const failure = this.fail.get(epoch);
    if (failure !== undefined) return Promise.reject(failure);
    return Promise.resolve(new Map(indices.map((i) => [i, this.live.get(epoch)?.has(i) ?? false])));
  };
}

let opened: { store: Store; dispose(): Promise<void> };
let beacon: ScriptedBeacon;
let signals: RiskSignalsRepository;
let assignments: KeyAssignmentsRepository;
let now: Date;
let extra: OfflineExpectations[];

function check(windowEpochs = 100): DoppelgangerCheck {
  const { db } = opened.store;
  return new DoppelgangerCheck(
    { windowEpochs },
    {
      beacon,
      expectations: [new RemovedKeysExpectations({ assignments }), ...extra],
      keys: new ValidatorKeysRepository(db),
      assignments,
      signals,
      clock: { now: () => now },
      logger: silentLogger,
    },
  );
}

/** Key n (validator index n) was in client vc1 and was removed at `removedAt`. */
async function removed(n: number, removedAt: Date): Promise<string> {
  const id = randomUUID();
  await assignments.insert({ id, pubkey: pk(n), validator_client_id: "vc1", state: "active", created_at: removedAt.toISOString(), updated_at: removedAt.toISOString() });
  await assignments.setState(id, "removed", removedAt.toISOString());
  return id;
}

beforeEach(async () => {
  opened = await openTestStore("sqlite");
  const { db } = opened.store;
  const t0 = at(0).toISOString();
  await new OperatorsRepository(db).insert({ id: "acme", name: "acme", reward_address: null, active: 1, key_limit: null, token_hash: "h", created_at: t0, updated_at: t0 });
  await new ValidatorClientsRepository(db).insert({ id: "vc1", operator_id: "acme", url: "http://127.0.0.1:1", token_encrypted: "x", created_at: t0, last_polled_at: null, last_error: null });
  await new ValidatorKeysRepository(db).insertMany(
    [1, 2, 3, 4].map((n) => ({
      pubkey: pk(n), operator_id: "acme", source: "existing" as const, derivation_path: null, withdrawal_credentials: null, amount_gwei: null, deposit_signature: null,
      deposit_message_root: null, deposit_data_root: null, state: "active" as const, validator_index: n, in_custody: 1, created_at: t0, updated_at: t0,
    })),
  );
  beacon = new ScriptedBeacon();
  signals = new RiskSignalsRepository(db);
  assignments = new KeyAssignmentsRepository(db);
  extra = [];
});
afterEach(async () => opened.dispose());

const openKinds = async (): Promise<[string, string | null, unknown][]> =>
  (await signals.list()).map((s): [string, string | null, unknown] => [s.kind, s.pubkey, JSON.parse(s.details)]);

describe("doppelganger check", () => {
  it("judges only epochs that began after the removal, raises DOPPELGANGER when live, resolves once silent", async () => {
    await removed(1, at(100, 5));
    // Still in the removal's epoch: its last legitimate vote may be in it, so nothing is asked.
    now = at(100, 20);
    expect(await check().check()).toMatchObject({ currentEpoch: 100, checked: 0, live: [] });
    expect(beacon.asked).toEqual([]);

    // Epoch 101: only 101 counts (100 is the removal's).
    now = at(101, 3);
    beacon.live.set(101, new Set([1]));
    expect(await check().check()).toMatchObject({ checked: 1, live: [pk(1)] });
    expect(beacon.asked).toEqual([[101, [1]]]);
    expect(await openKinds()).toEqual([["DOPPELGANGER", pk(1), { liveEpochs: [101], expectedOfflineSince: at(100, 5).toISOString(), reasons: ["removed"] }]]);
    const [signal] = await signals.list();
    expect(signal).toMatchObject({ severity: "critical", operator_id: "acme", validator_index: 1 });

    // Epoch 103: silent in 102 and 103.
    now = at(103, 10);
    expect(await check().check()).toMatchObject({ checked: 1, live: [], resolved: 1 });
    expect(await openKinds()).toEqual([]);
  });

  it("keys removed before the window, or in a client again, are not expected offline", async () => {
    await removed(1, at(10));
    await removed(2, at(150));
    const again = randomUUID();
    await removed(3, at(150));
    await assignments.insert({ id: again, pubkey: pk(3), validator_client_id: "vc1", state: "active", created_at: at(151).toISOString(), updated_at: at(151).toISOString() });
    now = at(160);
    beacon.live.set(159, new Set([1, 2, 3]));
    expect(await check(100).check()).toMatchObject({ checked: 1, live: [pk(2)] });
    expect(beacon.asked).toEqual([
      [159, [2]],
      [160, [2]],
    ]);
  });

  it("another module's expectations (a migration between two clients) are checked the same way", async () => {
    extra = [{ expectedOffline: () => Promise.resolve([{ pubkey: pk(4), validatorIndex: null, since: at(200, 31).toISOString(), reason: "migrating" }]) }];
    now = at(201, 4);
    beacon.live.set(201, new Set([4]));
    await check().check();
    expect(await openKinds()).toEqual([["DOPPELGANGER", pk(4), { liveEpochs: [201], expectedOfflineSince: at(200, 31).toISOString(), reasons: ["migrating"] }]]);
  });

  it("a key found live stays watched after its expectation ends, until it is silent", async () => {
    const expectation = { pubkey: pk(4), validatorIndex: 4, since: at(300).toISOString(), reason: "migrating" };
    let migrating = true;
    extra = [{ expectedOffline: () => Promise.resolve(migrating ? [expectation] : []) }];
    now = at(302);
    beacon.live.set(301, new Set([4]));
    await check().check();
    migrating = false;
    now = at(303);
    beacon.live.set(302, new Set([4]));
    expect(await check().check()).toMatchObject({ live: [pk(4)] });
    expect((await openKinds()).map((o) => o[0])).toEqual(["DOPPELGANGER"]);
    now = at(305);
    expect(await check().check()).toMatchObject({ live: [], resolved: 1 });
  });

  it("a node a moment behind at the epoch boundary refuses the current epoch: that is no failure", async () => {
    await removed(1, at(400));
    now = at(402);
    beacon.live.set(401, new Set([1]));
    beacon.fail.set(402, new BeaconError("BEACON_HTTP_ERROR", "epoch 402 is in the future", { endpoint: "/eth/v1/validator/liveness/{epoch}", method: "POST", status: 400 }));
    expect(await check().check()).toMatchObject({ live: [pk(1)] });
  });

  it("resolves nothing when the node cannot be asked; says so when it has no liveness endpoint", async () => {
    await removed(1, at(500));
    now = at(502);
    beacon.live.set(501, new Set([1]));
    await check().check();
    now = at(504);
    beacon.fail.set(503, new BeaconError("BEACON_UNREACHABLE", "down", { endpoint: "/eth/v1/validator/liveness/{epoch}", method: "POST" }));
    await expect(check().check()).rejects.toMatchObject({ code: "BEACON_UNREACHABLE" });
    beacon.fail.set(503, new BeaconError("BEACON_NOT_SUPPORTED", "404", { endpoint: "/eth/v1/validator/liveness/{epoch}", method: "POST", status: 404 }));
    expect(await check().check()).toMatchObject({ unsupported: true, resolved: 0 });
    expect((await openKinds()).map((o) => o[0])).toEqual(["DOPPELGANGER"]);
  });
});
