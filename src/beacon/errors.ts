import { StakeopsError } from "../errors.js";

export type BeaconErrorCode =
  /** No connection: refused, reset, DNS. */
  | "BEACON_UNREACHABLE"
  /** No complete answer within the per-request timeout. */
  | "BEACON_TIMEOUT"
  /** The node answered with an HTTP status that is neither success nor "not served" (see `status`). */
  | "BEACON_HTTP_ERROR"
  /** The node does not serve this endpoint (404, 405, 501): an older or different client. Callers may fall back. */
  | "BEACON_NOT_SUPPORTED"
  /** The node answered 2xx with a body that is not what the Beacon API specifies. */
  | "BEACON_BAD_RESPONSE"
  /** The caller's signal aborted the request. */
  | "BEACON_ABORTED"
  /** Two configured nodes follow different chains (different genesis). */
  | "BEACON_CHAINS_DIFFER";

export interface BeaconFailure {
  /** The node's label (host:port), never its URL. */
  readonly node: string;
  readonly code: BeaconErrorCode;
  readonly status?: number;
}

export interface BeaconErrorDetails extends Readonly<Record<string, unknown>> {
  /** Route template, e.g. `/eth/v1/beacon/states/{state_id}/validators`. */
  readonly endpoint: string;
  readonly method: string;
  /** The node that failed last (host:port); absent when no node was asked. */
  readonly node?: string;
  readonly status?: number;
  /** What the node said, shortened (its error message or the JSON field that was wrong). */
  readonly reason?: string;
  /** When several nodes were tried: how each one failed last. */
  readonly failures?: readonly BeaconFailure[];
}

/** Names a node by label and an endpoint by its route template; never carries a URL or a credential. */
export class BeaconError extends StakeopsError<BeaconErrorCode, BeaconErrorDetails> {}
