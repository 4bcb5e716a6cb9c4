/**
 * The whole registry flow of `stakeops serve` against the real Lodestar chain and validator
 * client: an operator uploads its keystores, registers its validator client, the service imports
 * the keys, the chain shows the active validator live, the service removes keys and hands back the
 * client's slashing protection. Tests run in order and share the chain, like an operator's day.
 *
 * Lodestar 1.5.1 answers "deleted" for an active validator's key but keeps it (its removeSigner
 * short-circuits once the key has a validator index) and goes on attesting. The service checks
 * every removal against the client's key list, so that key is reported as still held and stays
 * blocked from other clients; a key without an index (not yet on chain) is removed for real.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BeaconGenesis } from "../../src/beacon/beaconApi.js";
import { BeaconClient } from "../../src/beacon/beaconClient.js";
import { bls } from "../../src/crypto/bls.js";
import { encryptKeystore } from "../../src/keygen/keystore.js";
import { toPrefixedHex } from "../../src/util/hex.js";
import { startSimulatedValidatorClient, type SimulatedValidatorClient } from "../helpers/keymanagerSimulator.js";
import { createOperator, startTestApp, type TestApp } from "../helpers/app.js";
import { currentSlot, interopKeystore, interopPubkey, devnetProtocolConfig, startDevnet, untilSlot, type DevnetWithKeymanager } from "../helpers/devnet.js";

const KEY = 14;
const OTHER = 15;
const PASSWORD = "operator keystore password";

let devnet: DevnetWithKeymanager;
let beacon: BeaconClient;
let genesis: BeaconGenesis;
let slotsPerEpoch: number;
let t: TestApp;
let op: { id: string; token: string };
let clientId: string;
let spare: SimulatedValidatorClient;
const pubkey = interopPubkey(KEY);
/** A key that is not a validator: registered as new, imported, and really removed. */
const fresh = bls.SecretKey.fromKeygen(Buffer.alloc(32, "stakeops e2e fresh key")).toBytes();
const freshPubkey = toPrefixedHex(bls.SecretKey.fromBytes(fresh).toPublicKey().toBytes());

beforeAll(async () => {
  devnet = await startDevnet({ validatorClient: true, slotSeconds: 1 });
  beacon = new BeaconClient({ urls: [devnet.beaconUrl] });
  genesis = await beacon.getGenesis();
  const spec = await beacon.getSpec();
  slotsPerEpoch = Number(spec["SLOTS_PER_EPOCH"]);
  // The protocol of this test: the devnet's deposit fork version, and validator 14's credentials.
  t = await startTestApp({
    config: {
      ...(await devnetProtocolConfig(devnet)),
    },
  });
  op = await createOperator(t, "devnet-operator");
  spare = await startSimulatedValidatorClient();
}, 240_000);

afterAll(async () => {
  await spare?.close();
  await t?.close();
  await devnet?.stop();
}, 60_000);

async function livenessAfter(slot: number, index: number, epochs = 4): Promise<[number, boolean | undefined][]> {
  const firstEpoch = Math.floor(slot / slotsPerEpoch) + 1;
  const seen: [number, boolean | undefined][] = [];
  for (let epoch = firstEpoch; epoch < firstEpoch + epochs; epoch++) {
    await untilSlot(genesis.genesisTime, devnet.slotSeconds, (epoch + 1) * slotsPerEpoch + 3);
    const live = (await beacon.getLiveness(epoch, [index])).get(index);
    seen.push([epoch, live]);
    if (live === true) break;
  }
  return seen;
}

