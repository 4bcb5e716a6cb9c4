/**
 * Applies the exit policy's rules to the monitor's results of the last epochs. Pure: the caller
 * loads the results and guards the decision. Returns candidates, worst first, each with the rule
 * and the numbers it saw (for the audit log).
 */
import { RESULT_FLAGS, ratios, scoreParts, type PerformanceTotals, type ValidatorEpochResult } from "../monitor/performance.js";
import type { ExitPolicy, ExitRule } from "./exitPolicy.js";

export interface EpochResults {
  readonly epoch: number;
  readonly network: PerformanceTotals;
  /** Per operator id. */
  readonly operators: ReadonlyMap<string, PerformanceTotals>;
  /** Per validator index, with its operator. */
  readonly validators: ReadonlyMap<number, { readonly operatorId: string; readonly result: ValidatorEpochResult }>;
}

export interface ExitCandidate {
  readonly validatorIndex: number;
  readonly operatorId: string;
  readonly rule: ExitRule["type"];
  /** What the rule saw, for the audit log. */
  readonly numbers: Readonly<Record<string, unknown>>;
  /** Lower is worse; candidates are ordered by it. */
  readonly badness: number;
}

/** `epochs`: consecutive processed epochs, oldest first, ending with the newest. */
export function evaluateRules(policy: ExitPolicy, epochs: readonly EpochResults[]): ExitCandidate[] {
  const found = new Map<number, ExitCandidate>();
  const add = (c: ExitCandidate): void => {
    if (!found.has(c.validatorIndex)) found.set(c.validatorIndex, c);
  };
  for (const rule of policy.rules) {
    if (rule.type === "consecutive-misses") consecutiveMisses(rule.epochs, epochs).forEach(add);
    else if (rule.type === "below-baseline") belowBaseline(rule, epochs).forEach(add);
    else operatorBelowBaseline(rule, epochs).forEach(add);
  }
  return [...found.values()].sort((a, b) => a.badness - b.badness || a.validatorIndex - b.validatorIndex);
}

function missed(r: ValidatorEpochResult | undefined): boolean {
  return r !== undefined && (r.flags & RESULT_FLAGS.duty) !== 0 && (r.flags & 7) === 0;
}

function score(r: ValidatorEpochResult): number | null {
  const { sum, weight } = scoreParts(r);
  return weight === 0 ? null : sum / weight;
}

function consecutiveMisses(count: number, epochs: readonly EpochResults[]): ExitCandidate[] {
  const last = epochs.slice(-count);
  if (last.length < count) return [];
  const newest = last.at(-1) as EpochResults;
  const out: ExitCandidate[] = [];
  for (const [index, { operatorId }] of newest.validators) {
    if (last.every((e) => missed(e.validators.get(index)?.result))) {
      out.push({ validatorIndex: index, operatorId, rule: "consecutive-misses", numbers: { missedEpochs: last.map((e) => e.epoch) }, badness: -count });
    }
  }
  return out;
}

function belowBaseline(rule: Extract<ExitRule, { type: "below-baseline" }>, epochs: readonly EpochResults[]): ExitCandidate[] {
  const window = epochs.slice(-rule.window);
  if (window.length < rule.window) return [];
  const newest = window.at(-1) as EpochResults;
  const out: ExitCandidate[] = [];
  for (const [index, { operatorId }] of newest.validators) {
    const strikes: { epoch: number; score: number; network: number }[] = [];
    let total = 0;
    for (const e of window) {
      const r = e.validators.get(index)?.result;
      const network = ratios(e.network).score;
      const own = r === undefined ? null : score(r);
      if (own === null || network === null) continue;
      total += own;
      if (own < network - rule.leeway) strikes.push({ epoch: e.epoch, score: round(own), network: round(network) });
    }
    if (strikes.length >= rule.strikes) {
      out.push({ validatorIndex: index, operatorId, rule: "below-baseline", numbers: { leeway: rule.leeway, strikes }, badness: total / window.length });
    }
  }
  return out;
}

function operatorBelowBaseline(rule: Extract<ExitRule, { type: "operator-below-baseline" }>, epochs: readonly EpochResults[]): ExitCandidate[] {
  const window = epochs.slice(-rule.window);
  if (window.length < rule.window) return [];
  const newest = window.at(-1) as EpochResults;
  const sum = (pick: (e: EpochResults) => PerformanceTotals | undefined): number | null => {
    let s = 0;
    let w = 0;
    for (const e of window) {
      const t = pick(e);
      if (t === undefined) continue;
      s += t.scoreSum;
      w += t.scoreWeight;
    }
    return w === 0 ? null : s / w;
  };
  const network = sum((e) => e.network);
  if (network === null) return [];
  const out: ExitCandidate[] = [];
  for (const operatorId of newest.operators.keys()) {
    const own = sum((e) => e.operators.get(operatorId));
    if (own === null || own >= network - rule.leeway) continue;
    // Its worst validators over the window, by summed score.
    const totals = new Map<number, { s: number; w: number }>();
    for (const e of window) {
      for (const [index, v] of e.validators) {
        if (v.operatorId !== operatorId) continue;
        const p = scoreParts(v.result);
        const t = totals.get(index) ?? { s: 0, w: 0 };
        totals.set(index, { s: t.s + p.sum, w: t.w + p.weight });
      }
    }
    const worst = [...totals]
      .filter(([, t]) => t.w > 0)
      .map(([index, t]) => ({ index, score: t.s / t.w }))
      .sort((a, b) => a.score - b.score || a.index - b.index)
      .slice(0, rule.maxValidators);
    for (const w of worst) {
      out.push({
        validatorIndex: w.index,
        operatorId,
        rule: "operator-below-baseline",
        numbers: { operatorScore: round(own), networkScore: round(network), leeway: rule.leeway, validatorScore: round(w.score), epochs: window.map((e) => e.epoch) },
        badness: w.score,
      });
    }
  }
  return out;
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
