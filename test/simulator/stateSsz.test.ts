/**
 * The simulator's hand-assembled SSZ states against lodestar's own types: the bytes must
 * deserialize with ssz.electra.BeaconState (ssz.fulu for Fulu), serialize back to the same bytes,
 * and hold what the model says. This is what makes the simulator's states trustworthy.
 */
import { ssz } from "@lodestar/types";
import { describe, expect, it } from "vitest";
import { FAR_FUTURE_EPOCH } from "./chainConfig.js";
import { epochOf, startSlotOf } from "./chainLayout.js";
import { ChainModel, type ChainModelOptions } from "./chainModel.js";
import { simulatedPubkey } from "./pubkeys.js";
import { StateAssembler } from "./stateSsz.js";

/** Lodestar hands back Buffer views when it reads a Buffer: compare bytes as hex. */
const hex = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? new Uint8Array()).toString("hex");

function assembled(options: ChainModelOptions, slot?: (model: ChainModel) => number): { model: ChainModel; slot: number; bytes: Buffer } {
  const model = new ChainModel(options);
  const at = slot?.(model) ?? model.headSlot;
  const state = new StateAssembler(model).assemble(at);
  const bytes = Buffer.concat(state.segments);
  expect(bytes.length).toBe(state.length);
  return { model, slot: at, bytes };
}

describe("SSZ state assembly", () => {
  // Each row: a chain and the slot of the state, with why it matters.
  const cases: { name: string; options: ChainModelOptions; slot?: (model: ChainModel) => number }[] = [
    // Tiny: one committee per slot, sync committee members repeat, most validators not active.
    { name: "64 validators, 48 active, at the head", options: { validatorCount: 64, activeCount: 48, seed: 7 } },
    // Every status of the mix, several 0x02 validators above 32 ETH, pending deposits.
    { name: "1,000 validators, 700 active, mid-epoch", options: { validatorCount: 1000, activeCount: 700, seed: 3, pendingDeposits: 5 }, slot: (m) => m.headSlot - 17 },
    // The last slot of an epoch: previous_epoch_participation is final there.
    { name: "1,000 validators at an epoch's last slot", options: { validatorCount: 1000, activeCount: 1000 }, slot: (m) => startSlotOf(m.headEpoch) - 1 },
  ];

  for (const { name, options, slot } of cases) {
    it(`${name}: lodestar reads it and writes the same bytes`, () => {
      const { model, slot: at, bytes } = assembled(options, slot);
      const state = ssz.electra.BeaconState.deserialize(bytes);
      expect(Buffer.from(ssz.electra.BeaconState.serialize(state)).equals(bytes)).toBe(true);

      const epoch = epochOf(at);
      expect(state.slot).toBe(at);
      expect(state.genesisTime).toBe(model.genesisTime);
      expect(state.validators).toHaveLength(model.validatorCount);
      for (let i = 0; i < model.validatorCount; i++) {
        expect(ssz.phase0.Validator.equals(state.validators[i]!, model.validator(i))).toBe(true);
      }
      expect(state.balances).toEqual(Array.from(model.balances(epoch)));
      const participation = model.participationAt(at);
      expect(state.previousEpochParticipation).toEqual(Array.from(participation.previous));
      expect(state.currentEpochParticipation).toEqual(Array.from(participation.current));
      expect(state.inactivityScores).toEqual(new Array(model.validatorCount).fill(0));
      const period = model.syncPeriodOf(epoch);
      expect(state.currentSyncCommittee.pubkeys.map(hex)).toEqual([...model.syncCommittee(period)].map((i) => hex(simulatedPubkey(i))));
      expect(hex(state.nextSyncCommittee.pubkeys[0])).toBe(hex(simulatedPubkey(model.syncCommittee(period + 1)[0]!)));
      expect(state.finalizedCheckpoint.epoch).toBe(epoch - 2);
      expect(hex(state.currentJustifiedCheckpoint.root)).toBe(hex(model.layout.blockRootAt(startSlotOf(epoch - 1))));
      expect(state.latestBlockHeader.slot).toBe(model.layout.latestBlockSlot(at));
      expect(hex(state.blockRoots[(at - 1) % 8192])).toBe(hex(model.layout.blockRootAt(at - 1)));
      expect(state.pendingDeposits).toHaveLength(options.pendingDeposits ?? 0);
      expect(hex(state.fork.currentVersion)).toBe("05000000");
    });
  }

  it("holds every status of the mix, by the spec's status rules", () => {
    const { model, bytes } = assembled({ validatorCount: 1000, activeCount: 500, seed: 3 });
    const state = ssz.electra.BeaconState.deserialize(bytes);
    const epoch = model.headEpoch;
    const statuses = new Set(state.validators.map((v, i) => model.status(i, epoch, state.balances[i]!)));
    expect([...statuses].sort()).toEqual(["active_ongoing", "exited_slashed", "exited_unslashed", "pending_queued", "withdrawal_done"]);
    const credentialPrefixes = new Set(state.validators.map((v) => v.withdrawalCredentials[0]));
    expect([...credentialPrefixes].sort()).toEqual([0, 1, 2]);
    expect(state.validators.some((v) => v.effectiveBalance > 32e9)).toBe(true);
    expect(state.validators[0]!.exitEpoch).toBe(FAR_FUTURE_EPOCH);
  });

  it("a Fulu state reads back with ssz.fulu.BeaconState, proposer lookahead included", () => {
    const { model, bytes } = assembled({ validatorCount: 64, activeCount: 64, fork: "fulu" });
    const state = ssz.fulu.BeaconState.deserialize(bytes);
    expect(Buffer.from(ssz.fulu.BeaconState.serialize(state)).equals(bytes)).toBe(true);
    expect(state.proposerLookahead).toEqual(Array.from({ length: 64 }, (_, i) => model.proposer(startSlotOf(model.headEpoch) + i)));
    expect(hex(state.fork.currentVersion)).toBe("06000000");
  });

  it("is deterministic: the same options give the same bytes, another seed others", () => {
    const options = { validatorCount: 200, activeCount: 150, seed: 11 };
    const a = assembled(options).bytes;
    expect(assembled(options).bytes.equals(a)).toBe(true);
    expect(assembled({ ...options, seed: 12 }).bytes.equals(a)).toBe(false);
  });
});
