/**
 * The simulated chain as one object: registry, attendance, chain layout, finality, and the
 * per-epoch results derived from them (committees, votes, inclusions, balances), computed on
 * demand and cached. Everything is a function of the options, the seed and the changes made so
 * far (head, offline validators, miss rates, reorgs, finality stalls), so two models built alike
 * answer alike, byte for byte.
 *
 * Epochs: the simulated history starts at the anchor epoch (historyEpochs before the initial head);
 * blocks and states are served from there on. Votes of the epoch before it exist (they are in the
 * anchor epoch's blocks) and are rewarded at the transition into anchor + 1.
 */
import { EFFECTIVE_BALANCE_INCREMENT, EPOCHS_PER_SYNC_COMMITTEE_PERIOD } from "@lodestar/params";
import { Attendance, type MissRateFunction } from "./attendance.js";
import { FORKS, MAINNET_GENESIS_TIME, type SimulatedFork } from "./chainConfig.js";
import { ChainLayout, FinalityHistory, epochOf, startSlotOf, type ReorgChange } from "./chainLayout.js";
import { EpochCommittees, committeeCountPerSlot, proposerOf, syncCommitteeOf } from "./duties.js";
import { Lru } from "./lru.js";
import { Salt, uniform } from "./random.js";
import { Category, ValidatorRegistry, validatorStatus, type ValidatorRecord, type ValidatorStatus } from "./registry.js";
import {
  FlagDeltaTable,
  applyDeltas,
  idealDeltas,
  inactivityPenalty,
  isInLeak,
  nextInactivityScore,
  rewardContext,
  type FlagDeltas,
  type RewardContext,
} from "./rewards.js";
import { EpochInclusion, EpochVotes, FLAG_TARGET, VoteKind, attestationData, groupsOfBlock, type GroupRef, type VoteRates, type VotingContext } from "./votes.js";

export interface ChainModelOptions {
  /** Validators in the state. */
  readonly validatorCount: number;
  /** Indices [0, activeCount) are active_ongoing; the others follow the mix in registry.ts. */
  readonly activeCount: number;
  readonly seed?: number;
  /** Head at start; must leave historyEpochs of the chosen fork before it. Default: 10,000 epochs into Electra (fork "electra") or 1,000 into Fulu. */
  readonly headSlot?: number;
  /** Default: mainnet's genesis time. */
  readonly genesisTime?: number;
  /** Epochs of history before the initial head (blocks and states served from there). Default 16. */
  readonly historyEpochs?: number;
  /** Default "electra". */
  readonly fork?: SimulatedFork;
  /** Probability that an active validator misses its vote in an epoch. Default 0.02. */
  readonly defaultMissRate?: number;
  /** Per validator and epoch; replaces defaultMissRate. */
  readonly missRate?: MissRateFunction;
  /** Offline (never attest, proposals missed) from the start. */
  readonly offline?: Iterable<number>;
  /** Share of slots without a block, besides those of offline proposers. Default 0.01. */
  readonly missedSlotRate?: number;
  /** Share of votes included late (delay ≥ 2). Default 0.03. */
  readonly lateRate?: number;
  /** Share of votes for the head's parent. Default 0.01. */
  readonly wrongHeadRate?: number;
  /** Share of slots with one committee's votes included twice. Default 0.1. */
  readonly duplicateRate?: number;
  /** Deposits waiting in the state's pending_deposits, for pubkeys of indices validatorCount, validatorCount + 1, … Default 0. */
  readonly pendingDeposits?: number;
  /** Epochs of votes, inclusions and balances kept in memory (about 40 MB per epoch at 2.2M validators). Default 8. */
  readonly cacheEpochs?: number;
}

export interface AttestationRewardsAnswer {
  readonly ideal: readonly { readonly effectiveBalance: number; readonly deltas: FlagDeltas }[];
  readonly total: readonly { readonly index: number; readonly deltas: FlagDeltas; readonly inactivity: number }[];
}

interface Accounts {
  readonly balances: Float64Array;
  /** null: all zero. */
  readonly scores: Float64Array | null;
}

const DEFAULT_HISTORY_EPOCHS = 16;

