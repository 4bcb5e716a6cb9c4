/**
 * The epoch monitor against the beacon-node simulator (a mainnet-preset electra chain over real
 * HTTP, test/simulator): its figures must equal the simulated chain's own truth (flags, first
 * inclusion, balances, the rewards the simulator's independent spec implementation serves), the
 * rewards the monitor computes itself must equal the simulator's, and faults (5xx, cut bodies,
 * reorgs, refused duties, a syncing node, history out of reach) must end in retry, reprocessing or
 * an epoch recorded as skipped, never in silently wrong or missing figures.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BeaconClient } from "../../src/beacon/beaconClient.js";
import { parseChainSpec } from "../../src/beacon/chainSpec.js";
import { stateLayout } from "../../src/beacon/stateLayout.js";
import { computeAttestationRewards } from "../../src/monitor/attestationRewards.js";
import { EpochMonitor, type MonitorEvents } from "../../src/monitor/epochMonitor.js";
import { RESULT_FLAGS, type ValidatorEpochResult } from "../../src/monitor/performance.js";
import { decodeResults } from "../../src/monitor/resultCodec.js";
import { silentLogger } from "../../src/jobs/logger.js";
import { openStore, type Store } from "../../src/store/database.js";
import { MonitorRepository } from "../../src/store/monitor.js";
import { ValidatorKeysRepository } from "../../src/store/validatorKeys.js";
import { createTestDatabase, type TestDatabase } from "../helpers/stores.js";
import { simulatedPubkeyHex, startBeaconSimulator, type BeaconSimulator } from "../simulator/index.js";
import { registryRow } from "../helpers/registryRows.js";

const VALIDATORS = 6_000;
const ACTIVE = 4_096;
/** Three operators of 300 validators each, spread over the registry; 5,990 is not active. */
const OPERATORS: Record<string, number[]> = {
  alpha: Array.from({ length: 300 }, (_, i) => i * 7),
  beta: Array.from({ length: 300 }, (_, i) => i * 7 + 3),
  gamma: [...Array.from({ length: 299 }, (_, i) => 2_200 + i * 6), 5_990],
};

let sim: BeaconSimulator;
let database: TestDatabase;
let store: Store;
let results: MonitorRepository;
let keys: ValidatorKeysRepository;
const counters = { processed: 0, skipped: 0, reorgs: 0 };
const events: MonitorEvents = {
  epochProcessed: () => void counters.processed++,
  epochsSkipped: (n) => void (counters.skipped += n),
  reorgDetected: () => void counters.reorgs++,
  headSeen: () => undefined,
};

beforeAll(async () => {
  sim = await startBeaconSimulator({ validatorCount: VALIDATORS, activeCount: ACTIVE, seed: 7, genesisTime: Math.floor(Date.now() / 1000) - 12 * 12_000_000 });
  database = await createTestDatabase("sqlite");
  store = await openStore(database.config);
  results = new MonitorRepository(store.db);
  keys = new ValidatorKeysRepository(store.db);
  const now = new Date().toISOString();
  for (const operator of Object.keys(OPERATORS)) {
    await store.db.insertInto("operators").values({ id: operator, name: operator, reward_address: null, active: 1, key_limit: null, token_hash: operator, created_at: now, updated_at: now }).execute();
  }
  await keys.insertMany(
    Object.entries(OPERATORS).flatMap(([operator, indices]) =>
      indices.map((i) => registryRow(simulatedPubkeyHex(i), operator)),
    ),
  );
}, 60_000);

afterAll(async () => {
  await store?.close();
  await database?.dispose();
  await sim?.close();
});

afterEach(() => sim.faults.clear());

function monitor(options: { maxCatchupEpochs?: number; beacon?: BeaconClient } = {}): EpochMonitor {
  return new EpochMonitor(
    { retentionEpochs: 1_000, maxCatchupEpochs: options.maxCatchupEpochs ?? 10 },
    { chain: options.beacon ?? new BeaconClient({ urls: [sim.url], backoffMs: 10 }), results, keys, clock: { now: () => new Date() }, logger: silentLogger, events },
  );
}

async function stored(epoch: number): Promise<Map<number, ValidatorEpochResult>> {
  const all = new Map<number, ValidatorEpochResult>();
  for (const operator of Object.keys(OPERATORS)) {
    for (const row of await results.validatorResults(operator, epoch, epoch)) for (const r of decodeResults(row.data)) all.set(r.index, r);
  }
  return all;
}

function operatorOf(index: number): string {
  return Object.entries(OPERATORS).find(([, indices]) => indices.includes(index))?.[0] ?? "none";
}

