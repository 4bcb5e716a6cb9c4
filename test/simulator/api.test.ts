/**
 * The simulator's answers have the Beacon API's shapes: read here by stakeops' own strict readers
 * and client where they exist (src/beacon), by lodestar's types for blocks and states, and by
 * explicit checks for the rest. Also: the chain behaves (head moves, finality stalls and leaks,
 * offline validators go quiet), and the control endpoints drive it.
 */
import { ssz } from "@lodestar/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BeaconClient } from "../../src/beacon/beaconClient.js";
import { readGenesis, readSpec, readSyncing } from "../../src/beacon/responses.js";
import { getJson, getSsz, getState, postJson } from "./httpHelpers.js";
import { simulatedPubkeyHex } from "./pubkeys.js";
import { startBeaconSimulator, type BeaconSimulator } from "./server.js";

const SLOTS = 32;
const FAR = "18446744073709551615";

describe("Beacon API answers of the simulator", () => {
  let sim: BeaconSimulator;
  let client: BeaconClient;
  const validatorCount = 2_400;
  const activeCount = 2_048;

  beforeAll(async () => {
    sim = await startBeaconSimulator({ validatorCount, activeCount, seed: 2, pendingDeposits: 2 });
    client = new BeaconClient({ urls: [sim.url], retries: 0 });
  });
  afterAll(() => sim.close());

  it("genesis, spec and syncing read with stakeops' strict readers; mainnet values, Electra active at the head", async () => {
    const genesis = readGenesis((await getJson(sim.url, "/eth/v1/beacon/genesis")).body);
    expect(genesis.genesisForkVersion).toBe("0x00000000");
    const spec = readSpec((await getJson(sim.url, "/eth/v1/config/spec")).body);
    expect(spec).toMatchObject({ SLOTS_PER_EPOCH: "32", SECONDS_PER_SLOT: "12", SYNC_COMMITTEE_SIZE: "512", MAX_EFFECTIVE_BALANCE_ELECTRA: "2048000000000" });
    expect(spec).toMatchObject({ SHARD_COMMITTEE_PERIOD: "256", BASE_REWARD_FACTOR: "64", EPOCHS_PER_SLASHINGS_VECTOR: "8192", ELECTRA_FORK_VERSION: "0x05000000" });
    expect(Number(spec["ELECTRA_FORK_EPOCH"])).toBeLessThanOrEqual(sim.model.headEpoch);
    expect(spec["FULU_FORK_EPOCH"]).toBe(FAR);
    expect(readSyncing((await getJson(sim.url, "/eth/v1/node/syncing")).body)).toEqual({
      headSlot: sim.model.headSlot,
      syncDistance: 0,
      isSyncing: false,
      isOptimistic: false,
      elOffline: false,
    });
    expect((await getJson<{ data: { version: string } }>(sim.url, "/eth/v1/node/version")).body.data.version).toMatch(/simulator/);
  });

  it("stakeops' beacon client finds validators by pubkey, pending deposits and liveness", async () => {
    const pubkeys = [0, 1, activeCount, validatorCount - 1].map(simulatedPubkeyHex);
    const found = await client.getValidatorsByPubkey([...pubkeys, simulatedPubkeyHex(validatorCount + 10)]);
    expect(found.map((v) => v.index)).toEqual([0, 1, activeCount, validatorCount - 1]);
    expect(found[0]).toMatchObject({ status: "active_ongoing", exitEpoch: null, effectiveBalanceGwei: sim.model.validator(0).effectiveBalance });
    const pending = await client.getPendingDepositPubkeys();
    expect(pending).toEqual(new Set([simulatedPubkeyHex(validatorCount), simulatedPubkeyHex(validatorCount + 1)]));
    const live = await client.getLiveness(sim.model.headEpoch - 1, [0, 1, 2, activeCount + 1]);
    expect(live.get(activeCount + 1)).toBe(false);
    expect([0, 1, 2].filter((i) => live.get(i) === true).length).toBeGreaterThan(0);
  });

  it("validators: GET with repeated or comma-separated ids, POST with statuses, a single validator, balances", async () => {
    type Entry = { index: string; balance: string; status: string; validator: Record<string, unknown> };
    const byGet = await getJson<{ execution_optimistic: boolean; finalized: boolean; data: Entry[] }>(
      sim.url,
      `/eth/v1/beacon/states/head/validators?id=3&id=${simulatedPubkeyHex(4)}&id=5,6`,
    );
    expect(byGet.body.data.map((v) => v.index)).toEqual(["3", "4", "5", "6"]);
    expect(byGet.body).toMatchObject({ execution_optimistic: false, finalized: false });
    expect(Object.keys(byGet.body.data[0]!.validator).sort()).toEqual(
      ["activation_eligibility_epoch", "activation_epoch", "effective_balance", "exit_epoch", "pubkey", "slashed", "withdrawable_epoch", "withdrawal_credentials"].sort(),
    );
    const exited = await postJson<{ data: Entry[] }>(sim.url, "/eth/v1/beacon/states/head/validators", { statuses: ["exited", "withdrawal"] });
    expect(exited.body.data.length).toBeGreaterThan(0);
    expect(new Set(exited.body.data.map((v) => v.status.split("_")[0]))).toEqual(new Set(["exited", "withdrawal"]));
    expect(exited.body.data.every((v) => Number(v.index) >= activeCount)).toBe(true);
    const all = await postJson<{ data: Entry[] }>(sim.url, "/eth/v1/beacon/states/head/validators", {});
    expect(all.body.data).toHaveLength(validatorCount);
    const one = await getJson<{ data: Entry }>(sim.url, `/eth/v1/beacon/states/head/validators/${simulatedPubkeyHex(7)}`);
    expect(one.body.data.index).toBe("7");
    expect((await getJson(sim.url, `/eth/v1/beacon/states/head/validators/${validatorCount}`)).status).toBe(404);
    const balances = await postJson<{ data: { index: string; balance: string }[] }>(sim.url, "/eth/v1/beacon/states/head/validator_balances", ["0", "1"]);
    expect(balances.body.data).toEqual([
      { index: "0", balance: String(sim.model.balances(sim.model.headEpoch)[0]) },
      { index: "1", balance: String(sim.model.balances(sim.model.headEpoch)[1]) },
    ]);
  });

  it("headers and blocks: ids, 404 for an empty slot, JSON and SSZ of the same block", async () => {
    type Header = { data: { root: string; canonical: boolean; header: { message: Record<string, string>; signature: string } } };
    const head = await getJson<Header>(sim.url, "/eth/v1/beacon/headers/head");
    expect(head.body.data.canonical).toBe(true);
    expect(Object.keys(head.body.data.header.message).sort()).toEqual(["body_root", "parent_root", "proposer_index", "slot", "state_root"]);
    const byRoot = await getJson<Header>(sim.url, `/eth/v1/beacon/headers/${head.body.data.root}`);
    expect(byRoot.body.data.header.message.slot).toBe(head.body.data.header.message.slot);
    const finalized = await getJson<Header>(sim.url, "/eth/v1/beacon/headers/finalized");
    expect(Number(finalized.body.data.header.message.slot)).toBeLessThanOrEqual((sim.model.headEpoch - 2) * SLOTS);

    const empty = [...Array(4 * SLOTS).keys()].map((i) => sim.model.headSlot - i).find((s) => !sim.model.layout.hasBlock(s));
    if (empty !== undefined) {
      const missing = await getJson<{ code: number; message: string }>(sim.url, `/eth/v2/beacon/blocks/${empty}`);
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ code: 404, message: expect.any(String) });
      expect((await getJson(sim.url, `/eth/v1/beacon/headers/${empty}`)).status).toBe(404);
    }
    expect((await getJson(sim.url, `/eth/v1/beacon/headers/${sim.model.headSlot + 1}`)).status).toBe(404);
    expect((await getJson(sim.url, "/eth/v1/beacon/headers/nonsense")).status).toBe(400);
    const genesis = await getJson<Header>(sim.url, "/eth/v1/beacon/headers/genesis");
    expect(genesis.body.data.header.message.slot).toBe("0");
    expect((await getJson<Header>(sim.url, `/eth/v1/beacon/headers/${genesis.body.data.root}`)).body.data.header.message.slot).toBe("0");

    const json = await getJson<{ version: string; finalized: boolean; data: unknown }>(sim.url, "/eth/v2/beacon/blocks/head");
    expect(json.body.version).toBe("electra");
    expect(json.headers.get("eth-consensus-version")).toBe("electra");
    const fromJson = ssz.electra.SignedBeaconBlock.fromJson(json.body.data);
    const raw = await getSsz(sim.url, "/eth/v2/beacon/blocks/head");
    expect(Buffer.from(raw.bytes).equals(Buffer.from(ssz.electra.SignedBeaconBlock.serialize(fromJson)))).toBe(true);
    // The header's root is the hash tree root of its message, as on a real chain.
    const message = ssz.phase0.BeaconBlockHeader.fromJson(head.body.data.header.message);
    expect(`0x${Buffer.from(ssz.phase0.BeaconBlockHeader.hashTreeRoot(message)).toString("hex")}`).toBe(head.body.data.root);
    const attestations = await getJson<{ data: unknown[] }>(sim.url, "/eth/v2/beacon/blocks/head/attestations");
    expect(attestations.body.data).toEqual(fromJson.message.body.attestations.map((a) => ssz.electra.Attestation.toJson(a)));
  });

  it("committees, sync committees and duties", async () => {
    const epoch = sim.model.headEpoch;
    type Committees = { data: { index: string; slot: string; validators: string[] }[] };
    const all = await getJson<Committees>(sim.url, `/eth/v1/beacon/states/head/committees?epoch=${epoch}`);
    const members = all.body.data.flatMap((c) => c.validators);
    expect(members).toHaveLength(activeCount);
    expect(new Set(members).size).toBe(activeCount);
    expect(all.body.data.every((c) => c.validators.every((v) => /^[0-9]+$/.test(v)))).toBe(true);
    const one = await getJson<Committees>(sim.url, `/eth/v1/beacon/states/head/committees?epoch=${epoch}&index=0&slot=${epoch * SLOTS + 3}`);
    expect(one.body.data).toEqual([all.body.data[3]]);
    expect((await getJson(sim.url, `/eth/v1/beacon/states/head/committees?epoch=${epoch + 2}`)).status).toBe(400);

    const sync = await getJson<{ data: { validators: string[]; validator_aggregates: string[][] } }>(sim.url, "/eth/v1/beacon/states/head/sync_committees");
    expect(sync.body.data.validators).toHaveLength(512);
    expect(sync.body.data.validator_aggregates.map((a) => a.length)).toEqual([128, 128, 128, 128]);

    type Duties = { dependent_root: string; execution_optimistic: boolean; data: { pubkey: string; validator_index: string; slot: string }[] };
    const past = await getJson<Duties>(sim.url, `/eth/v1/validator/duties/proposer/${epoch - 3}`);
    expect(past.status).toBe(200);
    expect(past.body.data).toHaveLength(SLOTS);
    expect(past.body.data[0]).toEqual({ pubkey: simulatedPubkeyHex(Number(past.body.data[0]!.validator_index)), validator_index: past.body.data[0]!.validator_index, slot: String((epoch - 3) * SLOTS) });
    const headers = await getJson<{ data: { root: string } }>(sim.url, `/eth/v1/beacon/blocks/${sim.model.layout.latestBlockSlot((epoch - 3) * SLOTS - 1)}/root`);
    expect(past.body.dependent_root).toBe(headers.body.data.root);
    expect((await getJson(sim.url, `/eth/v1/validator/duties/proposer/${epoch + 2}`)).status).toBe(400);

    const attester = await postJson<{ data: Record<string, string>[] }>(sim.url, `/eth/v1/validator/duties/attester/${epoch}`, ["0", "1"]);
    expect(attester.body.data).toHaveLength(2);
    const duty = attester.body.data[0]!;
    const committee = all.body.data.find((c) => c.slot === duty["slot"] && c.index === duty["committee_index"])!;
    expect(committee.validators[Number(duty["validator_committee_index"])]).toBe("0");
  });

  it("older Lodestar's refusal of past proposer duties, when asked for", async () => {
    const strict = await startBeaconSimulator({ validatorCount: 256, activeCount: 256, pastProposerDuties: 500 });
    try {
      const epoch = strict.model.headEpoch;
      const refused = await getJson<{ code: number; message: string }>(strict.url, `/eth/v1/validator/duties/proposer/${epoch - 1}`);
      expect(refused.status).toBe(500);
      expect(refused.body).toEqual({ code: 500, message: `Requested epoch ${epoch - 1} must equal current ${epoch} or next epoch ${epoch + 1}` });
      expect((await getJson(strict.url, `/eth/v1/validator/duties/proposer/${epoch + 1}`)).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it("finality checkpoints, state root and fork; a small state also as JSON", async () => {
    const epoch = sim.model.headEpoch;
    type Checkpoints = { data: Record<"previous_justified" | "current_justified" | "finalized", { epoch: string; root: string }> };
    const checkpoints = await getJson<Checkpoints>(sim.url, "/eth/v1/beacon/states/head/finality_checkpoints");
    expect(checkpoints.body.data.finalized.epoch).toBe(String(epoch - 2));
    expect(checkpoints.body.data.current_justified.epoch).toBe(String(epoch - 1));
    const root = await getJson<{ data: { root: string } }>(sim.url, "/eth/v1/beacon/states/head/root");
    const byRoot = await getJson<{ data: { root: string } }>(sim.url, `/eth/v1/beacon/states/${root.body.data.root}/root`);
    expect(byRoot.body.data.root).toBe(root.body.data.root);
    const fork = await getJson<{ data: Record<string, string> }>(sim.url, "/eth/v1/beacon/states/head/fork");
    expect(fork.body.data).toEqual({ previous_version: "0x04000000", current_version: "0x05000000", epoch: "364032" });

    const asJson = await getJson<{ version: string; data: unknown }>(sim.url, `/eth/v2/debug/beacon/states/${sim.model.headSlot - 1}`);
    const asSsz = await getState(sim.url, sim.model.headSlot - 1);
    expect(asJson.body.data).toEqual(ssz.electra.BeaconState.toJson(asSsz));
    const ssz1 = await getSsz(sim.url, "/eth/v2/debug/beacon/states/head");
    expect(ssz1.headers.get("eth-consensus-version")).toBe("electra");
    expect(Number(ssz1.headers.get("content-length"))).toBe(ssz1.bytes.length);
    expect((await getJson(sim.url, `/eth/v2/debug/beacon/states/${sim.model.anchorSlot - 1}`)).status).toBe(404);
  });

  it("rewards and liveness: shapes, and refused before the epoch is settled", async () => {
    const epoch = sim.model.headEpoch - 2;
    const rewards = await postJson<{ data: { ideal_rewards: Record<string, string>[]; total_rewards: Record<string, string>[] } }>(
      sim.url,
      `/eth/v1/beacon/rewards/attestations/${epoch}`,
      [],
    );
    expect(rewards.body.data.total_rewards).toHaveLength(activeCount + sim.model.registry.slashedIndices.length);
    expect(Object.keys(rewards.body.data.total_rewards[0]!).sort()).toEqual(["head", "inactivity", "source", "target", "validator_index"]);
    expect(Object.keys(rewards.body.data.ideal_rewards[0]!).sort()).toEqual(["effective_balance", "head", "inactivity", "source", "target"]);
    expect((await postJson(sim.url, `/eth/v1/beacon/rewards/attestations/${epoch + 1}`, [])).status).toBe(400);
    const liveness = await postJson<{ data: { index: string; is_live: boolean }[] }>(sim.url, `/eth/v1/validator/liveness/${epoch}`, ["0", "1"]);
    expect(liveness.body.data.map((l) => l.index)).toEqual(["0", "1"]);
    expect((await postJson(sim.url, `/eth/v1/validator/liveness/${sim.model.headEpoch + 1}`, ["0"])).status).toBe(400);
  });

  it("voluntary exits are accepted and recorded; malformed ones refused", async () => {
    const exit = { message: { epoch: "1", validator_index: "3" }, signature: `0x${"a0".repeat(96)}` };
    expect((await postJson(sim.url, "/eth/v1/beacon/pool/voluntary_exits", exit)).status).toBe(200);
    expect(sim.voluntaryExits).toEqual([exit]);
    expect((await postJson(sim.url, "/eth/v1/beacon/pool/voluntary_exits", { message: {} })).status).toBe(400);
  });
});

describe("the simulated chain over time, driven through /_sim/", () => {
  let sim: BeaconSimulator;

  beforeAll(async () => {
    sim = await startBeaconSimulator({ validatorCount: 1_024, activeCount: 1_024, seed: 9, historyEpochs: 4 });
  });
  afterAll(() => sim.close());

  it("offline validators stop attesting from the next epoch and miss their proposals", async () => {
    const start = sim.model.headEpoch;
    const offline = [10, 11, 12, 13];
    expect((await postJson(sim.url, "/_sim/offline", { indices: offline })).status).toBe(200);
    const head = await postJson<{ headSlot: number }>(sim.url, "/_sim/head", { slot: (start + 3) * SLOTS });
    expect(head.body.headSlot).toBe((start + 3) * SLOTS);
    const state = await getState(sim.url, "head");
    for (const v of offline) expect(state.previousEpochParticipation[v]).toBe(0);
    const liveness = await postJson<{ data: { index: string; is_live: boolean }[] }>(sim.url, `/eth/v1/validator/liveness/${start + 1}`, offline.map(String));
    expect(liveness.body.data.every((l) => !l.is_live)).toBe(true);
    for (let slot = (start + 1) * SLOTS; slot < (start + 3) * SLOTS; slot++) {
      if (offline.includes(sim.model.proposer(slot))) expect(sim.model.layout.hasBlock(slot)).toBe(false);
    }
    await postJson(sim.url, "/_sim/offline", { indices: offline, offline: false });
  });

  it("a finality stall holds the finalized checkpoint, then leaks: inactivity scores and penalties grow", async () => {
    const stalledAt = sim.model.headEpoch;
    expect((await postJson(sim.url, "/_sim/finality", { stalled: true })).status).toBe(200);
    await postJson(sim.url, "/_sim/offline", { from: 100, to: 110 });
    await postJson(sim.url, "/_sim/head", { slot: (stalledAt + 9) * SLOTS });
    const checkpoints = await getJson<{ data: { finalized: { epoch: string } } }>(sim.url, "/eth/v1/beacon/states/head/finality_checkpoints");
    expect(checkpoints.body.data.finalized.epoch).toBe(String(stalledAt - 2));
    const state = await getState(sim.url, "head");
    expect(state.inactivityScores[100]).toBeGreaterThan(0);
    expect(state.inactivityScores[0]).toBe(0);
    const rewards = await postJson<{ data: { total_rewards: Record<string, string>[] } }>(sim.url, `/eth/v1/beacon/rewards/attestations/${stalledAt + 7}`, ["0", "100"]);
    const [online, down] = rewards.body.data.total_rewards;
    // In a leak participating validators earn nothing and the absent pay an inactivity penalty too.
    expect(online).toMatchObject({ source: "0", target: "0", head: "0" });
    expect(Number(down!["inactivity"])).toBeLessThan(0);
    await postJson(sim.url, "/_sim/finality", { stalled: false });
    await postJson(sim.url, "/_sim/head", { slot: (stalledAt + 11) * SLOTS });
    const resumed = await getJson<{ data: { finalized: { epoch: string } } }>(sim.url, "/eth/v1/beacon/states/head/finality_checkpoints");
    expect(resumed.body.data.finalized.epoch).toBe(String(stalledAt + 9));
  });

  it("control endpoints refuse bad bodies with the path of the field", async () => {
    const bad = await postJson<{ code: number; message: string }>(sim.url, "/_sim/head", { slot: "soon" });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/slot/);
    expect((await postJson(sim.url, "/_sim/head", { slot: 0 })).status).toBe(400);
    expect((await postJson(sim.url, "/_sim/reorg", { slot: sim.model.headSlot, change: "sideways" })).status).toBe(400);
  });
});
