/**
 * Key migration with the real Lodestar 1.5.1 beacon node (chain position, validator lookup and
 * liveness, old GET form and all) and validator client, the other client being a simulated
 * Keymanager API. Tests run in order on one chain:
 * 1. genesis validator 14, which nobody runs, held by the simulated client: removed there, watched
 *    on the real chain for two ended epochs, imported into Lodestar with its protection;
 * 2. once Lodestar signs with it, migrating it back out fails as it should: Lodestar answers
 *    "deleted" for an active validator's key but keeps it, so the migration aborts with the key
 *    only in Lodestar and nothing sent to the other client.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BeaconGenesis } from "../../src/beacon/beaconApi.js";
import { BeaconClient } from "../../src/beacon/beaconClient.js";
import { KeymanagerClient } from "../../src/keymanager/keymanagerClient.js";
import type { MigrationView } from "../../src/migration/migrationService.js";
import { createOperator, startTestApp, type TestApp } from "../helpers/app.js";
import { currentSlot, interopKeystore, interopPubkey, devnetProtocolConfig, startDevnet, untilSlot, type DevnetWithKeymanager } from "../helpers/devnet.js";
import { startSimulatedValidatorClient, type SimulatedValidatorClient } from "../helpers/keymanagerSimulator.js";

const KEY = 14;
const PASSWORD = "operator keystore password";
const pubkey = interopPubkey(KEY);

let devnet: DevnetWithKeymanager;
let beacon: BeaconClient;
let genesis: BeaconGenesis;
let slotsPerEpoch: number;
let t: TestApp;
let op: { id: string; token: string };
let simulated: SimulatedValidatorClient;
let lodestar: KeymanagerClient;
let lodestarId: string;
let simulatedId: string;

beforeAll(async () => {
  devnet = await startDevnet({ validatorClient: true, slotSeconds: 1 });
  beacon = new BeaconClient({ urls: [devnet.beaconUrl] });
  genesis = await beacon.getGenesis();
  const spec = await beacon.getSpec();
  slotsPerEpoch = Number(spec["SLOTS_PER_EPOCH"]);
  t = await startTestApp({
    config: {
      ...(await devnetProtocolConfig(devnet)),
    },
  });
  op = await createOperator(t, "devnet-operator");
  simulated = await startSimulatedValidatorClient("simulated-token", { genesisValidatorsRoot: genesis.genesisValidatorsRoot });
  lodestar = new KeymanagerClient({ url: devnet.keymanagerUrl, token: devnet.keymanagerToken });
  const register = async (url: string, token: string): Promise<string> =>
    (await t.request("POST", `/api/v1/operators/${op.id}/validator-clients`, { token: op.token, body: { url, token } })).json<{ id: string }>().id;
  lodestarId = await register(devnet.keymanagerUrl, devnet.keymanagerToken);
  simulatedId = await register(simulated.url, simulated.token);
  const adopted = await t.request("POST", `/api/v1/operators/${op.id}/keys/keystores`, {
    token: op.token,
    body: { keystores: [JSON.stringify(await interopKeystore(KEY, PASSWORD))], passwords: [PASSWORD], existing: true },
  });
  expect(adopted.json()).toMatchObject({ registered: 1 });
}, 240_000);

afterAll(async () => {
  await simulated?.close();
  await t?.close();
  await devnet?.stop();
}, 60_000);

async function migrate(from: string, to: string): Promise<string> {
  const response = await t.request("POST", `/api/v1/validator-clients/${from}/migrate`, { token: op.token, body: { to, pubkeys: [pubkey] } });
  expect(response.statusCode, response.body).toBe(202);
  return response.json<{ id: string }>().id;
}

const view = async (id: string): Promise<MigrationView> => (await t.request("GET", `/api/v1/migrations/${id}`, { token: op.token })).json<MigrationView>();
const lodestarHolds = async (): Promise<boolean> => (await lodestar.listKeystores()).some((k) => k.pubkey === pubkey);

describe("key migration on the Lodestar 1.5.1 devnet", () => {
  it("validator 14 from the simulated client into Lodestar: removed, seen offline on the real chain for two ended epochs, imported", async () => {
    const imported = await t.request("POST", `/api/v1/validator-clients/${simulatedId}/keys`, { token: op.token, body: { pubkeys: [pubkey] } });
    expect(imported.json()).toMatchObject({ results: [{ status: "imported" }] });
    const id = await migrate(simulatedId, lodestarId);

    await t.app.migrationDriver?.tick();
    const waiting = (await view(id)).keys[0];
    expect(waiting).toMatchObject({ state: "waiting_offline", removedEpoch: expect.any(Number) });
    expect(simulated.keys.size).toBe(0);
    expect(await lodestarHolds()).toBe(false);

    // 8-slot epochs of 1 s: done early in the third epoch after the removal. Ticks every second,
    // as Lodestar answers liveness only for the current and the previous epoch.
    const seen: string[] = [];
    for (let i = 0; i < 60 && !(seen.at(-1) ?? "").startsWith("done"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await t.app.migrationDriver?.tick();
      const key = (await view(id)).keys[0];
      seen.push(`${key?.state ?? "?"}:${JSON.stringify(key?.offlineEpochs)}`);
      if (key?.state === "waiting_offline") expect(await lodestarHolds()).toBe(false);
    }
    const removedEpoch = waiting?.removedEpoch as number;
    expect((await view(id)).keys[0], seen.join(" ")).toMatchObject({ state: "done", validatorIndex: KEY, offlineEpochs: [removedEpoch + 1, removedEpoch + 2] });
    expect(await lodestarHolds()).toBe(true);
    expect(simulated.keys.size).toBe(0);
  }, 90_000);

  it("migrating it back out once Lodestar signs with it: Lodestar keeps the key, the migration aborts, the key only in Lodestar", async () => {
    // Lodestar keeps an active validator's key only once its validator client knows the index:
    // wait until the chain shows the key attesting from Lodestar (the imported protection holds
    // it back until the epochs it names have passed).
    const from = Math.floor(currentSlot(genesis.genesisTime, devnet.slotSeconds) / slotsPerEpoch);
    let live = false;
    for (let epoch = from; epoch < from + 16 && !live; epoch++) {
      await untilSlot(genesis.genesisTime, devnet.slotSeconds, (epoch + 1) * slotsPerEpoch + 3);
      live = (await beacon.getLiveness(epoch, [KEY])).get(KEY) === true;
    }
    expect(live, "validator 14 attests from Lodestar").toBe(true);

    const id = await migrate(lodestarId, simulatedId);
    await t.app.migrationDriver?.tick();
    expect((await view(id)).keys[0]).toMatchObject({ state: "aborted", abort: { code: "STILL_HELD_BY_SOURCE", keyIn: "source" } });
    expect(await lodestarHolds()).toBe(true);
    await t.app.migrationDriver?.tick();
    expect(simulated.keys.size).toBe(0);
    const assignments = await t.app.store.db.selectFrom("key_assignments").select(["validator_client_id", "state"]).where("state", "in", ["importing", "active", "removing"]).execute();
    expect(assignments).toEqual([{ validator_client_id: lodestarId, state: "active" }]);
  }, 180_000);
});
