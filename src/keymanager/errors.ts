import { StakeopsError } from "../errors.js";

export type KeymanagerErrorCode =
  /** No connection to the validator client: refused, reset, DNS. */
  | "KEYMANAGER_UNREACHABLE"
  /** No complete answer within the timeout. */
  | "KEYMANAGER_TIMEOUT"
  /** 401 or 403: the bearer token is missing, wrong, or not allowed to do this. */
  | "KEYMANAGER_UNAUTHORIZED"
  /** A 2xx answer that is not JSON or not the shape the Keymanager API specifies. */
  | "KEYMANAGER_BAD_RESPONSE"
  /** Any other non-2xx status (see `status`). */
  | "KEYMANAGER_HTTP_ERROR"
  /** The caller's signal aborted the request. */
  | "KEYMANAGER_ABORTED";

export interface KeymanagerErrorDetails extends Readonly<Record<string, unknown>> {
  /** host:port of the validator client, never its URL. */
  readonly node: string;
  readonly method: string;
  /** e.g. `/eth/v1/keystores`. */
  readonly endpoint: string;
  readonly status?: number;
  /** What the client said or which field was wrong, shortened, with the token and passwords cut out. */
  readonly reason?: string;
}

/** Never carries the bearer token, a keystore password or a keystore. */
export class KeymanagerError extends StakeopsError<KeymanagerErrorCode, KeymanagerErrorDetails> {}