describe("stakeops serve with a real beacon node and validator client", () => {
  it("is ready: database and beacon node usable", async () => {
    expect((await t.request("GET", "/ready", { token: null })).json()).toEqual({ ready: true, checks: { database: "ok", beacon: "ok" } });
  });

  it("refuses a new key that is already a validator on chain (front-running check)", async () => {
    const keystore = JSON.stringify(await interopKeystore(OTHER, PASSWORD));
    const response = await t.request("POST", `/api/v1/operators/${op.id}/keys/keystores`, { token: op.token, body: { keystores: [keystore], passwords: [PASSWORD] } });
    expect(response.json()).toMatchObject({ registered: 0, results: [{ reasons: [{ code: "ALREADY_ON_CHAIN", message: expect.stringMatching(/validator 15/) }] }] });
  });

  it("adopts the active validator's keystore into custody, in its chain state", async () => {
    const keystore = JSON.stringify(await interopKeystore(KEY, PASSWORD));
    const response = await t.request("POST", `/api/v1/operators/${op.id}/keys/keystores`, {
      token: op.token,
      body: { keystores: [keystore], passwords: [PASSWORD], existing: true },
    });
    expect(response.json()).toMatchObject({ registered: 1, results: [{ pubkey, status: "registered" }] });
    const keys = (await t.request("GET", `/api/v1/operators/${op.id}/keys`, { token: op.token })).json<{ keys: unknown[] }>().keys;
    expect(keys).toEqual([expect.objectContaining({ pubkey, source: "existing", state: "active", validatorIndex: KEY, inCustody: true })]);
  });

  it("registers the operator's validator client, checking its token", async () => {
    const response = await t.request("POST", `/api/v1/operators/${op.id}/validator-clients`, {
      token: op.token,
      body: { url: devnet.keymanagerUrl, token: devnet.keymanagerToken },
    });
    expect(response.statusCode).toBe(201);
    clientId = response.json<{ id: string }>().id;
  });

  it("imports the key through the service, and the validator is then live on chain", async () => {
    const importedAt = currentSlot(genesis.genesisTime, devnet.slotSeconds);
    const response = await t.request("POST", `/api/v1/validator-clients/${clientId}/keys`, { token: op.token, body: { pubkeys: [pubkey] } });
    expect(response.json()).toEqual({ results: [{ pubkey, status: "imported", message: "" }] });
    const seen = await livenessAfter(importedAt, KEY);
    expect(seen.at(-1), `liveness of validator 14 per epoch after the import: ${JSON.stringify(seen)}`).toEqual([expect.any(Number), true]);

    await t.app.inventory.reconcile();
    expect((await t.request("GET", "/api/v1/inventory/findings", { token: op.token })).json()).toEqual({ findings: [] });
  }, 90_000);

  it("removing the active key: Lodestar says deleted but keeps signing; the service notices and keeps the key blocked", async () => {
    const removedAt = currentSlot(genesis.genesisTime, devnet.slotSeconds);
    const response = await t.request("DELETE", `/api/v1/validator-clients/${clientId}/keys`, { token: op.token, body: { pubkeys: [pubkey] } });
    const body = response.json<{ results: unknown[]; slashingProtection: string }>();
    expect(body.results).toEqual([{ pubkey, status: "error", code: "VALIDATOR_CLIENT_STILL_HOLDS_KEY", message: expect.stringMatching(/still lists the key/) }]);

    // The slashing protection comes back anyway, with the attestations the key signed, and is kept.
    const interchange = JSON.parse(body.slashingProtection) as {
      metadata: { genesis_validators_root: string };
      data: { pubkey: string; signed_attestations: unknown[] }[];
    };
    expect(interchange.metadata.genesis_validators_root).toBe(genesis.genesisValidatorsRoot);
    expect(interchange.data.map((d) => d.pubkey)).toEqual([pubkey]);
    expect(interchange.data[0]?.signed_attestations.length).toBeGreaterThan(0);
    const kept = await t.app.store.db.selectFrom("slashing_protection").select("pubkey").where("pubkey", "=", pubkey).execute();
    expect(kept).toHaveLength(1);

    // The chain confirms the danger: validator 14 is still attesting after the "deletion".
    const seen = await livenessAfter(removedAt, KEY, 2);
    expect(seen.at(-1), JSON.stringify(seen)).toEqual([expect.any(Number), true]);

    // So no other client may have it.
    const other = await t.request("POST", `/api/v1/operators/${op.id}/validator-clients`, { token: op.token, body: { url: spare.url, token: spare.token } });
    const otherId = other.json<{ id: string }>().id;
    const refused = await t.request("POST", `/api/v1/validator-clients/${otherId}/keys`, { token: op.token, body: { pubkeys: [pubkey] } });
    expect(refused.json()).toMatchObject({ results: [{ status: "rejected", code: "KEY_ASSIGNED_ELSEWHERE" }] });
    expect(spare.keys.size).toBe(0);
  }, 60_000);

  it("a key that is not yet a validator: imported, removed for real, protection kept, imported again", async () => {
    const keystore = JSON.stringify(await encryptKeystore(fresh, PASSWORD, { kdf: "pbkdf2", path: "m/12381/3600/0/0/0", pbkdf2: { c: 16_384 } }));
    const registered = await t.request("POST", `/api/v1/operators/${op.id}/keys/keystores`, { token: op.token, body: { keystores: [keystore], passwords: [PASSWORD] } });
    expect(registered.json()).toMatchObject({ registered: 1, results: [{ pubkey: freshPubkey }] });

    const keysUrl = `/api/v1/validator-clients/${clientId}/keys`;
    expect((await t.request("POST", keysUrl, { token: op.token, body: { pubkeys: [freshPubkey] } })).json()).toEqual({
      results: [{ pubkey: freshPubkey, status: "imported", message: "" }],
    });
    const removed = await t.request("DELETE", keysUrl, { token: op.token, body: { pubkeys: [freshPubkey] } });
    const body = removed.json<{ results: unknown[]; slashingProtection: string }>();
    expect(body.results).toEqual([{ pubkey: freshPubkey, status: "deleted", message: "" }]);
    expect(JSON.parse(body.slashingProtection)).toMatchObject({ metadata: { genesis_validators_root: genesis.genesisValidatorsRoot } });

    expect((await t.request("POST", keysUrl, { token: op.token, body: { pubkeys: [freshPubkey] } })).json()).toEqual({
      results: [{ pubkey: freshPubkey, status: "imported", message: "" }],
    });
    expect(await t.app.statusSync?.sync()).toBe(0);
  });
});
