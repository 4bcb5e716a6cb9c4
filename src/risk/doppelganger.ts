/**
 * Doppelganger detection: a key that should be silent (removed from its client, between two
 * clients during a migration: OfflineExpectations) but is live on chain is signing somewhere the
 * service does not know of. That is DOPPELGANGER, critical: importing the key anywhere would make
 * it sign twice.
 *
 * Each run asks the beacon node's liveness endpoint about the previous and the current epoch, the
 * two that every node answers (Lodestar 1.5 answers no others), for the epochs that began after
 * the key was to fall silent. A key found live stays watched, whatever its sources say later, until
 * a run finds it silent in the epochs asked about: then its signal is resolved. A run that cannot
 * ask the node resolves nothing.
 */
import type { BeaconNodeApi } from "../beacon/beaconApi.js";
import { BeaconError } from "../beacon/errors.js";
import type { Logger } from "../jobs/logger.js";
import { isoNow, type Clock } from "../registry/clock.js";
import type { KeyAssignmentsRepository } from "../store/keyAssignments.js";
import type { RiskSignalsRepository } from "../store/riskSignals.js";
import type { ValidatorKeysRepository } from "../store/validatorKeys.js";
import type { OfflineExpectation, OfflineExpectations } from "./offlineExpectations.js";
import { observationId, signalId, type RiskObservation } from "./signals.js";

export interface DoppelgangerOptions {
  /** Keys are expected offline for this many epochs after `since`; older expectations are not checked. */
  readonly windowEpochs: number;
}

export interface DoppelgangerDependencies {
  readonly beacon: Pick<BeaconNodeApi, "getGenesis" | "getSpec" | "getLiveness">;
  readonly expectations: readonly OfflineExpectations[];
  readonly keys: Pick<ValidatorKeysRepository, "findByPubkeys">;
  readonly assignments: Pick<KeyAssignmentsRepository, "liveFor">;
  readonly signals: RiskSignalsRepository;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface DoppelgangerReport {
  /** The epoch the clock is in; null before genesis. */
  readonly currentEpoch: number | null;
  /** Keys whose liveness was asked for. */
  readonly checked: number;
  /** Keys found live although expected offline. */
  readonly live: readonly string[];
  readonly resolved: number;
  /** The node has no liveness endpoint: nothing can be checked. */
  readonly unsupported: boolean;
}

interface Timing {
  readonly genesisMs: number;
  readonly epochMs: number;
}

interface Watched {
  readonly pubkey: string;
  readonly since: string;
  readonly reasons: readonly string[];
}

export class DoppelgangerCheck {
  private timing: Timing | null = null;
  /** Said once, not every run: a node without the endpoint stays without it. */
  private warnedUnsupported = false;

  constructor(
    private readonly options: DoppelgangerOptions,
    private readonly deps: DoppelgangerDependencies,
  ) {
    if (!Number.isSafeInteger(options.windowEpochs) || options.windowEpochs < 1) throw new RangeError("windowEpochs must be a positive integer");
  }

  async check(signal?: AbortSignal): Promise<DoppelgangerReport> {
    const timing = await this.chainTiming(signal);
    const now = this.deps.clock.now().getTime();
    const at = isoNow(this.deps.clock);
    const epochOf = (ms: number): number => Math.floor((ms - timing.genesisMs) / timing.epochMs);
    const current = epochOf(now);
    if (now < timing.genesisMs) return { currentEpoch: null, checked: 0, live: [], resolved: 0, unsupported: false };

    const watched = await this.watched(new Date(now - this.options.windowEpochs * timing.epochMs), signal);
    const registry = new Map((await this.deps.keys.findByPubkeys([...watched.keys()])).map((k) => [k.pubkey, k]));
    // Per epoch asked about, the keys that were already to be silent for the whole of it.
    const epochs = [current - 1, current].filter((e) => e >= 0);
    const toAsk = new Map<number, number[]>(epochs.map((e) => [e, []]));
    const notYetDue = new Set<string>();
    for (const w of watched.values()) {
      const index = registry.get(w.pubkey)?.validator_index;
      if (index === null || index === undefined) continue;
      const sinceEpoch = epochOf(Date.parse(w.since));
      const due = epochs.filter((e) => e > sinceEpoch);
      if (due.length === 0) notYetDue.add(w.pubkey);
      for (const e of due) toAsk.get(e)?.push(Number(index));
    }

    const liveIn = new Map<number, number[]>();
    try {
      for (const [epoch, indices] of toAsk) {
        if (indices.length === 0) continue;
        const answer = await this.liveness(epoch, indices, epoch === current, signal);
        for (const [index, isLive] of answer ?? []) if (isLive) liveIn.set(index, [...(liveIn.get(index) ?? []), epoch]);
      }
    } catch (error) {
      if (error instanceof BeaconError && error.code === "BEACON_NOT_SUPPORTED") {
        if (!this.warnedUnsupported) this.deps.logger.warn({ err: error }, "the beacon node serves no liveness endpoint: doppelganger detection is off");
        this.warnedUnsupported = true;
        return { currentEpoch: current, checked: 0, live: [], resolved: 0, unsupported: true };
      }
      throw error;
    }

    const observations: RiskObservation[] = [];
    const seen = new Set<string>();
    let checked = 0;
    for (const w of watched.values()) {
      const key = registry.get(w.pubkey);
      if (key === undefined || key.validator_index === null) continue;
      if (notYetDue.has(w.pubkey)) {
        // Nothing to judge yet: an open signal about it stays as it is.
        seen.add(signalId("DOPPELGANGER", w.pubkey));
        continue;
      }
      checked++;
      const index = Number(key.validator_index);
      const liveEpochs = liveIn.get(index);
      if (liveEpochs === undefined) continue;
      observations.push({
        kind: "DOPPELGANGER",
        pubkey: w.pubkey,
        validatorIndex: index,
        operatorId: key.operator_id,
        details: { liveEpochs, expectedOfflineSince: w.since, reasons: w.reasons },
      });
    }
    await this.deps.signals.observe(observations, at);
    for (const o of observations) seen.add(observationId(o));
    const resolved = await this.deps.signals.resolveUnseen({ kinds: ["DOPPELGANGER"] }, seen, at);
    const live = observations.map((o) => o.pubkey as string);
    if (live.length > 0) this.deps.logger.error({ pubkeys: live, epochs: epochs }, "keys expected offline are live on chain (doppelganger): they must not be imported anywhere");
    return { currentEpoch: current, checked, live, resolved, unsupported: false };
  }

