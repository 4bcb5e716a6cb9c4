/**
 * The epoch pipeline: every tick, processes each epoch whose attestations are settled (the head
 * is past the end of epoch N+1), in order, catching up after downtime as far back as the node can
 * serve; re-checks processed epochs until they are finalized and reprocesses one whose blocks a
 * reorg changed. An epoch that cannot be processed is recorded as skipped with its reason, logged
 * and counted: never silently left out.
 *
 * One instance runs it at a time (PeriodicTask's lease); saving an epoch replaces what was stored
 * for it, so running it twice, or again after a crash, changes nothing.
 */
import type { BeaconGenesis, BeaconNodeApi, BeaconValidator, ChainDataApi } from "../beacon/beaconApi.js";
import type { BlockSummary, Committee, ProposerDuty } from "../beacon/chainResponses.js";
import { epochOfSlot, forkAtEpoch, parseChainSpec, type ChainSpec } from "../beacon/chainSpec.js";
import { BeaconError } from "../beacon/errors.js";
import { stateLayout } from "../beacon/stateLayout.js";
import type { StateSnapshot } from "../beacon/stateReader.js";
import type { Logger } from "../jobs/logger.js";
import { isoNow, type Clock } from "../registry/clock.js";
import { advances, keyStateFromChain } from "../registry/keyLifecycle.js";
import type { MonitorRepository } from "../store/monitor.js";
import type { KeyState } from "../store/schema.js";
import type { ChainViewRow, ValidatorKeysRepository } from "../store/validatorKeys.js";
import { MonitorError } from "./errors.js";
import { statusAt, summarizeEpoch, type EpochSummary, type RegisteredValidator } from "./epochSummary.js";
import { encodeResults } from "./resultCodec.js";

export interface EpochMonitorOptions {
  /** Results older than this many epochs are deleted. */
  readonly retentionEpochs: number;
  /** After downtime, at most this many epochs are caught up; older ones are recorded as skipped. */
  readonly maxCatchupEpochs: number;
  /** Blocks fetched in parallel. */
  readonly blockConcurrency?: number;
  /** A node error on the same epoch this many ticks in a row makes it skipped rather than retried forever. */
  readonly maxAttempts?: number;
  /** A tick stops starting new epochs after this long (the next tick goes on), so it never outlives its lease. */
  readonly tickBudgetMs?: number;
}

export interface MonitorEvents {
  epochProcessed(summary: EpochSummary, seconds: number, firstTime: boolean): void;
  epochsSkipped(count: number, reason: string): void;
  reorgDetected(epoch: number): void;
  headSeen(slot: number, settledEpoch: number): void;
}

export interface EpochMonitorDependencies {
  readonly chain: ChainDataApi & Pick<BeaconNodeApi, "getValidatorsByPubkey">;
  readonly results: MonitorRepository;
  readonly keys: ValidatorKeysRepository;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events?: MonitorEvents;
}

export interface TickReport {
  readonly headSlot: number | null;
  readonly processed: readonly number[];
  readonly skipped: readonly number[];
  readonly reprocessed: readonly number[];
  readonly waiting: "syncing" | null;
}

interface ChainContext {
  readonly spec: ChainSpec;
  readonly genesis: BeaconGenesis;
}

const NO_EVENTS: MonitorEvents = { epochProcessed: () => undefined, epochsSkipped: () => undefined, reorgDetected: () => undefined, headSeen: () => undefined };

export class EpochMonitor {
  private context: ChainContext | null = null;
  private readonly events: MonitorEvents;
  /** Validators below this index were already searched for registered pubkeys. */
  private scannedValidators = 0;
  private searched = new Set<string>();
  private readonly attempts = new Map<number, number>();
  private registryCache: { readonly version: string; readonly rows: readonly ChainViewRow[] } | null = null;

  constructor(
    private readonly options: EpochMonitorOptions,
    private readonly deps: EpochMonitorDependencies,
  ) {
    this.events = deps.events ?? NO_EVENTS;
  }

  async chainContext(signal?: AbortSignal): Promise<ChainContext> {
    if (this.context === null) {
      const [values, genesis] = await Promise.all([this.deps.chain.getSpec(signal), this.deps.chain.getGenesis(signal)]);
      this.context = { spec: parseChainSpec(values), genesis };
    }
    return this.context;
  }

