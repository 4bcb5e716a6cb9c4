/**
 * How often each active validator fails to attest: a default miss rate (or a function of index and
 * epoch), changed at run time by `setOffline` and `setMissRate`. Every change applies from an epoch
 * on, so epochs already served keep their history; the model invalidates what a change touches.
 *
 * A rate of 1 means offline: never attests, never takes part in the sync committee, and its block
 * proposals are missed (the slot stays empty). Lower rates affect attestations and sync messages only.
 */
export type MissRateFunction = (index: number, epoch: number) => number;

export interface AttendanceOptions {
  readonly activeCount: number;
  /** Probability that an active validator's vote for an epoch is missing. */
  readonly defaultMissRate: number;
  /** Replaces defaultMissRate when given; changes made at run time still apply on top. */
  readonly missRate?: MissRateFunction | undefined;
}

type Change =
  | { readonly kind: "offline"; readonly fromEpoch: number; readonly indices: ReadonlySet<number>; readonly offline: boolean }
  | { readonly kind: "rate"; readonly fromEpoch: number; readonly from: number; readonly to: number; readonly rate: number };

export class Attendance {
  private readonly changes: Change[] = [];

  constructor(private readonly options: AttendanceOptions) {
    checkRate(options.defaultMissRate, "defaultMissRate");
  }

  /** Makes `indices` offline (or back online) from `fromEpoch` on. */
  setOffline(indices: Iterable<number>, fromEpoch: number, offline = true): void {
    const set = new Set<number>();
    for (const index of indices) {
      if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`not a validator index: ${String(index)}`);
      set.add(index);
    }
    this.changes.push({ kind: "offline", fromEpoch, indices: set, offline });
  }

  /** Miss rate `rate` for indices in [from, to) from `fromEpoch` on. */
  setMissRate(from: number, to: number, rate: number, fromEpoch: number): void {
    checkRate(rate, "miss rate");
    if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && 0 <= from && from <= to)) throw new RangeError(`bad index range [${from}, ${to})`);
    this.changes.push({ kind: "rate", fromEpoch, from, to, rate });
  }

  rate(index: number, epoch: number): number {
    let rate = this.baseRate(index, epoch);
    let offline = false;
    for (const change of this.changes) {
      if (change.fromEpoch > epoch) continue;
      if (change.kind === "rate") {
        if (index >= change.from && index < change.to) rate = change.rate;
      } else if (change.indices.has(index)) {
        offline = change.offline;
      }
    }
    return offline ? 1 : rate;
  }

  /** Rates of all active validators in `epoch`, indexed by validator index. */
  rates(epoch: number): Float64Array {
    const { activeCount, missRate, defaultMissRate } = this.options;
    const rates = new Float64Array(activeCount);
    if (missRate === undefined) rates.fill(defaultMissRate);
    else for (let i = 0; i < activeCount; i++) rates[i] = this.baseRate(i, epoch);
    const offline = new Uint8Array(activeCount);
    for (const change of this.changes) {
      if (change.fromEpoch > epoch) continue;
      if (change.kind === "rate") {
        rates.fill(change.rate, Math.min(change.from, activeCount), Math.min(change.to, activeCount));
      } else {
        for (const index of change.indices) if (index < activeCount) offline[index] = change.offline ? 1 : 0;
      }
    }
    for (let i = 0; i < activeCount; i++) if (offline[i] === 1) rates[i] = 1;
    return rates;
  }

  private baseRate(index: number, epoch: number): number {
    const { missRate, defaultMissRate } = this.options;
    if (missRate === undefined) return defaultMissRate;
    const rate = missRate(index, epoch);
    return Number.isFinite(rate) ? Math.min(1, Math.max(0, rate)) : defaultMissRate;
  }
}

function checkRate(rate: number, what: string): void {
  if (!(Number.isFinite(rate) && rate >= 0 && rate <= 1)) throw new RangeError(`${what} must be between 0 and 1, got ${String(rate)}`);
}
