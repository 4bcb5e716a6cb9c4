/**
 * The rule that decides when a removed key is safe to load elsewhere, from liveness answers:
 * - only epochs strictly after the removal epoch count (in that epoch the source still ran it);
 * - an epoch is confirmed offline once it has ended and the node still says "not live" a quarter
 *   of an epoch later: an attestation for its last slot reaches the node by gossip or in a block
 *   of the next slots, and a liveness answer given too early would miss it;
 * - the key must have `offlineEpochs` confirmed epochs (they need not be consecutive: a gap is an
 *   epoch nobody could ask about, not a live one);
 * - seen live in any epoch after the removal, in the current one included: someone else runs the
 *   key, and importing it anywhere could get it slashed.
 * Pure, so that the rule is tested on its own, table by table.
 */
import type { ChainPosition } from "./chainPosition.js";

export interface WatchedKey {
  readonly removedEpoch: number;
  /** Epochs already confirmed offline (persisted), ascending. */
  readonly confirmed: readonly number[];
}

export interface WatchRule {
  readonly offlineEpochs: number;
  /** Epochs after the removal epoch after which a key not yet confirmed is given up. */
  readonly timeoutEpochs: number;
}

export type WatchVerdict =
  | { readonly kind: "live"; readonly epoch: number; readonly confirmed: readonly number[] }
  | { readonly kind: "offline"; readonly confirmed: readonly number[] }
  | { readonly kind: "waiting"; readonly confirmed: readonly number[] }
  | { readonly kind: "timeout"; readonly confirmed: readonly number[] };

/** Epochs worth asking the node about now: after the removal, not yet confirmed, up to the current one. */
export function epochsToAsk(key: WatchedKey, position: ChainPosition, rule: WatchRule): number[] {
  const first = Math.max(key.removedEpoch + 1, position.epoch - rule.timeoutEpochs);
  const epochs: number[] = [];
  for (let epoch = first; epoch <= position.epoch; epoch++) if (!key.confirmed.includes(epoch)) epochs.push(epoch);
  return epochs;
}

/** Slots into the next epoch after which "not live" for an epoch is believed: a quarter epoch (8 slots on mainnet, 2 on the minimal preset). */
export function settleSlots(slotsPerEpoch: number): number {
  return Math.ceil(slotsPerEpoch / 4);
}

/**
 * `observed`: epoch → live, for the epochs the node answered this time (absent: not answered).
 * Epochs before the removal epoch are ignored whatever they say.
 */
export function judge(key: WatchedKey, position: ChainPosition, observed: ReadonlyMap<number, boolean>, rule: WatchRule): WatchVerdict {
  const confirmed = new Set(key.confirmed);
  const slotInEpoch = position.slot - position.epoch * position.slotsPerEpoch;
  for (const [epoch, live] of [...observed].sort(([a], [b]) => a - b)) {
    if (epoch <= key.removedEpoch) continue;
    if (live) return { kind: "live", epoch, confirmed: sorted(confirmed) };
    const ended = epoch < position.epoch - 1 || (epoch === position.epoch - 1 && slotInEpoch >= settleSlots(position.slotsPerEpoch));
    if (ended) confirmed.add(epoch);
  }
  const list = sorted(confirmed);
  if (list.length >= rule.offlineEpochs) return { kind: "offline", confirmed: list };
  if (position.epoch - key.removedEpoch > rule.timeoutEpochs) return { kind: "timeout", confirmed: list };
  return { kind: "waiting", confirmed: list };
}

function sorted(epochs: ReadonlySet<number>): number[] {
  return [...epochs].sort((a, b) => a - b);
}