  async tick(signal?: AbortSignal): Promise<TickReport> {
    const { spec } = await this.chainContext(signal);
    const syncing = await this.deps.chain.getSyncing(signal);
    if (syncing.isSyncing || syncing.isOptimistic) {
      this.deps.logger.info({ headSlot: syncing.headSlot, syncDistance: syncing.syncDistance, optimistic: syncing.isOptimistic }, "monitor waits: the beacon node is syncing");
      return { headSlot: syncing.headSlot, processed: [], skipped: [], reprocessed: [], waiting: "syncing" };
    }
    const head = await this.deps.chain.getHeader("head", signal);
    if (head === null) throw new MonitorError("MONITOR_INCONSISTENT", "the beacon node has no head block", {});
    const headEpoch = epochOfSlot(spec, head.slot);
    await this.recordDuties(headEpoch, signal);
    const settled = headEpoch - 2;
    this.events.headSeen(head.slot, settled);
    const processed: number[] = [];
    const skipped: number[] = [];
    if (settled >= 0) {
      const last = await this.deps.results.lastEpoch();
      let next = last === null ? settled : last + 1;
      if (settled - next + 1 > this.options.maxCatchupEpochs) {
        const tooOld = range(next, settled - this.options.maxCatchupEpochs);
        await this.skip(tooOld, `more than ${this.options.maxCatchupEpochs} epochs behind the head (STAKEOPS_MONITOR_MAX_CATCHUP_EPOCHS)`);
        skipped.push(...tooOld);
        next = settled - this.options.maxCatchupEpochs + 1;
      }
      const started = performance.now();
      for (let epoch = next; epoch <= settled; epoch++) {
        signal?.throwIfAborted();
        if (processed.length > 0 && performance.now() - started > (this.options.tickBudgetMs ?? Infinity)) break;
        const outcome = await this.processOrSkip(epoch, signal);
        if (outcome === "retry") break;
        (outcome === "processed" ? processed : skipped).push(epoch);
      }
    }
    const reprocessed = await this.recheck(signal);
    const lastProcessed = await this.deps.results.lastProcessed();
    if (lastProcessed !== undefined) await this.deps.results.prune(Number(lastProcessed.epoch) - this.options.retentionEpochs + 1);
    return { headSlot: head.slot, processed, skipped, reprocessed, waiting: null };
  }

