/**
 * Signals from processed epochs, on a real SQLite registry. The beacon-node simulator models
 * neither slashings in blocks nor double votes (test/simulator/README.md: blocks carry no
 * slashings, every validator votes once), so the epoch summaries here are built by the monitor's
 * own summarizeEpoch from hand-made blocks: an attester slashing, a proposer slashing, a double
 * vote, a validator the chain flags slashed. The simulator test (test/api/riskSimulated.test.ts)
 * covers the state flag over HTTP.
 */
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BeaconValidator } from "../../src/beacon/beaconApi.js";
import type { BlockSummary, Committee } from "../../src/beacon/chainResponses.js";
import { parseChainSpec } from "../../src/beacon/chainSpec.js";
import { summarizeEpoch, type EpochSummary } from "../../src/monitor/epochSummary.js";
import { MonitorRiskSignals } from "../../src/risk/monitorSignals.js";
import { SlashedKeysCheck } from "../../src/risk/slashedKeys.js";
import type { Store } from "../../src/store/database.js";
import { OperatorsRepository } from "../../src/store/operators.js";
import { RiskSignalsRepository } from "../../src/store/riskSignals.js";
import { ValidatorKeysRepository, type ValidatorKeyRow } from "../../src/store/validatorKeys.js";
import { mainnetSpecValues } from "../helpers/mainnetSpec.js";
import { openTestStore } from "../helpers/stores.js";

const spec = { ...parseChainSpec(mainnetSpecValues()), slotsPerEpoch: 8 };
const root = (n: number): string => `0x${n.toString(16).padStart(64, "0")}`;
const pk = (index: number): string => `0x${(0xa0_0000 + index).toString(16).padStart(96, "0")}`;
const T0 = "2026-11-21T10:00:00.000Z";

// Epoch 1 of an 8-slot chain (slots 8..15). Registered: 10, 11, 12 (operator "alpha"), 20 ("beta").
// Validator 21 is not registered: whatever it does is none of the service's business.
const REGISTERED: Record<number, string> = { 10: "alpha", 11: "alpha", 12: "alpha", 20: "beta" };
const committees: Committee[] = [
  { slot: 9, index: 0, validators: Uint32Array.of(10, 11, 12) },
  { slot: 9, index: 1, validators: Uint32Array.of(20, 21) },
];
const bits = (members: number[]): Uint8Array => Uint8Array.of(members.reduce((b, m) => b | (1 << m), 1 << 5));
const vote = (head: number, members: number[]) => ({
  slot: 9, index: 0, committees: [0, 1], aggregationBits: bits(members), beaconBlockRoot: root(head), sourceEpoch: 0, targetEpoch: 1, targetRoot: root(108),
});
const block = (slot: number, parent: number, extra: Partial<BlockSummary> = {}): BlockSummary => ({
  slot, proposerIndex: 0, parentRoot: root(parent), attestations: [], syncBits: null, proposerSlashed: [], attesterSlashed: [], ...extra,
});

interface Happenings {
  readonly doubleVoters?: number[];
  readonly attesterSlashed?: number[];
  readonly proposerSlashed?: number[];
  readonly slashedInState?: number[];
}

/** Epoch 1's summary as the monitor computes it (JSON path: validators from the node, flags from the blocks). */
function summary(h: Happenings): EpochSummary {
  const doubles = h.doubleVoters ?? [];
  const members = (indices: number[]): number[] => indices.map((v) => [10, 11, 12, 20, 21].indexOf(v));
  const blocks = [
    block(8, 107),
    block(10, 108, { attestations: [vote(108, members([10, 11, 12, 20, 21]))] }),
    block(11, 110, { attestations: doubles.length > 0 ? [vote(555, members(doubles))] : [], attesterSlashed: h.attesterSlashed ?? [] }),
    block(17, 111, { proposerSlashed: h.proposerSlashed ?? [] }),
  ];
  const slashed = new Set(h.slashedInState ?? []);
  const validators = new Map<number, BeaconValidator>(
    [10, 11, 12, 20, 21].map((index) => [
      index,
      {
        index, pubkey: pk(index), status: slashed.has(index) ? "active_slashed" : "active_ongoing", balanceGwei: 32e9, effectiveBalanceGwei: 32e9,
        withdrawalCredentials: "0x01", slashed: slashed.has(index), activationEligibilityEpoch: 0, activationEpoch: 0, exitEpoch: slashed.has(index) ? 300 : null, withdrawableEpoch: null,
      },
    ]),
  );
  return summarizeEpoch(
    { epoch: 1, spec, snapshot: null, validators, blocks, committees, proposerDuties: null, syncCommittee: null, rewards: null },
    Object.entries(REGISTERED).map(([index, operatorId]) => ({ index: Number(index), operatorId })),
  );
}

let opened: { store: Store; dispose(): Promise<void> };
let signals: RiskSignalsRepository;
let keys: ValidatorKeysRepository;
let now: Date;
let hook: MonitorRiskSignals;

beforeEach(async () => {
  opened = await openTestStore("sqlite");
  const { db } = opened.store;
  for (const name of ["alpha", "beta"]) {
    await new OperatorsRepository(db).insert({ id: name, name, reward_address: null, active: 1, key_limit: null, token_hash: randomUUID(), created_at: T0, updated_at: T0 });
  }
  keys = new ValidatorKeysRepository(db);
  await keys.insertMany(
    Object.entries(REGISTERED).map(([index, operator]): ValidatorKeyRow => ({
      pubkey: pk(Number(index)), operator_id: operator, source: "existing", derivation_path: null, withdrawal_credentials: null, amount_gwei: null,
      deposit_signature: null, deposit_message_root: null, deposit_data_root: null, state: "active", validator_index: Number(index), in_custody: 0, created_at: T0, updated_at: T0,
    })),
  );
  signals = new RiskSignalsRepository(db);
  now = new Date(T0);
  hook = new MonitorRiskSignals({ signals, keys, clock: { now: () => now } });
});
afterEach(async () => opened.dispose());

