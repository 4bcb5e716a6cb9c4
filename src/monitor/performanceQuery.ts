/**
 * Reads the monitor's stored results for the API: an operator's totals per epoch beside the
 * network's, and one validator's results per epoch (unpacked from its operator's blob).
 */
import { StakeopsError } from "../errors.js";
import type { MonitorRepository } from "../store/monitor.js";
import type { OperatorsRepository } from "../store/operators.js";
import type { ValidatorKeysRepository } from "../store/validatorKeys.js";
import { decodeResults } from "./resultCodec.js";
import { RESULT_FLAGS, ratios, validatorScore, type PerformanceTotals, type ValidatorEpochResult } from "./performance.js";

export class PerformanceQueryError extends StakeopsError<"VALIDATOR_NOT_FOUND" | "OPERATOR_NOT_FOUND" | "EPOCH_RANGE_INVALID"> {}

/** Epochs per request: 2,000 epochs of one operator's totals is ~1 MB of JSON. */
export const MAX_EPOCH_RANGE = 2_000;
const DEFAULT_EPOCHS = 10;

export interface EpochRange {
  readonly from?: number;
  readonly to?: number;
}

export class PerformanceQuery {
  constructor(
    private readonly deps: { readonly results: MonitorRepository; readonly keys: ValidatorKeysRepository; readonly operators: OperatorsRepository },
  ) {}

  async status(): Promise<{ lastProcessedEpoch: number | null; skippedEpochs: number; recent: { epoch: number; state: string; reason: string | null; source: string | null; rewardsSource: string | null; final: boolean; processingMs: number | null }[] }> {
    const last = await this.deps.results.lastEpoch();
    const recent = last === null ? [] : await this.deps.results.listEpochs(Math.max(0, last - 19), last);
    const processed = await this.deps.results.lastProcessed();
    return {
      lastProcessedEpoch: processed === undefined ? null : Number(processed.epoch),
      skippedEpochs: await this.deps.results.countSkipped(),
      recent: recent.reverse().map((r) => ({
        epoch: Number(r.epoch),
        state: r.state,
        reason: r.reason,
        source: r.source,
        rewardsSource: r.rewards_source,
        final: r.final === 1,
        processingMs: r.processing_ms,
      })),
    };
  }

  async operator(operatorId: string, range: EpochRange): Promise<{ operator: { id: string; name: string }; epochs: unknown[] }> {
    const operator = await this.deps.operators.findById(operatorId);
    if (operator === undefined) throw new PerformanceQueryError("OPERATOR_NOT_FOUND", `no operator with id ${operatorId}`, { operatorId });
    const { from, to } = await this.resolve(range);
    const [mine, network, epochs] = await Promise.all([
      this.deps.results.operatorTotals(operatorId, from, to),
      this.deps.results.networkTotals(from, to),
      this.deps.results.listEpochs(from, to),
    ]);
    const mineAt = new Map(mine.map((r) => [r.epoch, JSON.parse(r.totals) as PerformanceTotals]));
    const networkAt = new Map(network.map((r) => [r.epoch, JSON.parse(r.totals) as PerformanceTotals]));
    return {
      operator: { id: operator.id, name: operator.name },
      epochs: epochs.map((row) => {
        const epoch = Number(row.epoch);
        const totals = mineAt.get(epoch);
        const net = networkAt.get(epoch);
        return {
          epoch,
          state: row.state,
          ...(row.reason === null ? {} : { reason: row.reason }),
          operator: totals === undefined ? null : report(totals),
          network: net === undefined ? null : report(net),
        };
      }),
    };
  }

  async validator(pubkeyOrIndex: string, range: EpochRange): Promise<{ validator: { pubkey: string; index: number | null; operatorId: string }; epochs: unknown[] }> {
    const key = await this.findKey(pubkeyOrIndex);
    const { from, to } = await this.resolve(range);
    const index = key.validator_index === null ? null : Number(key.validator_index);
    const epochs: unknown[] = [];
    if (index !== null) {
      for (const row of await this.deps.results.validatorResults(key.operator_id, from, to)) {
        const results = decodeResults(row.data);
        const found = binarySearch(results, index);
        if (found !== undefined) epochs.push({ epoch: row.epoch, ...validatorReport(found) });
      }
    }
    return { validator: { pubkey: key.pubkey, index, operatorId: key.operator_id }, epochs };
  }