  /** Processes epoch N and stores the result; returns the summary. */
  async processEpoch(epoch: number, signal?: AbortSignal): Promise<EpochSummary> {
    const started = performance.now();
    const { spec, genesis } = await this.chainContext(signal);
    const S = spec.slotsPerEpoch;
    const stateSlot = (epoch + 2) * S - 1;
    const allKeys = await this.registry();
    const unresolved = new Set(allKeys.filter((k) => k.validator_index === null).map((k) => k.pubkey));
    const newlyWanted = [...unresolved].some((p) => !this.searched.has(p));
    const known = allKeys.filter((k) => k.validator_index !== null).map((k) => Number(k.validator_index));
    // Everything but the state is small and independent of it: asked for while the state streams in.
    const others = Promise.all([
      this.blocks(epoch * S, (epoch + 2) * S, signal),
      this.deps.chain.getCommittees(stateSlot, epoch, signal),
      this.duties(epoch, signal),
      this.deps.chain.getSyncCommittee(epoch * S + S - 1, epoch, signal),
      known.length === 0 ? Promise.resolve(null) : this.deps.chain.getAttestationRewards(epoch, known, signal),
    ]);
    // Settle `others` even if the state fails, so no request is left unobserved.
    others.catch(() => undefined);
    const snapshot = await this.deps.chain.getStateSnapshot(
      stateSlot,
      { layout: stateLayout(forkAtEpoch(spec, epoch + 1), spec), wantedPubkeys: unresolved, pubkeysFrom: newlyWanted ? 0 : this.scannedValidators },
      signal,
    );
    if (snapshot !== null) {
      if (snapshot.genesisValidatorsRoot !== genesis.genesisValidatorsRoot) {
        throw new MonitorError("MONITOR_WRONG_CHAIN", `the state at slot ${stateSlot} is of another chain (genesis validators root ${snapshot.genesisValidatorsRoot}, expected ${genesis.genesisValidatorsRoot})`, { slot: stateSlot });
      }
      if (snapshot.slot !== stateSlot) {
        throw new MonitorError("MONITOR_INCONSISTENT", `asked for the state at slot ${stateSlot}, got slot ${snapshot.slot}`, { slot: stateSlot, got: snapshot.slot });
      }
      this.scannedValidators = snapshot.validatorCount;
      this.searched = unresolved;
    }
    const indexOf = new Map<string, number>();
    for (const k of allKeys) if (k.validator_index !== null) indexOf.set(k.pubkey, Number(k.validator_index));
    for (const [pubkey, index] of snapshot?.foundPubkeys ?? []) indexOf.set(pubkey, index);

    let fallbackValidators: Map<number, BeaconValidator> | undefined;
    if (snapshot === null) {
      const found = await this.deps.chain.getValidatorsByPubkey(allKeys.map((k) => k.pubkey), String(stateSlot), signal);
      fallbackValidators = new Map(found.map((v) => [v.index, v]));
      for (const v of found) indexOf.set(v.pubkey, v.index);
    }
    const registered: RegisteredValidator[] = [];
    for (const k of allKeys) {
      const index = indexOf.get(k.pubkey);
      if (index !== undefined) registered.push({ index, operatorId: k.operator_id });
    }

    const [blocks, committees, duties, syncCommittee, knownRewards] = await others;
    // Without committees the votes in the blocks cannot be attributed: flags still come from the
    // state, inclusion delay and vote correctness are then unknown for this epoch.
    const committeesOfEpoch = committees === null ? [] : committeesWithSlots(committees, epoch, S);
    if (committees === null) this.deps.logger.warn({ epoch }, "the beacon node served no committees for this epoch: inclusion delays unknown");
    // Validators whose index the state just revealed (a first epoch, new deposits) get the rewards
    // computed from the state, which equal the API's (tested against the simulator's rewards
    // endpoint): asking the node again after the state would cost the first epoch seconds.
    const rewards = knownRewards;

    const summary = summarizeEpoch(
      { epoch, spec, snapshot, ...(fallbackValidators === undefined ? {} : { validators: fallbackValidators }), blocks, committees: committeesOfEpoch, proposerDuties: duties, syncCommittee, rewards },
      registered,
    );
    const lastBlock = blocks.reduce<BlockSummary | null>((a, b) => (a === null || b.slot > a.slot ? b : a), null);
    const anchor = lastBlock === null ? null : await this.deps.chain.getHeader(lastBlock.slot, signal);
    const firstTime = (await this.deps.results.getEpoch(epoch))?.state !== "processed";
    const seconds = (performance.now() - started) / 1000;
    await this.deps.results.save({
      epoch,
      source: summary.source,
      rewardsSource: summary.rewardsSource,
      anchorSlot: anchor?.slot ?? null,
      anchorRoot: anchor?.root ?? null,
      final: false,
      processedAt: isoNow(this.deps.clock),
      processingMs: Math.round(seconds * 1000),
      operators: [...summary.operators].map(([operatorId, totals]) => ({ operatorId, totals: JSON.stringify(totals) })),
      network: JSON.stringify(summary.network),
      validators: [...summary.validators].map(([operatorId, results]) => ({ operatorId, count: results.length, data: encodeResults(results) })),
    });
    await this.advanceKeys(allKeys, indexOf, snapshot, fallbackValidators, epoch + 1);
    this.events.epochProcessed(summary, (performance.now() - started) / 1000, firstTime);
    this.deps.logger.info(
      { epoch, validators: registered.length, source: summary.source, rewards: summary.rewardsSource, seconds: Math.round(seconds * 100) / 100, doubleVotes: summary.doubleVotes.length },
      "epoch processed",
    );
    return summary;
  }

  /**
   * The registered keys, re-read only when the table changed (count or latest update): at 500,000
   * keys a read costs more than the rest of an epoch's bookkeeping.
   */
  private async registry(): Promise<readonly ChainViewRow[]> {
    const version = await this.deps.keys.version();
    if (this.registryCache === null || this.registryCache.version !== version) {
      this.registryCache = { version, rows: await this.deps.keys.listChainView() };
    }
    return this.registryCache.rows;
  }