const open = async (): Promise<[string, string | null, number | null, string | null][]> =>
  (await signals.list()).map((s): [string, string | null, number | null, string | null] => [s.kind, s.operator_id, s.validator_index === null ? null : Number(s.validator_index), s.pubkey]).sort();

describe("risk signals from processed epochs", () => {
  it("a double vote of a registered validator is DOUBLE_VOTE, critical, about its target epoch; an unregistered one is ignored", async () => {
    const s = summary({ doubleVoters: [11, 21] });
    expect(s.doubleVotes.map((d) => d.validatorIndex).sort()).toEqual([11, 21]);
    expect(await hook.epochProcessed(s)).toMatchObject({ doubleVotes: 1 });
    expect(await open()).toEqual([["DOUBLE_VOTE", "alpha", 11, pk(11)]]);
    const [row] = await signals.list();
    expect(row).toMatchObject({ id: `DOUBLE_VOTE|${pk(11)}|1`, severity: "critical", epoch: 1 });
    expect(JSON.parse(row?.details ?? "{}")).toEqual({ targetEpoch: 1, votes: [`${root(108)}/${root(108)}/0`, `${root(555)}/${root(108)}/0`] });
  });

  it("slashings in the epoch's blocks are SLASHING_IN_BLOCK; the state's flag is SLASHED_ON_CHAIN", async () => {
    await hook.epochProcessed(summary({ attesterSlashed: [12, 21], proposerSlashed: [20], slashedInState: [12, 20, 21] }));
    expect(await open()).toEqual([
      ["SLASHED_ON_CHAIN", "alpha", 12, pk(12)],
      ["SLASHED_ON_CHAIN", "beta", 20, pk(20)],
      ["SLASHING_IN_BLOCK", "alpha", 12, pk(12)],
      ["SLASHING_IN_BLOCK", "beta", 20, pk(20)],
    ]);
    expect((await signals.list()).every((s) => s.severity === "critical")).toBe(true);
  });

  it("resolution: a block fact goes only when its epoch is processed again without it; a slashing never goes", async () => {
    await hook.epochProcessed(summary({ doubleVoters: [10], attesterSlashed: [12], slashedInState: [12] }));
    // The next epoch shows none of it: epoch 1's facts are not that check's business.
    now = new Date("2026-11-21T10:06:00.000Z");
    await hook.epochProcessed({ ...summary({ slashedInState: [12] }), epoch: 2, doubleVotes: [], slashedInBlocks: [] });
    expect((await open()).map((o) => o[0])).toEqual(["DOUBLE_VOTE", "SLASHED_ON_CHAIN", "SLASHING_IN_BLOCK"]);

    // A reorg: epoch 1 processed again, its blocks no longer hold the double vote or the slashing,
    // and the state no longer flags 12 (a node that lags). The slashing signal stays anyway.
    now = new Date("2026-11-21T10:07:00.000Z");
    expect(await hook.epochProcessed(summary({}))).toMatchObject({ resolved: 2 });
    expect(await open()).toEqual([["SLASHED_ON_CHAIN", "alpha", 12, pk(12)]]);
    expect((await signals.list({ resolved: true })).map((s) => [s.kind, s.resolved_at]).sort()).toEqual([
      ["DOUBLE_VOTE", "2026-11-21T10:07:00.000Z"],
      ["SLASHING_IN_BLOCK", "2026-11-21T10:07:00.000Z"],
    ]);
  });

  it("the hook handles summaries one after another and reports failures without stopping", async () => {
    const errors: unknown[] = [];
    hook.enqueue(summary({ doubleVoters: [10] }), (e) => errors.push(e));
    hook.enqueue({ ...summary({}), validators: null } as unknown as EpochSummary, (e) => errors.push(e));
    hook.enqueue(summary({ doubleVoters: [10], slashedInState: [20] }), (e) => errors.push(e));
    await hook.idle();
    expect(errors).toHaveLength(1);
    expect((await open()).map((o) => o[0])).toEqual(["DOUBLE_VOTE", "SLASHED_ON_CHAIN"]);
  });

  it("keys the registry has as slashed get SLASHED_ON_CHAIN without the monitor; existing signals are left as they are", async () => {
    await hook.epochProcessed(summary({ slashedInState: [12] }));
    const before = (await signals.list())[0];
    await keys.updateChainState(pk(12), "slashed", 12, T0);
    await keys.updateChainState(pk(20), "slashed", 20, T0);
    now = new Date("2026-11-21T10:09:00.000Z");
    const check = new SlashedKeysCheck({ keys, signals, clock: { now: () => now } });
    expect(await check.check()).toBe(1);
    expect(await check.check()).toBe(0);
    expect(await open()).toEqual([
      ["SLASHED_ON_CHAIN", "alpha", 12, pk(12)],
      ["SLASHED_ON_CHAIN", "beta", 20, pk(20)],
    ]);
    expect((await signals.list()).find((s) => s.pubkey === pk(12))).toEqual(before);
  });
});
