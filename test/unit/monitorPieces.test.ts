/**
 * The monitor's pure parts, on hand-made inputs whose answers are worked out in the test: chain
 * constants, committee shapes, vote attribution through electra committee bits, the score, and the
 * packed result format.
 */
import { describe, expect, it } from "vitest";
import type { BlockSummary, Committee } from "../../src/beacon/chainResponses.js";
import { forkAtEpoch, parseChainSpec } from "../../src/beacon/chainSpec.js";
import { analyseInclusion } from "../../src/monitor/attestationInclusion.js";
import { committeesWithSlots } from "../../src/monitor/epochMonitor.js";
import { RESULT_FLAGS, scoreParts, type ValidatorEpochResult } from "../../src/monitor/performance.js";
import { decodeResults, encodeResults } from "../../src/monitor/resultCodec.js";
import { mainnetSpecValues } from "../helpers/mainnetSpec.js";

const root = (n: number): string => `0x${n.toString(16).padStart(64, "0")}`;

describe("chain constants", () => {
  it("names every missing constant at once", () => {
    const values = mainnetSpecValues();
    delete values["SLOTS_PER_EPOCH"];
    values["SYNC_COMMITTEE_SIZE"] = "lots";
    expect(() => parseChainSpec(values)).toThrow(/lacks SLOTS_PER_EPOCH, SYNC_COMMITTEE_SIZE/);
  });

  it("follows the fork schedule, and refuses a fork after fulu instead of misreading it", () => {
    const spec = parseChainSpec({ ...mainnetSpecValues({ ELECTRA: 10, FULU: 20 }), GLOAS_FORK_EPOCH: "30" });
    expect(forkAtEpoch(spec, 9)).toBe("deneb");
    expect(forkAtEpoch(spec, 10)).toBe("electra");
    expect(forkAtEpoch(spec, 29)).toBe("fulu");
    expect(() => forkAtEpoch(spec, 30)).toThrow(/gloas from epoch 30/);
  });
});

describe("committees of an epoch", () => {
  const c = (slot: number, index: number): Committee => ({ slot, index, validators: Uint32Array.of(slot, index) });

  it("keeps a well-formed answer", () => {
    const good = [c(16, 0), c(17, 0), c(18, 0), c(19, 0), c(20, 0), c(21, 0), c(22, 0), c(23, 0)];
    expect(committeesWithSlots(good, 2, 8)).toEqual(good);
  });

  it("reads Lodestar 1.5's garbled answer (committee index in slot, slot position in index)", () => {
    const garbled = Array.from({ length: 8 }, (_, k) => c(0, k));
    expect(committeesWithSlots(garbled, 2, 8).map((x) => [x.slot, x.index])).toEqual(Array.from({ length: 8 }, (_, k) => [16 + k, 0]));
  });

  it("refuses an answer that covers the epoch unevenly", () => {
    expect(() => committeesWithSlots([c(16, 0), c(16, 1), c(17, 0)], 2, 8)).toThrow(/does not cover/);
  });
});