  private async processOrSkip(epoch: number, signal?: AbortSignal): Promise<"processed" | "skipped" | "retry"> {
    try {
      await this.processEpoch(epoch, signal);
      this.attempts.delete(epoch);
      return "processed";
    } catch (error) {
      if (!(error instanceof BeaconError)) throw error;
      const attempts = (this.attempts.get(epoch) ?? 0) + 1;
      this.attempts.set(epoch, attempts);
      // "Not here" (every node answered 404 for the state or the blocks: pruned history) is final;
      // a node error is retried on later ticks, and skipped once it keeps failing.
      const final = error.code === "BEACON_NOT_SUPPORTED" || (error.code === "BEACON_HTTP_ERROR" && attempts >= (this.options.maxAttempts ?? 3));
      if (!final) {
        this.deps.logger.warn({ epoch, attempt: attempts, err: error }, "epoch not processed yet: the beacon node failed; will retry");
        return "retry";
      }
      this.attempts.delete(epoch);
      await this.skip([epoch], `the beacon node cannot serve epoch ${epoch}: ${error.message}`);
      return "skipped";
    }
  }

  private async skip(epochs: readonly number[], reason: string): Promise<void> {
    if (epochs.length === 0) return;
    await this.deps.results.markSkipped(epochs, reason, isoNow(this.deps.clock));
    this.events.epochsSkipped(epochs.length, reason);
    this.deps.logger.warn({ from: epochs[0], to: epochs.at(-1), count: epochs.length, reason }, "epochs skipped by the monitor");
  }

  /** Processed epochs not yet final: a changed root at their anchor means a reorg, and they are processed again. */
  private async recheck(signal?: AbortSignal): Promise<number[]> {
    const { spec } = await this.chainContext(signal);
    const rows = await this.deps.results.listUnfinal();
    if (rows.length === 0) return [];
    const finality = await this.deps.chain.getFinality("head", signal);
    const reprocessed: number[] = [];
    for (const row of rows) {
      const epoch = Number(row.epoch);
      const windowEnd = (epoch + 2) * spec.slotsPerEpoch - 1;
      const finalized = finality.finalizedEpoch * spec.slotsPerEpoch > windowEnd;
      let changed = false;
      if (row.anchor_slot !== null) {
        // No header at all is "cannot tell" (an empty answer for an old slot), not a reorg.
        const header = await this.deps.chain.getHeader(Number(row.anchor_slot), signal);
        changed = header !== null && (!header.canonical || header.root !== row.anchor_root);
      }
      if (changed) {
        this.events.reorgDetected(epoch);
        this.deps.logger.warn({ epoch, anchorSlot: row.anchor_slot, previousRoot: row.anchor_root }, "reorg changed a processed epoch; processing it again");
        try {
          await this.processEpoch(epoch, signal);
          reprocessed.push(epoch);
        } catch (error) {
          if (!(error instanceof BeaconError)) throw error;
          // Stays unfinal: the next tick tries again.
          this.deps.logger.warn({ epoch, err: error }, "could not process a reorged epoch again yet");
        }
      } else if (finalized) {
        await this.deps.results.markFinal(epoch);
      }
    }
    return reprocessed;
  }

  /**
   * Keeps the current epoch's proposer duties: older nodes serve no past duties, and the epoch is
   * processed two epochs later. Only the current epoch: the next epoch's list is a prediction some
   * nodes get wrong (Lodestar 1.5 has answered it with the current epoch's slots).
   */
  private async recordDuties(headEpoch: number, signal?: AbortSignal): Promise<void> {
    if ((await this.deps.results.getDuties(headEpoch)) !== null) return;
    const duties = await this.dutiesOfEpoch(headEpoch, signal);
    if (duties !== null) await this.deps.results.saveDuties(headEpoch, duties.map((d) => [d.slot, d.validatorIndex] as const));
  }

  private async duties(epoch: number, signal?: AbortSignal): Promise<ProposerDuty[] | null> {
    const stored = await this.deps.results.getDuties(epoch);
    if (stored !== null) return stored.map(([slot, validatorIndex]) => ({ slot, validatorIndex }));
    return this.dutiesOfEpoch(epoch, signal);
  }

  /** The node's duties for `epoch`, or null when it has none or answers slots of another epoch. */
  private async dutiesOfEpoch(epoch: number, signal?: AbortSignal): Promise<ProposerDuty[] | null> {
    const { spec } = await this.chainContext(signal);
    const duties = await this.deps.chain.getProposerDuties(epoch, signal);
    if (duties === null) return null;
    const first = epoch * spec.slotsPerEpoch;
    if (duties.some((d) => d.slot < first || d.slot >= first + spec.slotsPerEpoch)) {
      this.deps.logger.warn({ epoch }, "the beacon node's proposer duties name slots outside the epoch; not used");
      return null;
    }
    return duties;
  }

