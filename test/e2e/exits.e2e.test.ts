/**
 * Automated exits on the real Lodestar chain. Validators 14 and 15 are in the service's custody and
 * in the devnet's validator client (imported through the service); 0..13 are run by the beacon node
 * itself. 14 and 15 are then taken offline: the service's removal is answered "deleted" by Lodestar
 * 1.5.1, which keeps signing (see service.e2e.test.ts), so the client is stopped. With the policy
 * "exit after 3 consecutive missed epochs":
 * - with dry run on, the service decides to exit exactly 14 and 15 and submits nothing;
 * - a second instance on the same database with dry run off signs their exits from custody (EIP-7044
 *   domain), submits them to the node, and the node shows both exiting; the healthy ones never.
 * The keystore of 15 is written into custody directly: each interop validator has its own 0x00
 * credentials, and the registry adopts only validators with the protocol's (here 14's).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BeaconGenesis } from "../../src/beacon/beaconApi.js";
import { BeaconClient } from "../../src/beacon/beaconClient.js";
import { KeyCustody } from "../../src/registry/custody.js";
import { SERVICE_PASSWORD, createOperator, startTestApp, type TestApp } from "../helpers/app.js";
import { currentSlot, interopKeystore, interopPubkey, interopSecretKey, devnetProtocolConfig, startDevnet, type DevnetWithKeymanager } from "../helpers/devnet.js";
import { registryRow } from "../helpers/registryRows.js";

const PASSWORD = "operator keystore password";
const HEALTHY = Array.from({ length: 14 }, (_, i) => i);
const LEAVING = [14, 15];
/**
 * 3 missed epochs in a row: on a loaded 2-core machine the node's own validators sometimes miss
 * two in a row, and by the policy they would then rightly be exited too.
 */
const POLICY = { rules: [{ type: "consecutive-misses", epochs: 3 }], guards: { minNetworkTargetRatio: 0.5, maxFinalityLagEpochs: 6 } };

let devnet: DevnetWithKeymanager;
let beacon: BeaconClient;
let genesis: BeaconGenesis;
let S: number;
let t: TestApp;
let opA: { id: string; token: string };
let opB: { id: string; token: string };
let clientId: string;

beforeAll(async () => {
  devnet = await startDevnet({ validatorClient: true, slotSeconds: 1 });
  beacon = new BeaconClient({ urls: [devnet.beaconUrl] });
  genesis = await beacon.getGenesis();
  const spec = await beacon.getSpec();
  S = Number(spec["SLOTS_PER_EPOCH"]);
  t = await startTestApp({
    engine: "postgres",
    config: {
      ...(await devnetProtocolConfig(devnet)),
      monitor: { enabled: true, intervalMs: 3_600_000, retentionEpochs: 1_000, maxCatchupEpochs: 50 },
      exits: { dryRun: true, killSwitch: false, policy: null, intervalMs: 3_600_000, executionRpcUrl: null },
    },
  });
  opA = await createOperator(t, "op-a");
  opB = await createOperator(t, "op-b");
}, 240_000);

afterAll(async () => {
  await t?.close();
  await devnet?.stop();
}, 60_000);

/** Ticks the monitor and the exit service (what their periodic tasks do) until `done` holds. */
async function runUntil(app: TestApp, done: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await app.app.monitor?.tick();
    await app.app.exits.evaluate();
    await app.app.exits.track();
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  throw new Error("not reached in time");
}

async function statuses(): Promise<Map<number, string>> {
  return new Map((await beacon.getValidatorsByPubkey([...HEALTHY, ...LEAVING].map(interopPubkey))).map((v) => [v.index, v.status]));
}

interface Audit {
  pubkey: string | null;
  outcome: string;
  dryRun: boolean;
  rule: string;
  numbers: Record<string, unknown>;
}

