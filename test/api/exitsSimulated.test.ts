/**
 * Automated exits against the beacon-node simulator (mainnet-preset electra, real HTTP), the
 * monitor feeding them: the policy document's meaning, dry run against a real run making the same
 * decisions, rate limits, and the guards that must stop a wrong mass exit (a collapsed network
 * baseline, a failing or syncing node, the kill switch). Simulated validators' keys are not real
 * BLS keys, so signing and submission to a real chain are in test/e2e/exits.e2e.test.ts; here a
 * real exit of a 0x01/0x02 validator without a signature source becomes an EIP-7002 request.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BeaconClient } from "../../src/beacon/beaconClient.js";
import { voluntaryExitDomain } from "../../src/chain/signing.js";
import { signVoluntaryExit } from "../../src/exit/signedExit.js";
import { WITHDRAWAL_REQUEST_CONTRACT } from "../../src/exit/withdrawalRequest.js";
import { parseHex } from "../../src/util/hex.js";
import { createOperator, startTestApp, type TestApp } from "../helpers/app.js";
import { interopPubkey, interopSecretKey } from "../helpers/interopKeys.js";
import { simulatedPubkeyHex, startBeaconSimulator, type BeaconSimulator } from "../simulator/index.js";
import { registryRow } from "../helpers/registryRows.js";

const VALIDATORS = 3_000;
const ACTIVE = 2_048;
let sim: BeaconSimulator;
let t: TestApp;
let alpha: { id: string; token: string };
let beta: { id: string; token: string };
const ALPHA = Array.from({ length: 100 }, (_, i) => i * 10);
const BETA = Array.from({ length: 100 }, (_, i) => i * 10 + 5);

interface Audit {
  epoch: number | null;
  pubkey: string | null;
  rule: string;
  dryRun: boolean;
  outcome: string;
  message: string;
  numbers: Record<string, unknown>;
}

beforeAll(async () => {
  const head = 11_969_024;
  sim = await startBeaconSimulator({ validatorCount: VALIDATORS, activeCount: ACTIVE, seed: 3, defaultMissRate: 0, headSlot: head, genesisTime: Math.floor(Date.now() / 1000) - head * 12 });
  // PostgreSQL: the dry-run and real runs are two instances on one database.
  t = await startTestApp({
    engine: "postgres",
    config: {
      beaconNodeUrls: [sim.url],
      monitor: { enabled: true, intervalMs: 3_600_000, retentionEpochs: 100, maxCatchupEpochs: 3 },
      exits: { dryRun: true, killSwitch: false, policy: null, intervalMs: 3_600_000, executionRpcUrl: null },
    },
  });
  alpha = await createOperator(t, "alpha");
  beta = await createOperator(t, "beta");
  await t.app.store.db.insertInto("validator_keys").values([...ALPHA.map((i) => registryRow(simulatedPubkeyHex(i), alpha.id)), ...BETA.map((i) => registryRow(simulatedPubkeyHex(i), beta.id))]).execute();
}, 60_000);

afterAll(async () => {
  await t?.close();
  await sim?.close();
});

/** Advances the simulated head by whole epochs, the monitor processing each one. */
async function epochs(n: number, app: TestApp = t): Promise<void> {
  for (let i = 0; i < n; i++) {
    sim.setHead(sim.model.headSlot + 32);
    await app.app.monitor?.tick();
  }
}

async function audit(app: TestApp = t): Promise<Audit[]> {
  return (await app.request("GET", "/api/v1/exits")).json<{ audit: Audit[] }>().audit;
}