/** Default head: 10,000 epochs into Electra, or 1,000 into Fulu. */
export function defaultHeadSlot(fork: SimulatedFork): number {
  return startSlotOf(FORKS[fork].epoch + (fork === "electra" ? 10_000 : 1_000));
}

export class ChainModel {
  readonly validatorCount: number;
  readonly activeCount: number;
  readonly seed: number;
  readonly genesisTime: number;
  readonly fork: SimulatedFork;
  readonly anchorEpoch: number;
  readonly anchorSlot: number;
  readonly pendingDepositCount: number;
  readonly committeesPerSlot: number;
  readonly registry: ValidatorRegistry;
  readonly layout: ChainLayout;
  readonly finality = new FinalityHistory();
  private readonly attendance: Attendance;
  private readonly voteRates: VoteRates;
  private head: number;
  private readonly committeeCache: Lru<number, EpochCommittees>;
  private readonly rateCache: Lru<number, Float64Array>;
  private readonly voteCache: Lru<number, EpochVotes>;
  private readonly inclusionCache: Lru<number, EpochInclusion>;
  private readonly accountCache: Lru<number, Accounts>;
  private readonly syncCache = new Lru<number, Uint32Array>(4);
  private readonly listeners: ((fromSlot: number) => void)[] = [];
  private readonly context: VotingContext;

  constructor(options: ChainModelOptions) {
    const { validatorCount, activeCount } = options;
    if (!Number.isSafeInteger(validatorCount) || validatorCount < 1) throw new RangeError("validatorCount must be a positive integer");
    if (!Number.isSafeInteger(activeCount) || activeCount < 1 || activeCount > validatorCount) {
      throw new RangeError("activeCount must be between 1 and validatorCount");
    }
    this.validatorCount = validatorCount;
    this.activeCount = activeCount;
    this.seed = options.seed ?? 1;
    this.genesisTime = options.genesisTime ?? MAINNET_GENESIS_TIME;
    this.fork = options.fork ?? "electra";
    const forkEpoch = FORKS[this.fork].epoch;
    const history = options.historyEpochs ?? DEFAULT_HISTORY_EPOCHS;
    const headSlot = options.headSlot ?? defaultHeadSlot(this.fork);
    this.anchorEpoch = epochOf(headSlot) - history;
    if (!Number.isSafeInteger(history) || history < 2) throw new RangeError("historyEpochs must be at least 2");
    if (this.anchorEpoch - 1 < forkEpoch) {
      throw new RangeError(
        `head slot ${headSlot} leaves no ${history} epochs of ${this.fork} history: the simulated chain needs a head slot of at least ${startSlotOf(forkEpoch + 1 + history)}`,
      );
    }
    this.anchorSlot = startSlotOf(this.anchorEpoch);
    this.head = headSlot;
    this.pendingDepositCount = options.pendingDeposits ?? 0;
    this.committeesPerSlot = committeeCountPerSlot(activeCount);
    const cacheEpochs = Math.max(4, options.cacheEpochs ?? 8);
    this.committeeCache = new Lru(cacheEpochs);
    this.rateCache = new Lru(cacheEpochs);
    this.voteCache = new Lru(cacheEpochs);
    this.inclusionCache = new Lru(cacheEpochs);
    this.accountCache = new Lru(Math.max(3, Math.floor(cacheEpochs / 2)));
    this.voteRates = {
      lateRate: options.lateRate ?? 0.03,
      wrongHeadRate: options.wrongHeadRate ?? 0.01,
      duplicateRate: options.duplicateRate ?? 0.1,
    };
    for (const [name, rate] of Object.entries({ ...this.voteRates, missedSlotRate: options.missedSlotRate ?? 0.01 })) {
      if (!(rate >= 0 && rate <= 1)) throw new RangeError(`${name} must be between 0 and 1`);
    }
    if (this.voteRates.lateRate + this.voteRates.wrongHeadRate > 1) throw new RangeError("lateRate + wrongHeadRate must not exceed 1");
    this.registry = new ValidatorRegistry({
      validatorCount,
      activeCount,
      seed: this.seed,
      referenceEpoch: epochOf(headSlot),
      anchorEpoch: this.anchorEpoch,
    });
    this.attendance = new Attendance({ activeCount, defaultMissRate: options.defaultMissRate ?? 0.02, missRate: options.missRate });
    if (options.offline !== undefined) this.attendance.setOffline(options.offline, 0);
    this.layout = new ChainLayout(
      { seed: this.seed, anchorSlot: this.anchorSlot, missedSlotRate: options.missedSlotRate ?? 0.01 },
      {
        proposerOf: (slot) => this.proposer(slot),
        proposerOffline: (slot) => this.attendance.rate(this.proposer(slot), epochOf(slot)) >= 1,
      },
    );
    this.context = {
      seed: this.seed,
      voteRates: this.voteRates,
      committeesPerSlot: this.committeesPerSlot,
      layout: this.layout,
      finality: this.finality,
      committees: (epoch) => this.committees(epoch),
      votes: (epoch) => this.votes(epoch),
    };
  }

