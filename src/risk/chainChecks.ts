/**
 * The periodic, chain-side risk checks (one lease-held task with a beacon node): keys the chain
 * has slashed, then doppelgangers. The monitor's per-epoch signals come through its own hook.
 */
import type { DoppelgangerCheck, DoppelgangerReport } from "./doppelganger.js";
import type { SlashedKeysCheck } from "./slashedKeys.js";

export interface ChainRiskReport {
  readonly newlySlashed: number;
  readonly doppelganger: DoppelgangerReport;
}

export class ChainRiskChecks {
  constructor(private readonly deps: { readonly slashed: SlashedKeysCheck; readonly doppelganger: DoppelgangerCheck }) {}

  async run(signal?: AbortSignal): Promise<ChainRiskReport> {
    const newlySlashed = await this.deps.slashed.check();
    signal?.throwIfAborted();
    return { newlySlashed, doppelganger: await this.deps.doppelganger.check(signal) };
  }
}