describe("vote attribution from blocks", () => {
  // Epoch 1 of an 8-slot chain: slots 8..15; two committees at slot 9: [10, 11, 12] and [20, 21].
  const committees: Committee[] = [
    { slot: 9, index: 0, validators: Uint32Array.of(10, 11, 12) },
    { slot: 9, index: 1, validators: Uint32Array.of(20, 21) },
  ];
  const block = (slot: number, parent: number, attestations: BlockSummary["attestations"]): BlockSummary => ({
    slot,
    proposerIndex: 0,
    parentRoot: root(parent),
    attestations,
    syncBits: null,
    proposerSlashed: [],
    attesterSlashed: [],
  });
  // bits 0..4 over both committees, then the length bit at position 5.
  const bits = (members: number[]): Uint8Array => Uint8Array.of(members.reduce((b, m) => b | (1 << m), 1 << 5));
  const vote = (head: number, target: number, members: number[]) => ({
    slot: 9,
    index: 0,
    committees: [0, 1],
    aggregationBits: bits(members),
    beaconBlockRoot: root(head),
    sourceEpoch: 0,
    targetEpoch: 1,
    targetRoot: root(target),
  });

  it("electra aggregates spanning two committees; a vote seen twice counts once, at its first inclusion", () => {
    // Blocks at 8 (root 108), 10 (root 110), 12; the chain says slot 9's head is block 8 (root 108) and the target root is 108 too.
    const blocks = [
      block(8, 107, []),
      block(10, 108, [vote(108, 108, [0, 3])]), // validators 10 and 20, delay 1, head and target right
      block(12, 110, [vote(108, 108, [0, 1, 4]), vote(999, 108, [2])]), // 10 again (duplicate), 11 and 21 at delay 3; 12 votes a wrong head
    ];
    const r = analyseInclusion({ epoch: 1, slotsPerEpoch: 8, validatorCount: 30 }, blocks, committees);
    expect([10, 11, 12, 20, 21].map((v) => r.delay[v])).toEqual([1, 3, 3, 1, 3]);
    expect(r.headCorrect[12]).toBe(0);
    expect(r.headCorrect[11]).toBe(1);
    expect(r.targetCorrect[12]).toBe(1);
    expect(r.duplicateInclusions).toBe(1);
    expect(r.doubleVotes).toEqual([]);
  });

  it("two different votes of one validator for the same target are a double vote", () => {
    const blocks = [block(8, 107, []), block(10, 108, [vote(108, 108, [1])]), block(11, 110, [vote(555, 108, [1])])];
    const r = analyseInclusion({ epoch: 1, slotsPerEpoch: 8, validatorCount: 30 }, blocks, committees);
    expect(r.doubleVotes).toEqual([{ validatorIndex: 11, targetEpoch: 1, votes: [`${root(108)}/${root(108)}/0`, `${root(555)}/${root(108)}/0`] }]);
  });
});

describe("score", () => {
  const flags = (...names: (keyof typeof RESULT_FLAGS)[]): number => names.reduce((f, n) => f | RESULT_FLAGS[n], 0);

  it("weighs attestation 54 : proposal 8 : sync 2 over the duties the validator had", () => {
    // All three flags, a missed proposal, half the sync duties: (54·1 + 8·0 + 2·0.5) / 64.
    const parts = scoreParts({ flags: flags("duty", "source", "target", "head"), proposalDuties: 1, proposed: 0, syncDuties: 32, syncParticipated: 16 });
    expect(parts.sum / parts.weight).toBeCloseTo(55 / 64, 12);
    // Target only: 26/54 of the attestation part; no other duty.
    const target = scoreParts({ flags: flags("duty", "target"), proposalDuties: 0, proposed: 0, syncDuties: 0, syncParticipated: 0 });
    expect(target).toEqual({ sum: 26, weight: 54 });
    expect(scoreParts({ flags: 0, proposalDuties: 0, proposed: 0, syncDuties: 0, syncParticipated: 0 })).toEqual({ sum: 0, weight: 0 });
  });
});

describe("packed results", () => {
  it("round-trips every field, and refuses a corrupt blob", () => {
    const results: ValidatorEpochResult[] = [
      { index: 3, status: "active_ongoing", flags: 0xff, inclusionDelay: 2, proposalDuties: 1, proposed: 1, syncDuties: 32, syncParticipated: 31, earnedGwei: -1234, idealGwei: 15_000, balanceGwei: 32_001_234_567, effectiveBalanceGwei: 32e9 },
      { index: 1_999_999, status: "withdrawal_done", flags: 0, inclusionDelay: 0, proposalDuties: 0, proposed: 0, syncDuties: 0, syncParticipated: 0, earnedGwei: 0, idealGwei: 0, balanceGwei: 0, effectiveBalanceGwei: 0 },
    ];
    expect(decodeResults(encodeResults(results))).toEqual(results);
    const blob = encodeResults(results);
    expect(() => decodeResults(blob.subarray(0, blob.length - 3))).toThrow(expect.objectContaining({ code: "RESULTS_CORRUPT" }));
  });
});
