/**
 * Risk signals from each epoch the monitor processes (its `epochProcessed` hook), for registered
 * validators only:
 * - SLASHED_ON_CHAIN: the state at the end of N+1 flags the validator slashed (or its status is
 *   active_slashed / exited_slashed). Never resolved.
 * - SLASHING_IN_BLOCK: a proposer or attester slashing in the canonical blocks of N and N+1 names it.
 * - DOUBLE_VOTE: two different votes of it for target N are in those blocks; a slashable pair of
 *   messages exists, whoever includes the slashing.
 *
 * The last two are facts about epoch N's blocks: processing N is the check that sees them, so they
 * are resolved only when N is processed again (after a reorg) and no longer shows them. In the
 * normal course they stay open; the chain usually follows with the slashing itself.
 */
import { isoNow, type Clock } from "../registry/clock.js";
import type { EpochSummary } from "../monitor/epochSummary.js";
import { RESULT_FLAGS } from "../monitor/performance.js";
import type { RiskSignalsRepository } from "../store/riskSignals.js";
import type { ChainViewRow, ValidatorKeysRepository } from "../store/validatorKeys.js";
import { observationId, type RiskObservation } from "./signals.js";

export interface MonitorSignalsDependencies {
  readonly signals: RiskSignalsRepository;
  readonly keys: Pick<ValidatorKeysRepository, "findByIndices">;
  readonly clock: Clock;
}

export interface MonitorSignalsReport {
  readonly slashed: number;
  readonly slashingsInBlocks: number;
  readonly doubleVotes: number;
  readonly resolved: number;
}

export class MonitorRiskSignals {
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: MonitorSignalsDependencies) {}

  /**
   * For the monitor's synchronous hook: summaries are handled one after another, in the order the
   * monitor processed them; a failure goes to `onError` and does not stop later ones.
   */
  enqueue(summary: EpochSummary, onError: (error: unknown) => void): void {
    this.queue = this.queue.then(() => this.epochProcessed(summary)).then(() => undefined, onError);
  }

  /** Resolves once every enqueued summary has been handled. */
  idle(): Promise<void> {
    return this.queue;
  }

  async epochProcessed(summary: EpochSummary): Promise<MonitorSignalsReport> {
    const at = isoNow(this.deps.clock);
    const slashed = new Map<number, string>();
    for (const results of summary.validators.values()) {
      for (const r of results) {
        if ((r.flags & RESULT_FLAGS.slashed) !== 0 || r.status === "active_slashed" || r.status === "exited_slashed") slashed.set(r.index, r.status);
      }
    }
    const named = [...slashed.keys(), ...summary.slashedInBlocks, ...summary.doubleVotes.map((d) => d.validatorIndex)];
    const registered = new Map<number, ChainViewRow>();
    if (named.length > 0) for (const row of await this.deps.keys.findByIndices(named)) registered.set(Number(row.validator_index), row);

    const observations: RiskObservation[] = [];
    const about = (index: number): Pick<RiskObservation, "pubkey" | "validatorIndex" | "operatorId"> | null => {
      const key = registered.get(index);
      return key === undefined ? null : { pubkey: key.pubkey, validatorIndex: index, operatorId: key.operator_id };
    };
    for (const [index, status] of slashed) {
      const key = about(index);
      if (key !== null) observations.push({ kind: "SLASHED_ON_CHAIN", ...key, epoch: summary.epoch, details: { status, source: "state", epoch: summary.epoch } });
    }
    for (const index of new Set(summary.slashedInBlocks)) {
      const key = about(index);
      if (key !== null) observations.push({ kind: "SLASHING_IN_BLOCK", ...key, epoch: summary.epoch, details: { blocksOfEpochs: [summary.epoch, summary.epoch + 1] } });
    }
    let doubleVotes = 0;
    for (const vote of summary.doubleVotes) {
      const key = about(vote.validatorIndex);
      if (key === null) continue;
      doubleVotes++;
      observations.push({
        kind: "DOUBLE_VOTE",
        ...key,
        epoch: vote.targetEpoch,
        context: String(vote.targetEpoch),
        details: { targetEpoch: vote.targetEpoch, votes: vote.votes },
      });
    }
    await this.deps.signals.observe(observations, at);
    const resolved = await this.deps.signals.resolveUnseen({ kinds: ["SLASHING_IN_BLOCK", "DOUBLE_VOTE"], epoch: summary.epoch }, new Set(observations.map(observationId)), at);
    return {
      slashed: observations.filter((o) => o.kind === "SLASHED_ON_CHAIN").length,
      slashingsInBlocks: observations.filter((o) => o.kind === "SLASHING_IN_BLOCK").length,
      doubleVotes,
      resolved,
    };
  }
}
