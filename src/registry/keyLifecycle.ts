/**
 * Where a key stands, from the beacon chain's validator status:
 * registered → deposited → active → exiting → exited | slashed.
 */
import type { ValidatorStatus } from "../beacon/beaconApi.js";
import type { KeyState } from "../store/schema.js";

export function keyStateFromChain(status: ValidatorStatus, slashed: boolean): KeyState {
  if (slashed) return "slashed";
  switch (status) {
    case "pending_initialized":
    case "pending_queued":
      return "deposited";
    case "active_ongoing":
      return "active";
    case "active_exiting":
      return "exiting";
    case "active_slashed":
    case "exited_slashed":
      return "slashed";
    case "exited_unslashed":
    case "withdrawal_possible":
    case "withdrawal_done":
      return "exited";
  }
}

const ORDER: Readonly<Record<KeyState, number>> = { registered: 0, deposited: 1, active: 2, exiting: 3, exited: 4, slashed: 4 };

/** States only move forward; a node that lags (or a reorg) never moves a key back. */
export function advances(from: KeyState, to: KeyState): boolean {
  return from !== to && ORDER[to] >= ORDER[from] && from !== "slashed" && !(from === "exited" && to !== "slashed");
}