describe("automated exits on the real devnet", () => {
  it("registers 0..13 under A, and 14 and 15 under B in custody and in the validator client", async () => {
    await t.app.store.db
      .insertInto("validator_keys")
      .values(
        HEALTHY.map((i) => registryRow(interopPubkey(i), opA.id, { state: "active", validator_index: i })),
      )
      .execute();
    const custody = await t.request("POST", `/api/v1/operators/${opB.id}/keys/keystores`, {
      token: opB.token,
      body: { keystores: [JSON.stringify(await interopKeystore(14, PASSWORD))], passwords: [PASSWORD], existing: true },
    });
    expect(custody.json(), custody.body).toMatchObject({ registered: 1 });
    const store = new KeyCustody({ dir: t.keysDir, password: SERVICE_PASSWORD });
    await store.store("op-b", await store.encrypt(interopSecretKey(15), "m/12381/3600/15/0/0"));
    await t.app.store.db
      .insertInto("validator_keys")
      .values(registryRow(interopPubkey(15), opB.id, { state: "active", validator_index: 15, in_custody: 1 }))
      .execute();
    const client = await t.request("POST", `/api/v1/operators/${opB.id}/validator-clients`, { token: opB.token, body: { url: devnet.keymanagerUrl, token: devnet.keymanagerToken } });
    clientId = client.json<{ id: string }>().id;
    const imported = await t.request("POST", `/api/v1/validator-clients/${clientId}/keys`, { token: opB.token, body: { pubkeys: LEAVING.map(interopPubkey) } });
    expect(imported.json<{ results: { status: string }[] }>().results.map((r) => r.status)).toEqual(["imported", "imported"]);
    expect((await t.request("PUT", "/api/v1/exit-policy", { body: POLICY })).statusCode).toBe(200);
  }, 60_000);

  it("with dry run on: once 14 and 15 miss 3 epochs in a row, they are decided, and nothing is submitted", async () => {
    // Let 14 and 15 attest for a while, then take them offline.
    const importedEpoch = Math.floor(currentSlot(genesis.genesisTime, devnet.slotSeconds) / S);
    await runUntil(t, async () => ((await t.app.store.db.selectFrom("monitor_epochs").select("epoch").where("epoch", ">=", importedEpoch + 2).execute()).length > 0), 90_000);
    const removal = await t.request("DELETE", `/api/v1/validator-clients/${clientId}/keys`, { token: opB.token, body: { pubkeys: LEAVING.map(interopPubkey) } });
    expect(removal.json<{ results: { code?: string }[] }>().results.map((r) => r.code)).toEqual(["VALIDATOR_CLIENT_STILL_HOLDS_KEY", "VALIDATOR_CLIENT_STILL_HOLDS_KEY"]);
    await devnet.stopValidatorClient();

    const decided = async (): Promise<Audit[]> => (await t.request("GET", "/api/v1/exits")).json<{ audit: Audit[] }>().audit.filter((a) => a.outcome === "dry_run");
    const both = async (): Promise<boolean> => {
      const pubkeys = new Set((await decided()).map((a) => a.pubkey));
      return LEAVING.every((i) => pubkeys.has(interopPubkey(i)));
    };
    await runUntil(t, both, 150_000);
    // Anyone else decided must really have missed its last 3 epochs (a loaded machine can make the
    // node's own validators miss): the decisions are the policy's, not noise.
    for (const entry of await decided()) {
      const index = [...HEALTHY, ...LEAVING].find((i) => interopPubkey(i) === entry.pubkey) as number;
      if (LEAVING.includes(index)) continue;
      const missedEpochs = entry.numbers["missedEpochs"] as number[];
      expect(missedEpochs).toHaveLength(3);
      const url = `/api/v1/validators/${index}/performance?from=${Math.min(...missedEpochs)}&to=${Math.max(...missedEpochs)}`;
      const { epochs } = (await t.request("GET", url)).json<{ epochs: { attestation: { missed: boolean } }[] }>();
      expect(epochs.length === 3 && epochs.every((e) => e.attestation.missed), `validator ${index} was decided`).toBe(true);
    }
    expect((await decided()).every((a) => a.dryRun && a.rule === "consecutive-misses")).toBe(true);
    expect((await t.request("GET", "/api/v1/exits")).json<{ exits: unknown[] }>().exits).toEqual([]);
    const now = await statuses();
    for (const i of LEAVING) expect(now.get(i), `validator ${i}`).toBe("active_ongoing");
  }, 240_000);

  it("with dry run off (a second instance): signs 14 and 15 from custody, submits, and the node shows them exiting; nobody else", async () => {
    const real = await startTestApp({ sameAs: t, config: { ...t.config, exits: { dryRun: false, killSwitch: false, policy: null, intervalMs: 3_600_000, executionRpcUrl: null } } });
    try {
      await runUntil(
        real,
        async () => {
          const now = await statuses();
          return LEAVING.every((i) => now.get(i) === "active_exiting");
        },
        150_000,
      );
      const now = await statuses();
      for (const i of HEALTHY) expect(now.get(i), `validator ${i}`).toBe("active_ongoing");
      const { exits, audit } = (await real.request("GET", "/api/v1/exits")).json<{ exits: { pubkey: string; signingSource: string; state: string }[]; audit: Audit[] }>();
      expect(exits.map((e) => [e.pubkey, e.signingSource]).sort()).toEqual(LEAVING.map((i) => [interopPubkey(i), "custody"]).sort());
      expect(audit.filter((a) => a.outcome === "submitted" && !a.dryRun).map((a) => a.pubkey).sort()).toEqual(LEAVING.map(interopPubkey).sort());
      // The tracker sees the exit epoch and confirms.
      await runUntil(real, async () => (await real.request("GET", "/api/v1/exits")).json<{ exits: { state: string }[] }>().exits.every((e) => e.state === "confirmed"), 30_000);
      const metrics = (await real.request("GET", "/metrics", { token: null })).body;
      expect(metrics).toMatch(/^stakeops_exits_total\{operator="op-b",reason="consecutive-misses",outcome="submitted"\} 2$/m);
    } finally {
      await real.close();
    }
  }, 240_000);
});
