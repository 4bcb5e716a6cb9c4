import { StakeopsError } from "../errors.js";
import type { RiskSignalKind } from "./signals.js";

export type RiskErrorCode =
  /** An open critical risk signal concerns a key the action would touch; the details name them. */
  "KEY_AT_RISK";

export interface KeyAtRiskDetails extends Readonly<Record<string, unknown>> {
  readonly keys: readonly { readonly pubkey: string; readonly signals: readonly { readonly id: string; readonly kind: RiskSignalKind }[] }[];
}

export class RiskError extends StakeopsError<RiskErrorCode, KeyAtRiskDetails> {}
