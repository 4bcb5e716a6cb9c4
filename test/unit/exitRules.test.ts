/** The exit rules on hand-made epochs, with the expected candidates worked out by hand. */
import { describe, expect, it } from "vitest";
import { parseExitPolicy } from "../../src/exit/exitPolicy.js";
import { evaluateRules, type EpochResults } from "../../src/exit/ruleEvaluation.js";
import { RESULT_FLAGS, addResult, emptyTotals, type PerformanceTotals, type ValidatorEpochResult } from "../../src/monitor/performance.js";

const ALL = RESULT_FLAGS.duty | RESULT_FLAGS.source | RESULT_FLAGS.target | RESULT_FLAGS.head;
const MISS = RESULT_FLAGS.duty;
const TARGET_ONLY = RESULT_FLAGS.duty | RESULT_FLAGS.target;

function result(index: number, flags: number): ValidatorEpochResult {
  return { index, status: "active_ongoing", flags, inclusionDelay: flags === MISS ? 0 : 1, proposalDuties: 0, proposed: 0, syncDuties: 0, syncParticipated: 0, earnedGwei: 0, idealGwei: 0, balanceGwei: 32e9, effectiveBalanceGwei: 32e9 };
}

/** `flags[operator][validator]` for one epoch; the network is everyone plus 100 perfect others. */
function epoch(n: number, operators: Record<string, Record<number, number>>): EpochResults {
  const network = emptyTotals();
  const totals = new Map<string, PerformanceTotals>();
  const validators = new Map<number, { operatorId: string; result: ValidatorEpochResult }>();
  for (const [operatorId, byIndex] of Object.entries(operators)) {
    const t = emptyTotals();
    for (const [index, flags] of Object.entries(byIndex)) {
      const r = result(Number(index), flags);
      addResult(t, r);
      addResult(network, r);
      validators.set(r.index, { operatorId, result: r });
    }
    totals.set(operatorId, t);
  }
  for (let i = 0; i < 100; i++) addResult(network, result(10_000 + i, ALL));
  return { epoch: n, network, operators: totals, validators };
}

describe("exit rules", () => {
  it("consecutive-misses: every one of the last N epochs missed; a miss in between is not enough", () => {
    const policy = parseExitPolicy({ rules: [{ type: "consecutive-misses", epochs: 2 }] });
    const epochs = [epoch(10, { a: { 1: MISS, 2: MISS, 3: ALL } }), epoch(11, { a: { 1: MISS, 2: ALL, 3: MISS } }), epoch(12, { a: { 1: MISS, 2: MISS, 3: MISS } })];
    const candidates = evaluateRules(policy, epochs);
    expect(candidates.map((c) => [c.validatorIndex, c.rule])).toEqual([
      [1, "consecutive-misses"],
      [3, "consecutive-misses"],
    ]);
    expect(candidates[0]?.numbers).toEqual({ missedEpochs: [11, 12] });
    // Not enough epochs processed yet: nobody.
    expect(evaluateRules(policy, epochs.slice(-1))).toEqual([]);
  });

  it("below-baseline: strikes when the score is below the network's minus the leeway, K of W", () => {
    // Target-only scores 26/54 ≈ 0.48 against a network near 1: a strike every such epoch.
    const policy = parseExitPolicy({ rules: [{ type: "below-baseline", leeway: 0.1, strikes: 2, window: 3 }] });
    const epochs = [epoch(1, { a: { 1: TARGET_ONLY, 2: TARGET_ONLY } }), epoch(2, { a: { 1: ALL, 2: TARGET_ONLY } }), epoch(3, { a: { 1: TARGET_ONLY, 2: ALL } })];
    const candidates = evaluateRules(policy, epochs);
    expect(candidates.map((c) => c.validatorIndex).sort()).toEqual([1, 2]);
    expect((candidates[0]?.numbers["strikes"] as unknown[]).length).toBe(2);
    const three = parseExitPolicy({ rules: [{ type: "below-baseline", strikes: 3, window: 3 }] });
    expect(evaluateRules(three, epochs)).toEqual([]);
  });

  it("operator-below-baseline: an operator under the network exits its worst validators first, at most N", () => {
    const policy = parseExitPolicy({ rules: [{ type: "operator-below-baseline", leeway: 0.05, window: 2, maxValidators: 1 }] });
    const epochs = [epoch(1, { bad: { 1: MISS, 2: TARGET_ONLY, 3: ALL }, good: { 4: ALL } }), epoch(2, { bad: { 1: MISS, 2: TARGET_ONLY, 3: ALL }, good: { 4: ALL } })];
    const candidates = evaluateRules(policy, epochs);
    expect(candidates.map((c) => [c.operatorId, c.validatorIndex])).toEqual([["bad", 1]]);
  });

  it("a validator caught by several rules is one candidate, under the first rule", () => {
    const policy = parseExitPolicy({ rules: [{ type: "consecutive-misses", epochs: 2 }, { type: "below-baseline", strikes: 2, window: 2 }] });
    const epochs = [epoch(1, { a: { 1: MISS } }), epoch(2, { a: { 1: MISS } })];
    expect(evaluateRules(policy, epochs).map((c) => c.rule)).toEqual(["consecutive-misses"]);
  });
});
