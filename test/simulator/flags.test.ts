/**
 * The participation flags in the served states must be what the served blocks say. This test
 * recomputes them with its own small implementation of the spec's rules, from what a client sees
 * over HTTP only (blocks, committees, headers), and compares them with the SSZ states, before and
 * after a reorg. It also checks the balances against the attestation rewards endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bitlist, bitvector, getJson, getState, postJson } from "./httpHelpers.js";
import { startBeaconSimulator, type BeaconSimulator } from "./server.js";

const SLOTS = 32;
/** 16,384 active validators: 4 committees per slot, so aggregates span several committees. */
const ACTIVE = 16_384;
const OFFLINE = [5, 6, 7, 8];

interface AttestationJson {
  aggregation_bits: string;
  committee_bits: string;
  data: { slot: string; index: string; beacon_block_root: string; source: { epoch: string; root: string }; target: { epoch: string; root: string } };
}
interface BlockJson {
  version: string;
  data: { message: { slot: string; parent_root: string; body: { attestations: AttestationJson[] } } };
}
interface HeaderJson {
  data: { root: string; canonical: boolean; header: { message: { slot: string; parent_root: string } } };
}
interface CommitteeJson {
  data: { index: string; slot: string; validators: string[] }[];
}

/** What a client knows of the chain after reading it over HTTP. */
class ClientView {
  readonly roots = new Map<number, string>();
  readonly blocks = new Map<number, BlockJson>();
  readonly committees = new Map<string, string[]>();

  constructor(readonly url: string) {}

  async load(epoch: number): Promise<void> {
    for (let slot = (epoch - 2) * SLOTS; slot < (epoch + 2) * SLOTS; slot++) {
      const header = await getJson<HeaderJson>(this.url, `/eth/v1/beacon/headers/${slot}`);
      if (header.status === 200) this.roots.set(slot, header.body.data.root);
      else expect(header.status).toBe(404);
      if (slot <= epoch * SLOTS) continue;
      const block = await getJson<BlockJson>(this.url, `/eth/v2/beacon/blocks/${slot}`);
      if (block.status === 200) this.blocks.set(slot, block.body);
    }
    const committees = await getJson<CommitteeJson>(this.url, `/eth/v1/beacon/states/head/committees?epoch=${epoch}`);
    for (const c of committees.body.data) this.committees.set(`${c.slot}/${c.index}`, c.validators);
  }

  /** get_block_root_at_slot: the latest block at or before `slot`. */
  blockRootAt(slot: number): string {
    for (let s = slot; s > slot - 4 * SLOTS; s--) {
      const root = this.roots.get(s);
      if (root !== undefined) return root;
    }
    throw new Error(`no block known at or before ${slot}`);
  }

  /**
   * The flags of `epoch`'s votes included in blocks up to `upToSlot`: the spec's
   * get_attestation_participation_flag_indices (Deneb+) per inclusion, OR-ed per validator as
   * process_attestation sets them.
   */
  flags(epoch: number, upToSlot: number, validatorCount: number): { flags: Uint8Array; inclusions: number; multiCommittee: number; duplicates: number } {
    const flags = new Uint8Array(validatorCount);
    const seen = new Set<number>();
    let inclusions = 0;
    let multiCommittee = 0;
    let duplicates = 0;
    for (const [slot, block] of [...this.blocks].sort(([a], [b]) => a - b)) {
      if (slot > upToSlot) continue;
      const attestations = block.data.message.body.attestations;
      expect(attestations.length).toBeLessThanOrEqual(8);
      for (const a of attestations) {
        expect(a.data.index).toBe("0");
        if (Number(a.data.target.epoch) !== epoch) continue;
        const dataSlot = Number(a.data.slot);
        const committeeIndices = bitvector(a.committee_bits).flatMap((set, i) => (set ? [i] : []));
        if (committeeIndices.length > 1) multiCommittee++;
        const members = committeeIndices.flatMap((i) => this.committees.get(`${dataSlot}/${i}`) ?? []);
        const bits = bitlist(a.aggregation_bits);
        expect(bits.length).toBe(members.length);
        const delay = slot - dataSlot;
        const matchingSource = a.data.source.epoch === String(epoch - 1) && a.data.source.root === this.blockRootAt((epoch - 1) * SLOTS);
        const matchingTarget = a.data.target.root === this.blockRootAt(epoch * SLOTS);
        const matchingHead = matchingTarget && a.data.beacon_block_root === this.blockRootAt(dataSlot);
        const f = (matchingSource && delay <= 5 ? 1 : 0) | (matchingTarget ? 2 : 0) | (matchingHead && delay === 1 ? 4 : 0);
        inclusions++;
        bits.forEach((bit, i) => {
          if (!bit) return;
          const v = Number(members[i]);
          if (seen.has(v)) duplicates++;
          seen.add(v);
          flags[v] = (flags[v] ?? 0) | f;
        });
      }
    }
    return { flags, inclusions, multiCommittee, duplicates };
  }
}