  private async blocks(from: number, to: number, signal?: AbortSignal): Promise<BlockSummary[]> {
    const slots = range(from, to - 1);
    const found: BlockSummary[] = [];
    const concurrency = this.options.blockConcurrency ?? 4;
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, slots.length) }, async () => {
        while (next < slots.length) {
          const slot = slots[next++] as number;
          const block = await this.deps.chain.getBlock(slot, signal);
          if (block !== null) found.push(block);
        }
      }),
    );
    return found.sort((a, b) => a.slot - b.slot);
  }

  /** Moves each registered key forward in its lifecycle (deposited → active → exiting → exited | slashed), never back. */
  private async advanceKeys(
    keys: readonly ChainViewRow[],
    indexOf: ReadonlyMap<string, number>,
    snapshot: StateSnapshot | null,
    validators: ReadonlyMap<number, BeaconValidator> | undefined,
    stateEpoch: number,
  ): Promise<void> {
    const at = isoNow(this.deps.clock);
    const changes: { pubkey: string; state: KeyState; validatorIndex: number }[] = [];
    for (const key of keys) {
      const index = indexOf.get(key.pubkey);
      if (index === undefined) continue;
      let chainState: KeyState;
      if (snapshot !== null) {
        if (index >= snapshot.validatorCount) continue;
        chainState = keyStateFromChain(statusAt(snapshot, index, stateEpoch), snapshot.slashed[index] === 1);
      } else {
        const v = validators?.get(index);
        if (v === undefined) continue;
        chainState = keyStateFromChain(v.status, v.slashed);
      }
      const state = advances(key.state, chainState) ? chainState : key.state;
      if (state === key.state && key.validator_index !== null && Number(key.validator_index) === index) continue;
      changes.push({ pubkey: key.pubkey, state, validatorIndex: index });
      if (state !== key.state) this.deps.logger.debug({ pubkey: key.pubkey, from: key.state, to: state, validatorIndex: index }, "key state changed on chain");
    }
    await this.deps.keys.updateChainStates(changes, at);
    if (changes.length > 0 && this.registryCache !== null) {
      // Patch the cached rows rather than read 500,000 again; the new version is what was just written.
      const byPubkey = new Map(changes.map((c) => [c.pubkey, c]));
      const rows = this.registryCache.rows.map((row) => {
        const change = byPubkey.get(row.pubkey);
        return change === undefined ? row : { ...row, state: change.state, validator_index: change.validatorIndex };
      });
      this.registryCache = { version: await this.deps.keys.version(), rows };
    }
    if (changes.length > 0) this.deps.logger.info({ keys: changes.length }, "keys' chain state or index updated");
  }
}

/**
 * Committees must cover every slot of epoch N, with the same number per slot (the spec's
 * get_committee_count_per_slot is per epoch). Lodestar 1.5 answers a past epoch with `slot` and
 * `index` garbled: the committee index in `slot` and the slot's position in the epoch in `index`.
 * Such an answer is read the way that satisfies that rule, or refused as inconsistent.
 */
export function committeesWithSlots(committees: readonly Committee[], epoch: number, slotsPerEpoch: number): Committee[] {
  const first = epoch * slotsPerEpoch;
  const readings: ((c: Committee) => Committee)[] = [
    (c) => c,
    (c) => ({ ...c, slot: first + c.index, index: c.slot }),
  ];
  for (const read of readings) {
    const candidate = committees.map(read);
    if (coversEpoch(candidate, first, slotsPerEpoch)) return candidate;
  }
  throw new MonitorError("MONITOR_INCONSISTENT", `the committees answer for epoch ${epoch} does not cover its ${slotsPerEpoch} slots evenly`, { epoch });
}

function coversEpoch(committees: readonly Committee[], first: number, slotsPerEpoch: number): boolean {
  const perSlot = new Map<number, Set<number>>();
  for (const c of committees) {
    if (c.slot < first || c.slot >= first + slotsPerEpoch) return false;
    const indices = perSlot.get(c.slot) ?? new Set<number>();
    if (indices.has(c.index)) return false;
    perSlot.set(c.slot, indices.add(c.index));
  }
  const counts = new Set([...perSlot.values()].map((s) => s.size));
  return perSlot.size === slotsPerEpoch && counts.size === 1;
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let e = from; e <= to; e++) out.push(e);
  return out;
}

