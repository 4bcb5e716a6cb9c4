/**
 * SLASHED_ON_CHAIN from the registry: keys whose lifecycle state the chain moved to `slashed`
 * (the key-status sync and the monitor both do). This covers a service that runs with a beacon
 * node but without the epoch monitor. Only new signals are written: the monitor's, with the
 * status it saw, are left as they are, and the signal is never resolved.
 */
import { isoNow, type Clock } from "../registry/clock.js";
import type { RiskSignalsRepository } from "../store/riskSignals.js";
import type { ValidatorKeysRepository } from "../store/validatorKeys.js";
import { signalId, type RiskObservation } from "./signals.js";

export interface SlashedKeysDependencies {
  readonly keys: Pick<ValidatorKeysRepository, "listInState">;
  readonly signals: RiskSignalsRepository;
  readonly clock: Clock;
}

export class SlashedKeysCheck {
  constructor(private readonly deps: SlashedKeysDependencies) {}

  /** Returns how many keys got a new signal. */
  async check(): Promise<number> {
    const slashed = await this.deps.keys.listInState("slashed");
    if (slashed.length === 0) return 0;
    const open = new Set((await this.deps.signals.list({ kinds: ["SLASHED_ON_CHAIN"] })).map((s) => s.id));
    const fresh: RiskObservation[] = slashed
      .filter((k) => !open.has(signalId("SLASHED_ON_CHAIN", k.pubkey)))
      .map((k) => ({
        kind: "SLASHED_ON_CHAIN",
        pubkey: k.pubkey,
        validatorIndex: k.validator_index === null ? null : Number(k.validator_index),
        operatorId: k.operator_id,
        details: { source: "registry", state: k.state },
      }));
    await this.deps.signals.observe(fresh, isoNow(this.deps.clock));
    return fresh.length;
  }
}