  get headSlot(): number {
    return this.head;
  }

  get headEpoch(): number {
    return epochOf(this.head);
  }

  /** Moves the head (forwards or back) to any slot from the anchor on. */
  setHead(slot: number): void {
    if (!Number.isSafeInteger(slot) || slot < this.anchorSlot) throw new RangeError(`head slot must be at least ${this.anchorSlot}, got ${slot}`);
    this.head = slot;
  }

  /** Called with the first slot whose derived data changed (reorg, attendance, finality): caches keyed by slot drop from there. */
  onChange(listener: (fromSlot: number) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Validators offline (or back online) from `fromEpoch` on; default: the epoch after the head's,
   * so nothing already served changes.
   */
  setOffline(indices: Iterable<number>, options: { fromEpoch?: number; offline?: boolean } = {}): void {
    const fromEpoch = options.fromEpoch ?? this.headEpoch + 1;
    this.attendance.setOffline(indices, fromEpoch, options.offline ?? true);
    this.invalidateFrom(startSlotOf(fromEpoch));
  }

  /** Miss rate for indices in [from, to) from `fromEpoch` on (default: the epoch after the head's). */
  setMissRate(range: { from: number; to: number }, rate: number, options: { fromEpoch?: number } = {}): void {
    const fromEpoch = options.fromEpoch ?? this.headEpoch + 1;
    this.attendance.setMissRate(range.from, range.to, rate, fromEpoch);
    this.invalidateFrom(startSlotOf(fromEpoch));
  }

  missRate(index: number, epoch: number): number {
    return index < this.activeCount ? this.attendance.rate(index, epoch) : 1;
  }

  /** Replaces, removes or adds the block at `slot`; every later root, inclusion and flag follows. */
  reorg(slot: number, change?: ReorgChange): ReorgChange {
    if (slot === this.anchorSlot) throw new RangeError("the anchor block (first block of the simulated history) cannot be reorged");
    const made = this.layout.reorg(slot, change);
    this.invalidateFrom(slot);
    return made;
  }

  /** Stops (or restarts) finalization from the transition after the head's epoch on. */
  setFinalityStalled(stalled: boolean): void {
    if (stalled) this.finality.stall(this.headEpoch);
    else this.finality.resume(this.headEpoch);
    this.invalidateFrom(startSlotOf(this.headEpoch + 1));
  }

  // ----- duties -----

  proposer(slot: number): number {
    return proposerOf(slot, this.activeCount, this.seed);
  }

  committees(epoch: number): EpochCommittees {
    return this.committeeCache.get(epoch, () => new EpochCommittees(epoch, this.activeCount, this.seed));
  }

  syncCommittee(period: number): Uint32Array {
    return this.syncCache.get(period, () => syncCommitteeOf(period, this.activeCount, this.seed));
  }

  syncPeriodOf(epoch: number): number {
    return Math.floor(epoch / EPOCHS_PER_SYNC_COMMITTEE_PERIOD);
  }

  /** Which members of the block's sync committee signed (for the block at `slot`). */
  syncParticipation(slot: number): boolean[] {
    const epoch = epochOf(slot);
    return [...this.syncCommittee(this.syncPeriodOf(epoch))].map(
      (member, k) => uniform(this.seed, Salt.syncParticipation, slot, k) >= this.missRate(member, epoch),
    );
  }

  // ----- attestations -----

  votes(epoch: number): EpochVotes {
    this.checkVoteEpoch(epoch);
    return this.voteCache.get(epoch, () => new EpochVotes(epoch, this.rates(epoch), this.seed, this.voteRates));
  }

  inclusion(epoch: number): EpochInclusion {
    this.checkVoteEpoch(epoch);
    return this.inclusionCache.get(epoch, () => new EpochInclusion(epoch, this.context));
  }

  groupsOfBlock(slot: number): GroupRef[] {
    return this.layout.hasBlock(slot) ? groupsOfBlock(this.context, slot) : [];
  }

  votingContext(): VotingContext {
    return this.context;
  }

  attestationData(group: GroupRef): ReturnType<typeof attestationData> {
    return attestationData(this.context, group);
  }

  /** Participation lists of the state at `slot`, validatorCount long. */
  participationAt(slot: number): { previous: Uint8Array; current: Uint8Array } {
    const epoch = epochOf(slot);
    const previous = new Uint8Array(this.validatorCount);
    const current = new Uint8Array(this.validatorCount);
    this.inclusion(epoch - 1).writeFlagsAt(slot, previous);
    this.inclusion(epoch).writeFlagsAt(slot, current);
    return { previous, current };
  }

  /** Seen voting (its slot reached by the head) or proposing in `epoch`, as a node's liveness endpoint tells. */
  isLive(index: number, epoch: number): boolean {
    if (index >= this.activeCount) return false;
    const committees = this.committees(epoch);
    const duty = committees.dutyOf(index);
    if (duty !== null && this.votes(epoch).kind[index] !== VoteKind.missed && startSlotOf(epoch) + duty.slotOffset <= this.head) return true;
    for (let slot = startSlotOf(epoch); slot < startSlotOf(epoch + 1) && slot <= this.head; slot++) {
      if (this.layout.hasBlock(slot) && this.proposer(slot) === index) return true;
    }
    return false;
  }

  // ----- balances and rewards -----

  /** Balances (Gwei) of a state in `epoch`, by validator index. */
  balances(epoch: number): Float64Array {
    return this.accounts(epoch).balances;
  }

  /** Inactivity scores of a state in `epoch`; null when all are zero. */
  inactivityScores(epoch: number): Float64Array | null {
    return this.accounts(epoch).scores;
  }

  /** Reward parameters of the transition that rewards `epoch`'s votes (at the end of epoch + 1). */
  rewardContext(epoch: number): RewardContext {
    this.checkVoteEpoch(epoch);
    const flags = this.inclusion(epoch).flags;
    const transition = epoch + 2;
    return rewardContext(epoch, this.registry.totalActiveIncrements, this.registry.effectiveIncrements, flags, isInLeak(transition, this.finality.finalizedEpoch(transition)));
  }

  /**
   * The Beacon API's attestation rewards of `epoch`: ideal rewards per effective balance (1 ETH
   * steps up to the largest among the answered validators) and each validator's deltas. `indices`
   * empty: every validator eligible in that epoch.
   */
  attestationRewards(epoch: number, indices: readonly number[]): AttestationRewardsAnswer {
    const context = this.rewardContext(epoch);
    const flags = this.inclusion(epoch).flags;
    const scores = this.inactivityScores(epoch + 2);
    const table = new FlagDeltaTable(context);
    const wanted = indices.length > 0 ? indices : this.eligibleIndices(epoch);
    let maxIncrements = 1;
    const total = wanted.map((index) => {
      const increments = this.registry.effectiveIncrements[index] ?? 0;
      if (!this.registry.isEligible(index, epoch)) return { index, deltas: { source: 0, target: 0, head: 0 }, inactivity: 0 };
      maxIncrements = Math.max(maxIncrements, increments);
      // Flags exist for active validators only (flags.length is activeCount).
      const f = flags[index] ?? 0;
      const deltas = table.get(increments, f, this.registry.category[index] === Category.slashed);
      const inactivity = (f & FLAG_TARGET) !== 0 ? 0 : inactivityPenalty(increments, scores?.[index] ?? 0);
      return { index, deltas, inactivity };
    });
    const ideal = Array.from({ length: maxIncrements }, (_, i) => ({ effectiveBalance: (i + 1) * EFFECTIVE_BALANCE_INCREMENT, deltas: idealDeltas(context, i + 1) }));
    return { ideal, total };
  }

  // ----- validators -----

  validator(index: number): ValidatorRecord {
    return this.registry.record(index);
  }

  status(index: number, epoch: number, balance: number): ValidatorStatus {
    return validatorStatus(this.registry.record(index), epoch, balance);
  }

  // ----- internals -----

  private rates(epoch: number): Float64Array {
    return this.rateCache.get(epoch, () => this.attendance.rates(epoch));
  }

  private eligibleIndices(epoch: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.activeCount; i++) out.push(i);
    for (const i of this.registry.slashedIndices) if (this.registry.isEligible(i, epoch)) out.push(i);
    return out;
  }