describe("exit policy", () => {
  it("the documented minimal document means: exit after 2 consecutive missed epochs; the rest takes defaults", async () => {
    const put = await t.request("PUT", "/api/v1/exit-policy", { body: { rules: [{ type: "consecutive-misses", epochs: 2 }], limits: { perEpoch: 10, perDay: 50, perOperatorPerDay: 10 } } });
    expect(put.statusCode, put.body).toBe(200);
    const minimal = await t.request("PUT", "/api/v1/exit-policy", { body: { rules: [{ type: "consecutive-misses", epochs: 2 }] } });
    expect(minimal.json()).toMatchObject({
      source: "api",
      dryRun: true,
      policy: { paused: false, rules: [{ type: "consecutive-misses", epochs: 2 }], limits: { perEpoch: 2, perDay: 10, perOperatorPerDay: 3 }, guards: { maxFinalityLagEpochs: 5, minNetworkTargetRatio: 0.7 } },
    });
  });

  it("refuses a bad document whole, naming every problem, and keeps the previous policy", async () => {
    const bad = await t.request("PUT", "/api/v1/exit-policy", { body: { rules: [{ type: "consecutive-misses", epochs: 0 }, { type: "everyone" }], limits: { perDay: -1 }, extra: 1 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: "EXIT_POLICY_INVALID", details: { problems: expect.arrayContaining([expect.stringMatching(/unknown field "extra"/), expect.stringMatching(/rules\[0\]\.epochs/), expect.stringMatching(/rules\[1\]\.type/), expect.stringMatching(/limits\.perDay/)]) } });
    expect((await t.request("GET", "/api/v1/exit-policy")).json()).toMatchObject({ policy: { rules: [{ type: "consecutive-misses", epochs: 2 }] } });
  });
});

describe("automated exits", () => {
  const offline = BETA.slice(0, 3);

  it("dry run: validators that missed 2 epochs in a row are decided, healthy ones never; nothing is submitted", async () => {
    await t.request("PUT", "/api/v1/exit-policy", { body: { rules: [{ type: "consecutive-misses", epochs: 2 }], limits: { perEpoch: 10, perDay: 50, perOperatorPerDay: 10 } } });
    await epochs(1);
    sim.model.setOffline(offline, { fromEpoch: sim.model.headEpoch + 1 });
    await epochs(4);
    const report = await t.app.exits.evaluate();
    expect(report.blocked).toBeNull();
    const decided = report.outcomes.filter((o) => o.outcome === "dry_run").map((o) => o.pubkey);
    expect(decided.sort()).toEqual(offline.map(simulatedPubkeyHex).sort());
    const entries = (await audit()).filter((a) => a.outcome === "dry_run");
    expect(entries.every((a) => a.dryRun && a.rule === "consecutive-misses" && Array.isArray(a.numbers["missedEpochs"]))).toBe(true);
    expect((await t.request("GET", "/api/v1/exits")).json<{ exits: unknown[] }>().exits).toEqual([]);
    expect(sim.voluntaryExits).toEqual([]);
    // An operator sees only its own decisions.
    expect((await t.request("GET", "/api/v1/exits", { token: alpha.token })).json<{ audit: Audit[] }>().audit.filter((a) => a.pubkey !== null)).toEqual([]);
  });

  it("the same run with dry run off makes the same decisions, and acts on them once", async () => {
    const real = await startTestApp({
      sameAs: t,
      config: { ...t.config, exits: { dryRun: false, killSwitch: false, policy: null, intervalMs: 3_600_000, executionRpcUrl: null } },
    });
    try {
      await epochs(1, real);
      const report = await real.app.exits.evaluate();
      expect(report.outcomes.map((o) => o.pubkey).sort()).toEqual(offline.map(simulatedPubkeyHex).sort());
      // Simulated keys are in no custody and no client: 0x01/0x02 ones get an EIP-7002 request, 0x00 ones cannot exit.
      const exits = (await real.request("GET", "/api/v1/exits")).json<{ exits: { pubkey: string; state: string; withdrawalRequest: { to: string; calldata: string } | null }[] }>().exits;
      for (const o of report.outcomes) {
        const exit = exits.find((e) => e.pubkey === o.pubkey);
        if (o.outcome === "withdrawal_request") {
          expect(exit).toMatchObject({ state: "withdrawal_request", withdrawalRequest: { to: WITHDRAWAL_REQUEST_CONTRACT, calldata: `${o.pubkey}${"00".repeat(8)}` } });
        } else {
          expect(o.outcome).toBe("failed");
          expect(exit).toBeUndefined();
        }
      }
      // The next epoch decides nobody twice.
      await epochs(1, real);
      const again = await real.app.exits.evaluate();
      expect(again.outcomes.filter((o) => o.outcome === "withdrawal_request")).toEqual([]);
    } finally {
      await real.close();
    }
  });

  it("rate limits: past the per-epoch limit, candidates are recorded as rate limited, in a dry run as in a real one", async () => {
    const more = ALPHA.slice(0, 4);
    await t.request("PUT", "/api/v1/exit-policy", { body: { rules: [{ type: "consecutive-misses", epochs: 2 }], limits: { perEpoch: 1, perDay: 50, perOperatorPerDay: 10 } } });
    sim.model.setOffline(more, { fromEpoch: sim.model.headEpoch + 1 });
    await epochs(4);
    const report = await t.app.exits.evaluate();
    const mine = report.outcomes.filter((o) => more.map(simulatedPubkeyHex).includes(o.pubkey));
    expect(mine.filter((o) => o.outcome === "dry_run")).toHaveLength(1);
    expect(mine.filter((o) => o.outcome === "rate_limited")).toHaveLength(3);
  });

  it("a collapsed network baseline (most of the network offline) exits nobody", async () => {
    await t.request("PUT", "/api/v1/exit-policy", { body: { rules: [{ type: "consecutive-misses", epochs: 2 }], limits: { perEpoch: 100, perDay: 100, perOperatorPerDay: 100 } } });
    const everyone = Array.from({ length: 1_500 }, (_, i) => i);
    sim.model.setOffline(everyone, { fromEpoch: sim.model.headEpoch + 1 });
    // The monitor settles epochs two behind the head: five more make the window all collapse.
    await epochs(5);
    const report = await t.app.exits.evaluate();
    expect(report, JSON.stringify(report)).toMatchObject({ blocked: expect.stringMatching(/network baseline collapsed/) });
    expect(report.outcomes).toEqual([]);
    sim.model.setOffline(everyone, { fromEpoch: sim.model.headEpoch + 1, offline: false });
    sim.model.setOffline([...offline, ...ALPHA.slice(0, 4)], { fromEpoch: sim.model.headEpoch + 1 });
  });

  it("a beacon node that fails, or says it is syncing, exits nobody", async () => {
    await epochs(3);
    sim.faults.set({ failRate: 1, failStatus: 500, paths: ["/eth/v1/node/syncing", "/eth/v1/beacon/headers"] });
    const failing = await t.app.exits.evaluate();
    expect(failing.blocked).toMatch(/cannot be asked/);
    expect(failing.outcomes).toEqual([]);
    sim.faults.clear();
    sim.faults.set({ syncing: true, syncDistance: 64 });
    const syncing = await t.app.exits.evaluate();
    expect(syncing.blocked).toMatch(/syncing/);
    sim.faults.clear();
  });

  it("the kill switch stops automated and manual exits", async () => {
    const killed = await startTestApp({ sameAs: t, config: { ...t.config, exits: { dryRun: false, killSwitch: true, policy: null, intervalMs: 3_600_000, executionRpcUrl: null } } });
    try {
      await epochs(1, killed);
      expect((await killed.app.exits.evaluate()).blocked).toMatch(/kill switch/);
      const manual = await killed.request("POST", `/api/v1/validators/${simulatedPubkeyHex(ALPHA[10] as number)}/exit`, { body: {} });
      expect(manual.statusCode).toBe(409);
      expect(manual.json()).toMatchObject({ code: "EXIT_GUARD_BLOCKED" });
    } finally {
      await killed.close();
    }
  });

  it("a manual exit by the validator's operator, as a dry run; another operator's validator is not found", async () => {
    const pubkey = simulatedPubkeyHex(ALPHA[20] as number);
    const own = await t.request("POST", `/api/v1/validators/${pubkey}/exit`, { token: alpha.token, body: { dryRun: true } });
    expect(own.json(), own.body).toMatchObject({ outcome: "dry_run" });
    const foreign = await t.request("POST", `/api/v1/validators/${pubkey}/exit`, { token: beta.token, body: { dryRun: true } });
    expect(foreign.statusCode).toBe(404);
  });
});

describe("pre-signed exits", () => {
  it("stores an exit whose signature verifies for the validator and the chain's exit domain; refuses the others", async () => {
    const beacon = new BeaconClient({ urls: [sim.url] });
    const spec = await beacon.getSpec();
    const genesis = await beacon.getGenesis();
    const domain = voluntaryExitDomain(parseHex(spec["CAPELLA_FORK_VERSION"] as string, { what: "fork", bytes: 4, prefix: "required" }), parseHex(genesis.genesisValidatorsRoot, { what: "root", bytes: 32, prefix: "required" }));
    // A real key, registered under alpha with a validator index.
    await t.app.store.db
      .insertInto("validator_keys")
      .values(registryRow(interopPubkey(7), alpha.id, { state: "active", validator_index: 2_999 }))
      .execute();
    const good = signVoluntaryExit(interopSecretKey(7), { epoch: 100, validatorIndex: 2_999 }, domain);
    const otherKey = signVoluntaryExit(interopSecretKey(8), { epoch: 100, validatorIndex: 2_999 }, domain);
    const answer = await t.request("POST", `/api/v1/operators/${alpha.id}/exits/presigned`, { token: alpha.token, body: [good, otherKey, { ...good, message: { ...good.message, validator_index: "5" } }] });
    expect(answer.json<{ results: unknown[] }>().results).toEqual([
      { validatorIndex: "2999", status: "stored", message: "" },
      { validatorIndex: "2999", status: "rejected", code: "PRESIGNED_EXIT_INVALID", message: expect.stringMatching(/does not verify/) },
      { validatorIndex: "5", status: "rejected", code: "VALIDATOR_NOT_FOUND", message: expect.any(String) },
    ]);
    const stored = await t.app.store.db.selectFrom("presigned_exits").selectAll().execute();
    expect(stored).toHaveLength(1);
    // Stored sealed: the signature is not in the database in clear.
    expect(stored[0]?.signed_exit).not.toContain(good.signature.slice(2, 40));
    const foreign = await t.request("POST", `/api/v1/operators/${alpha.id}/exits/presigned`, { token: beta.token, body: [good] });
    expect(foreign.statusCode).toBe(404);
  });
});