describe("participation flags, recomputed from the served blocks", () => {
  let sim: BeaconSimulator;
  const validatorCount = 20_000;

  beforeAll(async () => {
    sim = await startBeaconSimulator({ validatorCount, activeCount: ACTIVE, seed: 5, offline: OFFLINE });
  });
  afterAll(() => sim.close());

  it("equal the state's participation at the end of the next epoch, and mid-epoch", async () => {
    const epoch = sim.model.headEpoch - 2;
    const view = new ClientView(sim.url);
    await view.load(epoch);

    const lastSlot = (epoch + 2) * SLOTS - 1;
    const final = view.flags(epoch, lastSlot, validatorCount);
    const state = await getState(sim.url, lastSlot);
    expect(Array.from(state.previousEpochParticipation)).toEqual(Array.from(final.flags));

    const midSlot = epoch * SLOTS + 20;
    const partial = view.flags(epoch, midSlot, validatorCount);
    const midState = await getState(sim.url, midSlot);
    expect(Array.from(midState.currentEpochParticipation)).toEqual(Array.from(partial.flags));

    // The chain shows what mainnet shows: multi-committee aggregates, duplicates, every flag combination.
    expect(final.multiCommittee).toBeGreaterThan(0);
    expect(final.duplicates).toBeGreaterThan(0);
    const counts = new Map<number, number>();
    for (let v = 0; v < ACTIVE; v++) counts.set(final.flags[v]!, (counts.get(final.flags[v]!) ?? 0) + 1);
    expect((counts.get(7) ?? 0) / ACTIVE).toBeGreaterThan(0.9);
    for (const value of [0, 3, 7]) expect(counts.get(value) ?? 0).toBeGreaterThan(0);
    for (const v of OFFLINE) expect(final.flags[v]).toBe(0);
  });

  it("blocks chain by parent_root, and stay consistent with the state after a reorg removes a block", async () => {
    const epoch = sim.model.headEpoch - 2;
    const victim = [...Array(SLOTS).keys()].map((i) => epoch * SLOTS + 3 + i).find((slot) => sim.model.layout.hasBlock(slot))!;
    const before = await getJson<HeaderJson>(sim.url, "/eth/v1/beacon/headers/head");
    const removedRoot = (await getJson<HeaderJson>(sim.url, `/eth/v1/beacon/headers/${victim}`)).body.data.root;

    await postJson(sim.url, "/_sim/reorg", { slot: victim, change: "remove" });
    expect((await getJson(sim.url, `/eth/v1/beacon/headers/${victim}`)).status).toBe(404);
    const orphan = await getJson<HeaderJson>(sim.url, `/eth/v1/beacon/headers/${removedRoot}`);
    expect(orphan.body.data.canonical).toBe(false);
    const after = await getJson<HeaderJson>(sim.url, "/eth/v1/beacon/headers/head");
    expect(after.body.data.root).not.toBe(before.body.data.root);

    const view = new ClientView(sim.url);
    await view.load(epoch);
    // Each block's parent is the previous block that exists: the monitor finds canonical roots that way.
    const slots = [...view.roots.keys()].sort((a, b) => a - b);
    for (let i = 1; i < slots.length; i++) {
      const header = await getJson<HeaderJson>(sim.url, `/eth/v1/beacon/headers/${slots[i]}`);
      expect(header.body.data.header.message.parent_root).toBe(view.roots.get(slots[i - 1]!));
    }
    const lastSlot = (epoch + 2) * SLOTS - 1;
    const state = await getState(sim.url, lastSlot);
    expect(Array.from(state.previousEpochParticipation)).toEqual(Array.from(view.flags(epoch, lastSlot, validatorCount).flags));
    // The votes that block would have carried (for the slot before it) are in the next block instead, one slot late.
    const next = [...view.blocks.keys()].sort((a, b) => a - b).find((s) => s > victim)!;
    const late = view.blocks.get(next)!.data.message.body.attestations.filter((a) => Number(a.data.slot) === victim - 1);
    expect(late.length).toBeGreaterThan(0);
  });

  it("balances move by exactly the attestation rewards the rewards endpoint reports", async () => {
    const epoch = sim.model.headEpoch - 2;
    const sample = [...Array(300).keys(), ...OFFLINE, ACTIVE - 1];
    const rewards = await postJson<{
      data: {
        ideal_rewards: { effective_balance: string; head: string; target: string; source: string }[];
        total_rewards: { validator_index: string; head: string; target: string; source: string; inactivity: string }[];
      };
    }>(sim.url, `/eth/v1/beacon/rewards/attestations/${epoch}`, sample.map(String));
    expect(rewards.status).toBe(200);
    const before = await getState(sim.url, (epoch + 2) * SLOTS - 1);
    const after = await getState(sim.url, (epoch + 2) * SLOTS);
    const ideal = new Map(rewards.body.data.ideal_rewards.map((r) => [r.effective_balance, r]));
    for (const total of rewards.body.data.total_rewards) {
      const v = Number(total.validator_index);
      const delta = Number(total.head) + Number(total.target) + Number(total.source) + Number(total.inactivity);
      expect(after.balances[v]! - before.balances[v]!).toBe(delta);
      if (before.previousEpochParticipation[v] === 7) {
        const best = ideal.get(String(before.validators[v]!.effectiveBalance))!;
        expect([total.head, total.target, total.source]).toEqual([best.head, best.target, best.source]);
      }
    }
    for (const v of OFFLINE) {
      const total = rewards.body.data.total_rewards.find((r) => r.validator_index === String(v))!;
      expect(Number(total.source)).toBeLessThan(0);
      expect(Number(total.target)).toBeLessThan(0);
      expect(total.head).toBe("0");
    }
  });
});