  private checkVoteEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < this.anchorEpoch - 1) {
      throw new RangeError(`epoch ${epoch} is before the simulated history (votes from epoch ${this.anchorEpoch - 1})`);
    }
  }

  private accounts(epoch: number): Accounts {
    if (epoch <= this.anchorEpoch) {
      return this.accountCache.get(this.anchorEpoch, () => ({ balances: this.registry.initialBalances, scores: null }));
    }
    const cached = this.accountCache.peek(epoch);
    if (cached !== undefined) return this.accountCache.get(epoch, () => cached);
    // Walk forward from the newest cached epoch before this one (or the anchor).
    let from = this.anchorEpoch;
    for (const key of this.accountCache.keys()) if (key < epoch && key > from) from = key;
    let accounts = this.accounts(from);
    for (let e = from + 1; e <= epoch; e++) {
      const previous = accounts;
      accounts = this.accountCache.get(e, () => this.transition(e, previous));
    }
    return accounts;
  }

  /** The epoch transition into `epoch`: inactivity updates, then rewards and penalties for epoch - 2's votes. */
  private transition(epoch: number, previous: Accounts): Accounts {
    const rewarded = epoch - 2;
    const inLeak = isInLeak(epoch, this.finality.finalizedEpoch(epoch));
    const flags = this.inclusion(rewarded).flags;
    const context = this.rewardContext(rewarded);
    const { registry } = this;
    let scores: Float64Array | null = null;
    if (inLeak || previous.scores !== null) {
      scores = new Float64Array(this.validatorCount);
      for (const index of this.eligibleIndices(rewarded)) {
        const timelyTarget = index < this.activeCount && ((flags[index] ?? 0) & FLAG_TARGET) !== 0;
        scores[index] = nextInactivityScore(previous.scores?.[index] ?? 0, timelyTarget, inLeak);
      }
      if (scores.every((s) => s === 0)) scores = null;
    }
    const balances = Float64Array.from(previous.balances);
    const table = new FlagDeltaTable(context);
    const apply = (index: number, f: number, slashed: boolean): void => {
      const increments = registry.effectiveIncrements[index] ?? 0;
      const inactivity = (f & FLAG_TARGET) !== 0 || scores === null ? 0 : inactivityPenalty(increments, scores[index] ?? 0);
      balances[index] = applyDeltas(balances[index] ?? 0, table.get(increments, f, slashed), inactivity);
    };
    // Eligible: every active validator (the active set never changes), and slashed ones before their withdrawable epoch.
    for (let index = 0; index < this.activeCount; index++) apply(index, flags[index] ?? 0, false);
    for (const index of registry.slashedIndices) if (registry.isEligible(index, rewarded)) apply(index, 0, true);
    return { balances, scores };
  }

  private invalidateFrom(slot: number): void {
    const from = Math.max(slot, this.anchorSlot);
    this.layout.truncate(from);
    const epoch = epochOf(from);
    // Votes of epoch - 1 are included in blocks of `epoch`; balances follow inclusions two epochs later.
    this.rateCache.deleteWhere((e) => e >= epoch);
    this.voteCache.deleteWhere((e) => e >= epoch);
    this.inclusionCache.deleteWhere((e) => e >= epoch - 1);
    this.accountCache.deleteWhere((e) => e >= epoch + 1);
    for (const listener of this.listeners) listener(from);
  }
}