describe("epoch monitor against the simulated mainnet chain", () => {
  it("processes the settled epoch and every figure equals the simulated chain's truth", async () => {
    const report = await monitor().tick();
    const epoch = sim.model.headEpoch - 2;
    expect(report.processed).toEqual([epoch]);
    const mine = await stored(epoch);
    // 5,990 is not active: registered, found, and without duties.
    expect(mine.size).toBe(900);
    const inclusion = sim.model.inclusion(epoch);
    const committees = sim.model.committees(epoch);
    const balances = sim.model.balances(epoch + 1);
    const rewards = sim.model.attestationRewards(epoch, [...mine.keys()]);
    const rewardOf = new Map(rewards.total.map((t) => [t.index, t.deltas.source + t.deltas.target + t.deltas.head + t.inactivity]));
    // Statuses as the simulator's own validators endpoint reports them for the same state.
    const served = new Map(
      (await new BeaconClient({ urls: [sim.url] }).getValidatorsByPubkey([...mine.keys()].map(simulatedPubkeyHex), String((epoch + 2) * 32 - 1))).map((v) => [v.index, v]),
    );
    for (const [index, r] of mine) {
      const where = `validator ${index}: ${JSON.stringify(r)}`;
      expect(r.balanceGwei, where).toBe(balances[index]);
      expect(r.status, where).toBe(served.get(index)?.status);
      if (index >= ACTIVE) {
        expect(r.flags & RESULT_FLAGS.duty, where).toBe(0);
        continue;
      }
      expect(r.flags & 7, where).toBe(inclusion.flags[index]);
      const duty = committees.dutyOf(index);
      const included = inclusion.inclusionSlot[index] as number;
      expect(r.inclusionDelay, where).toBe(included === 0 ? 0 : included - (epoch * 32 + (duty?.slotOffset ?? 0)));
      expect(r.earnedGwei, where).toBe(rewardOf.get(index));
    }
    const alpha = JSON.parse((await results.operatorTotals("alpha", epoch, epoch))[0]?.totals ?? "{}") as { attestationDuties: number; attestationMissed: number };
    expect(alpha.attestationDuties).toBe(OPERATORS.alpha?.filter((i) => i < ACTIVE).length);
    expect(alpha.attestationMissed).toBe(OPERATORS.alpha?.filter((i) => i < ACTIVE && inclusion.flags[i] === 0).length);
    // The baseline: every validator active in the epoch, as the simulator's validators endpoint says.
    const everyone = await new BeaconClient({ urls: [sim.url] }).getValidatorsByPubkey(
      Array.from({ length: VALIDATORS }, (_, i) => simulatedPubkeyHex(i)),
      String((epoch + 2) * 32 - 1),
    );
    const active = everyone.filter((v) => (v.activationEpoch ?? Infinity) <= epoch && epoch < (v.exitEpoch ?? Infinity)).map((v) => v.index);
    const network = JSON.parse((await results.networkTotals(epoch, epoch))[0]?.totals ?? "{}") as { attestationDuties: number; timelyTarget: number };
    expect(network.attestationDuties).toBe(active.length);
    expect(network.timelyTarget).toBe(active.filter((i) => (inclusion.flags[i] ?? 0) & 2).length);
    // The registry learnt the indices and states from the same state.
    const row = await keys.get(simulatedPubkeyHex(7));
    expect(row).toMatchObject({ validator_index: 7, state: "active" });
  });

  it("computes the same attestation rewards as the simulator's rewards endpoint, for every validator", async () => {
    const beacon = new BeaconClient({ urls: [sim.url] });
    const spec = parseChainSpec(await beacon.getSpec());
    const epoch = sim.model.headEpoch - 2;
    const snapshot = await beacon.getStateSnapshot((epoch + 2) * 32 - 1, { layout: stateLayout("electra", spec) });
    if (snapshot === null) throw new Error("no state");
    const computed = computeAttestationRewards(snapshot, spec, epoch);
    const served = sim.model.attestationRewards(epoch, []);
    expect(served.total.length).toBeGreaterThan(ACTIVE - 1);
    const idealByBalance = new Map(served.ideal.map((i) => [i.effectiveBalance, i.deltas.source + i.deltas.target + i.deltas.head]));
    for (const t of served.total) {
      expect(computed.earned[t.index], `validator ${t.index}`).toBe(t.deltas.source + t.deltas.target + t.deltas.head + t.inactivity);
      expect(computed.ideal[t.index], `validator ${t.index}`).toBe(idealByBalance.get(snapshot.effectiveBalance[t.index] as number));
    }
  });

  it("attributes validators taken offline to their operator within two epochs", async () => {
    const offline = (OPERATORS.beta ?? []).slice(0, 40);
    const from = sim.model.headEpoch + 1;
    sim.model.setOffline(offline, { fromEpoch: from });
    sim.setHead((from + 2) * 32);
    const report = await monitor().tick();
    expect(report.processed).toContain(from);
    const mine = await stored(from);
    for (const index of offline) expect(mine.get(index)?.flags, `validator ${index}`).toBe(RESULT_FLAGS.duty);
    const missedBy = new Map<string, number>();
    for (const [index, r] of mine) if (r.flags === RESULT_FLAGS.duty) missedBy.set(operatorOf(index), (missedBy.get(operatorOf(index)) ?? 0) + 1);
    const beta = JSON.parse((await results.operatorTotals("beta", from, from))[0]?.totals ?? "{}") as { attestationMissed: number };
    expect(beta.attestationMissed).toBe(missedBy.get("beta"));
    expect(beta.attestationMissed).toBeGreaterThanOrEqual(40);
    expect(missedBy.get("alpha") ?? 0).toBeLessThan(20);
  });

  it("a node that serves no SSZ state: statuses from the JSON endpoint, flags from the blocks by the spec's rules, equal to the truth", async () => {
    sim.setHead(sim.model.headSlot + 32);
    const epoch = sim.model.headEpoch - 2;
    // 404 to every state request: "not served here", as a node without the debug API answers.
    sim.faults.failNext(20, 404, "/eth/v2/debug/beacon/states/{state_id}");
    const report = await monitor().tick();
    expect(report.processed).toEqual([epoch]);
    expect((await results.getEpoch(epoch))?.source).toBe("json");
    const mine = await stored(epoch);
    const inclusion = sim.model.inclusion(epoch);
    const balances = sim.model.balances(epoch + 1);
    for (const [index, r] of mine) {
      expect(r.balanceGwei, `validator ${index}`).toBe(balances[index]);
      if (index < ACTIVE) expect(r.flags & 7, `validator ${index}: ${JSON.stringify(r)}`).toBe(inclusion.flags[index]);
    }
  });

  it("a node that fails or cuts its answer makes the tick retry later; nothing is skipped", async () => {
    sim.setHead(sim.model.headSlot + 32);
    const before = counters.skipped;
    sim.faults.failNext(10, 503, "/eth/v2/debug/beacon/states/{state_id}");
    await expect(monitor().tick()).resolves.toMatchObject({ processed: [], skipped: [] });
    sim.faults.clear();
    sim.faults.truncateNext(1, "/eth/v2/debug/beacon/states/{state_id}");
    const report = await monitor().tick();
    expect(report.processed).toEqual([sim.model.headEpoch - 2]);
    expect(counters.skipped).toBe(before);
  });

  it("a reorg of a processed epoch's blocks is noticed and the epoch processed again", async () => {
    const epoch = sim.model.headEpoch - 2;
    const before = await stored(epoch);
    // A block inside epoch N: it carried first inclusions of N's votes, which now land later.
    sim.reorg(epoch * 32 + 10, "remove");
    const report = await monitor().tick();
    expect(report.reprocessed).toContain(epoch);
    const after = await stored(epoch);
    // The removed block carried votes of epoch N: some first inclusions moved later or vanished.
    expect([...after].some(([i, r]) => r.inclusionDelay !== before.get(i)?.inclusionDelay)).toBe(true);
    expect((after.get(7)?.flags ?? 0) & 7).toBe(sim.model.inclusion(epoch).flags[7]);
  });

  it("after downtime: catches up in order within the window, records older epochs as skipped with the reason", async () => {
    const last = (await results.lastEpoch()) as number;
    const skippedBefore = counters.skipped;
    sim.setHead(sim.model.headSlot + 8 * 32);
    const report = await monitor({ maxCatchupEpochs: 3 }).tick();
    const settled = sim.model.headEpoch - 2;
    expect(report.processed).toEqual([settled - 2, settled - 1, settled]);
    expect(report.skipped).toEqual(Array.from({ length: settled - 3 - last }, (_, i) => last + 1 + i));
    const rows = await results.listEpochs(last + 1, settled);
    expect(rows.map((r) => r.state)).toEqual([...report.skipped.map(() => "skipped"), "processed", "processed", "processed"]);
    expect(rows[0]?.reason).toMatch(/STAKEOPS_MONITOR_MAX_CATCHUP_EPOCHS/);
    // Never silent: the skip is reported to the metrics (stakeops_monitor_epochs_skipped_total).
    expect(counters.skipped - skippedBefore).toBe(report.skipped.length);
  });

  it("waits while the node is syncing or optimistic", async () => {
    sim.setHead(sim.model.headSlot + 32);
    sim.faults.set({ syncing: true, syncDistance: 100 });
    await expect(monitor().tick()).resolves.toMatchObject({ processed: [], waiting: "syncing" });
  });

  it("reprocessing an epoch stores exactly the same results (idempotent)", async () => {
    const m = monitor();
    const epoch = (await results.lastEpoch()) as number;
    const first = await results.validatorResults("gamma", epoch, epoch);
    await m.processEpoch(epoch);
    const second = await results.validatorResults("gamma", epoch, epoch);
    expect(Buffer.from(second[0]?.data ?? []).equals(Buffer.from(first[0]?.data ?? []))).toBe(true);
    expect(await results.operatorTotals("gamma", epoch, epoch)).toHaveLength(1);
  });

  it("an epoch older than the node keeps fails as not served (the tick records such an epoch as skipped)", async () => {
    const m = monitor();
    await m.chainContext();
    const tooOld = sim.model.headEpoch - 40;
    await expect(m.processEpoch(tooOld)).rejects.toMatchObject({ code: "BEACON_NOT_SUPPORTED" });
  });
});