  /**
   * Every source's expectations within the window, and the keys already found live (watched until
   * silent, unless a client holds them through the service again). Per key the earliest `since`.
   */
  private async watched(after: Date, signal?: AbortSignal): Promise<Map<string, Watched>> {
    const expected: OfflineExpectation[] = [];
    for (const source of this.deps.expectations) expected.push(...(await source.expectedOffline(after, signal)));
    const watched = new Map<string, Watched>();
    const add = (pubkey: string, since: string, reason: string): void => {
      const before = watched.get(pubkey);
      const earliest = before === undefined || Date.parse(since) < Date.parse(before.since) ? since : before.since;
      watched.set(pubkey, { pubkey, since: earliest, reasons: [...new Set([...(before?.reasons ?? []), reason])] });
    };
    for (const e of expected) {
      if (Number.isNaN(Date.parse(e.since)) || Date.parse(e.since) < after.getTime()) continue;
      add(e.pubkey.toLowerCase(), e.since, e.reason);
    }
    const open = (await this.deps.signals.list({ kinds: ["DOPPELGANGER"] })).filter((s) => s.pubkey !== null && !watched.has(s.pubkey));
    const assigned = new Set((await this.deps.assignments.liveFor(open.map((s) => s.pubkey as string))).map((a) => a.pubkey));
    for (const s of open) if (!assigned.has(s.pubkey as string)) add(s.pubkey as string, offlineSince(s.details) ?? s.first_seen, "found live before");
    return watched;
  }

  /**
   * Liveness in `epoch`. The current epoch may be refused by a node whose clock is a moment behind
   * ours at an epoch boundary ("epoch is in the future"): that answer is "not known yet", not a failure.
   */
  private async liveness(epoch: number, indices: readonly number[], current: boolean, signal?: AbortSignal): Promise<ReadonlyMap<number, boolean> | null> {
    try {
      return await this.deps.beacon.getLiveness(epoch, indices, signal);
    } catch (error) {
      if (current && error instanceof BeaconError && error.code === "BEACON_HTTP_ERROR" && error.details.status === 400) return null;
      throw error;
    }
  }

  private async chainTiming(signal?: AbortSignal): Promise<Timing> {
    if (this.timing === null) {
      const [genesis, spec] = await Promise.all([this.deps.beacon.getGenesis(signal), this.deps.beacon.getSpec(signal)]);
      const secondsPerSlot = Number(spec["SECONDS_PER_SLOT"]);
      const slotsPerEpoch = Number(spec["SLOTS_PER_EPOCH"]);
      if (!(secondsPerSlot > 0 && slotsPerEpoch > 0)) {
        throw new BeaconError("BEACON_BAD_RESPONSE", "the beacon node's spec lacks SECONDS_PER_SLOT or SLOTS_PER_EPOCH", { endpoint: "/eth/v1/config/spec", method: "GET" });
      }
      this.timing = { genesisMs: genesis.genesisTime * 1000, epochMs: secondsPerSlot * slotsPerEpoch * 1000 };
    }
    return this.timing;
  }
}

/** The time a watched key was to be silent from, as its open signal recorded it. */
function offlineSince(details: string): string | null {
  try {
    const parsed: unknown = JSON.parse(details);
    if (typeof parsed !== "object" || parsed === null || !("expectedOfflineSince" in parsed)) return null;
    const since = parsed.expectedOfflineSince;
    return typeof since === "string" && !Number.isNaN(Date.parse(since)) ? since : null;
  } catch {
    return null;
  }
}
