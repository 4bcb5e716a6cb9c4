/**
 * Risk signals from the chain, with the service wired as `stakeops serve` wires it, against the
 * beacon-node simulator (a mainnet-preset chain over real HTTP) and simulated validator clients:
 * - a registered validator the chain has slashed (the simulator's registry holds a few) becomes
 *   SLASHED_ON_CHAIN through the monitor's hook;
 * - a key removed from its client that keeps attesting on chain (the simulator's liveness
 *   endpoint) becomes DOPPELGANGER, blocks importing the key into another client, and is resolved
 *   once the validator falls silent (`model.setOffline`).
 * The simulator models no slashings in blocks and no double votes: those signals are tested from
 * epoch summaries in test/unit/riskMonitorSignals.test.ts.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidatorKeysRepository } from "../../src/store/validatorKeys.js";
import { createOperator, startTestApp, type TestApp } from "../helpers/app.js";
import { startSimulatedValidatorClient, type SimulatedValidatorClient } from "../helpers/keymanagerSimulator.js";
import { simulatedPubkeyHex, startBeaconSimulator, type BeaconSimulator } from "../simulator/index.js";

const GENESIS_TIME = 1_606_824_023; // mainnet's; the test clock follows the simulated head
const SLOTS_PER_EPOCH = 32;
const fixture = (path: string): Promise<string> => readFile(new URL(`../fixtures/deposit-cli/${path}`, import.meta.url), "utf8");
const PASSWORD = "blablatesttest";
/** The active validator whose index the test gives to a custody key. */
const DOPPELGANGER_INDEX = 100;

let sim: BeaconSimulator;
let t: TestApp;
let vcs: SimulatedValidatorClient[];
let op: { id: string; token: string };
let slot = 0;
const clock = { now: () => new Date((GENESIS_TIME + slot * 12) * 1000 + 2_000) };

/** Moves the simulated head and the service's clock together. */
function headTo(newSlot: number): void {
  sim.setHead(newSlot);
  slot = newSlot;
}

beforeAll(async () => {
  // No random misses: liveness is then exactly "online or not".
  sim = await startBeaconSimulator({ validatorCount: 3_000, activeCount: 2_048, seed: 1, genesisTime: GENESIS_TIME, defaultMissRate: 0 });
  slot = sim.model.headSlot;
  t = await startTestApp({
    clock,
    config: { beaconNodeUrls: [sim.url], monitor: { enabled: true, intervalMs: 3_600_000, retentionEpochs: 100, maxCatchupEpochs: 2 } },
  });
  vcs = [await startSimulatedValidatorClient("token-one"), await startSimulatedValidatorClient("token-two")];
  op = await createOperator(t, "acme");
}, 60_000);
afterAll(async () => {
  await Promise.all((vcs ?? []).map((vc) => vc.close()));
  await t?.close();
  await sim?.close();
});

async function openSignals(): Promise<{ signal: string; severity: string; pubkey: string | null; validatorIndex: number | null; operatorId: string | null; details: Record<string, unknown> }[]> {
  const response = await t.request("GET", "/api/v1/risk", { token: op.token });
  expect(response.statusCode).toBe(200);
  return response.json<{ signals: [] }>().signals;
}
const gauge = async (): Promise<string[]> =>
  (await t.request("GET", "/metrics", { token: null })).body.split("\n").filter((line) => line.startsWith("stakeops_slashing_risk{")).sort();

