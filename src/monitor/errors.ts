import { StakeopsError } from "../errors.js";

export type MonitorErrorCode =
  /** The node's state belongs to another chain (genesis validators root differs). */
  | "MONITOR_WRONG_CHAIN"
  /** The node served a state for another slot than asked. */
  | "MONITOR_INCONSISTENT";

export class MonitorError extends StakeopsError<MonitorErrorCode> {}