  /** The key registered under a pubkey (0x…) or a validator index (decimal). */
  async findKey(pubkeyOrIndex: string): Promise<{ pubkey: string; validator_index: number | null; operator_id: string }> {
    const notFound = (): PerformanceQueryError =>
      new PerformanceQueryError("VALIDATOR_NOT_FOUND", `no registered validator ${pubkeyOrIndex.slice(0, 100)}`, { validator: pubkeyOrIndex.slice(0, 100) });
    if (/^(0|[1-9][0-9]{0,15})$/.test(pubkeyOrIndex)) {
      const key = await this.deps.keys.findByIndex(Number(pubkeyOrIndex));
      if (key === undefined) throw notFound();
      return key;
    }
    if (!/^0x[0-9a-fA-F]{96}$/.test(pubkeyOrIndex)) throw notFound();
    const key = await this.deps.keys.get(pubkeyOrIndex.toLowerCase());
    if (key === undefined) throw notFound();
    return key;
  }

  private async resolve(range: EpochRange): Promise<{ from: number; to: number }> {
    const last = (await this.deps.results.lastEpoch()) ?? 0;
    const to = range.to ?? last;
    const from = range.from ?? Math.max(0, to - DEFAULT_EPOCHS + 1);
    if (from > to) throw new PerformanceQueryError("EPOCH_RANGE_INVALID", `from (${from}) is after to (${to})`, { from, to });
    if (to - from + 1 > MAX_EPOCH_RANGE) {
      throw new PerformanceQueryError("EPOCH_RANGE_INVALID", `at most ${MAX_EPOCH_RANGE} epochs per request (asked ${to - from + 1}); page with from and to`, { from, to });
    }
    return { from, to };
  }
}

function report(t: PerformanceTotals): Record<string, unknown> {
  const r = ratios(t);
  return {
    validators: t.validators,
    statuses: t.statusCounts,
    attestations: {
      duties: t.attestationDuties,
      missed: t.attestationMissed,
      included: t.included,
      timely: { source: t.timelySource, target: t.timelyTarget, head: t.timelyHead },
      timelyRatio: r.timely,
      missedRatio: r.missed,
      inclusionDelayAvgSlots: r.inclusionDelayAvg,
      correct: { head: t.headCorrect, target: t.targetCorrect },
    },
    rewards: { earnedGwei: t.earnedGwei, idealGwei: t.idealGwei, effectiveness: r.effectiveness },
    proposals: { duties: t.proposalDuties, proposed: t.proposed, missed: t.proposalDuties - t.proposed },
    sync: { duties: t.syncDuties, participated: t.syncParticipated, ratio: r.syncParticipation },
    balanceGwei: t.balanceGwei,
    effectiveBalanceGwei: t.effectiveBalanceGwei,
    score: r.score,
  };
}

function validatorReport(v: ValidatorEpochResult): Record<string, unknown> {
  const has = (bit: number): boolean => (v.flags & bit) !== 0;
  const duty = has(RESULT_FLAGS.duty);
  return {
    status: v.status,
    slashed: has(RESULT_FLAGS.slashed),
    attestation: {
      duty,
      missed: duty && !has(RESULT_FLAGS.source) && !has(RESULT_FLAGS.target) && !has(RESULT_FLAGS.head),
      included: has(RESULT_FLAGS.included),
      timely: { source: has(RESULT_FLAGS.source), target: has(RESULT_FLAGS.target), head: has(RESULT_FLAGS.head) },
      inclusionDelaySlots: v.inclusionDelay === 0 ? null : v.inclusionDelay,
      correct: { head: has(RESULT_FLAGS.headCorrect), target: has(RESULT_FLAGS.targetCorrect) },
    },
    rewards: { earnedGwei: v.earnedGwei, idealGwei: v.idealGwei },
    proposals: { duties: v.proposalDuties, proposed: v.proposed },
    sync: { duties: v.syncDuties, participated: v.syncParticipated },
    balanceGwei: v.balanceGwei,
    effectiveBalanceGwei: v.effectiveBalanceGwei,
    score: validatorScore(v),
  };
}

function binarySearch(results: readonly ValidatorEpochResult[], index: number): ValidatorEpochResult | undefined {
  let lo = 0;
  let hi = results.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = results[mid] as ValidatorEpochResult;
    if (r.index === index) return r;
    if (r.index < index) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}