describe("risk signals from the (simulated) chain", () => {
  it("a registered validator the chain has slashed: SLASHED_ON_CHAIN through the monitor", async () => {
    const slashed = sim.model.registry.slashedIndices[0];
    expect(slashed, "seed 1 has slashed validators").toBeDefined();
    const now = new Date().toISOString();
    await new ValidatorKeysRepository(t.app.store.db).insertMany(
      [slashed as number, 7].map((index) => ({
        pubkey: simulatedPubkeyHex(index), operator_id: op.id, source: "existing" as const, derivation_path: null, withdrawal_credentials: null, amount_gwei: null,
        deposit_signature: null, deposit_message_root: null, deposit_data_root: null, state: "registered" as const, validator_index: null, in_custody: 0, created_at: now, updated_at: now,
      })),
    );
    const report = await t.app.monitor?.tick();
    expect(report?.processed).toHaveLength(1);
    await t.app.risk.monitorSignals.idle();

    expect(await openSignals()).toEqual([
      expect.objectContaining({ signal: "SLASHED_ON_CHAIN", severity: "critical", pubkey: simulatedPubkeyHex(slashed as number), validatorIndex: slashed, operatorId: op.id, details: expect.objectContaining({ status: "exited_slashed" }) }),
    ]);
    expect(await gauge()).toEqual(['stakeops_slashing_risk{operator="acme",signal="SLASHED_ON_CHAIN",severity="critical"} 1']);
    // The registry followed; the periodic check finds nothing new to add.
    expect((await t.app.store.db.selectFrom("validator_keys").select("state").where("pubkey", "=", simulatedPubkeyHex(slashed as number)).executeTakeFirst())?.state).toBe("slashed");
    expect((await t.app.risk.chainChecks?.run())?.newlySlashed).toBe(0);
  });

  it("a key removed from its client that keeps attesting: DOPPELGANGER, import blocked, resolved once silent", async () => {
    const keystore = await fixture("multiple_validators/hoodi/keystore-m_12381_3600_0_0_0-1755071454.json");
    const registered = await t.request("POST", `/api/v1/operators/${op.id}/keys/keystores`, { token: op.token, body: { keystores: [keystore], passwords: [PASSWORD] } });
    const key = registered.json<{ results: { pubkey: string }[] }>().results[0]?.pubkey as string;
    const [one, two] = await Promise.all(
      vcs.map(async (vc) => (await t.request("POST", `/api/v1/operators/${op.id}/validator-clients`, { token: op.token, body: { url: vc.url, token: vc.token } })).json<{ id: string }>().id),
    );
    const keysUrl = (client: string | undefined) => `/api/v1/validator-clients/${client}/keys`;
    expect((await t.request("POST", keysUrl(one), { token: op.token, body: { pubkeys: [key] } })).json()).toMatchObject({ results: [{ status: "imported" }] });
    // The chain knows the key as validator 100 (the simulator's pubkeys are not BLS keys, so the registry is told).
    await new ValidatorKeysRepository(t.app.store.db).updateChainState(key, "active", DOPPELGANGER_INDEX, clock.now().toISOString());
    expect((await t.request("DELETE", keysUrl(one), { token: op.token, body: { pubkeys: [key] } })).json()).toMatchObject({ results: [{ status: "deleted" }] });
    const removalEpoch = Math.floor(slot / SLOTS_PER_EPOCH);

    // Two epochs on, validator 100 is still attesting: something else runs the key.
    headTo((removalEpoch + 2) * SLOTS_PER_EPOCH + 5);
    expect(sim.model.isLive(DOPPELGANGER_INDEX, removalEpoch + 1)).toBe(true);
    const first = await t.app.risk.chainChecks?.run();
    expect(first?.doppelganger).toMatchObject({ currentEpoch: removalEpoch + 2, checked: 1, live: [key] });
    const doppelganger = (await openSignals()).find((s) => s.signal === "DOPPELGANGER");
    expect(doppelganger).toMatchObject({ severity: "critical", pubkey: key, validatorIndex: DOPPELGANGER_INDEX, operatorId: op.id, details: { reasons: ["removed"], liveEpochs: expect.arrayContaining([removalEpoch + 1]) } });

    const refused = await t.request("POST", keysUrl(two), { token: op.token, body: { pubkeys: [key] } });
    expect(refused.json()).toEqual({ results: [{ pubkey: key, status: "rejected", code: "KEY_AT_RISK", message: expect.stringContaining("DOPPELGANGER") }] });
    expect(vcs[1]?.keys.size).toBe(0);
    expect(await gauge()).toContain('stakeops_slashing_risk{operator="acme",signal="DOPPELGANGER",severity="critical"} 1');

    // The other copy is stopped: from the next epoch on the validator is silent.
    sim.model.setOffline([DOPPELGANGER_INDEX]);
    headTo((removalEpoch + 5) * SLOTS_PER_EPOCH + 5);
    const second = await t.app.risk.chainChecks?.run();
    expect(second?.doppelganger).toMatchObject({ checked: 1, live: [], resolved: 1 });
    expect((await openSignals()).map((s) => s.signal)).toEqual(["SLASHED_ON_CHAIN"]);
    expect((await t.request("POST", keysUrl(two), { token: op.token, body: { pubkeys: [key] } })).json()).toMatchObject({ results: [{ status: "imported" }] });
  });
});
