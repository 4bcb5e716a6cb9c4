/**
 * The one place where error codes become HTTP statuses. Every error answer has the same shape,
 * `{code, message, details}`; unknown errors become a 500 without internals.
 */
import { isStakeopsError } from "../errors.js";

export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  // request shape
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  INVALID_ARGUMENT: 400,
  INVALID_ADDRESS: 400,
  INVALID_AMOUNT: 400,
  INVALID_HEX: 400,
  BATCH_INVALID: 400,
  OPERATOR_NAME_INVALID: 400,
  VALIDATOR_CLIENT_URL_INVALID: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  ROUTE_NOT_FOUND: 404,
  OPERATOR_NOT_FOUND: 404,
  VALIDATOR_CLIENT_NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  VALIDATOR_NOT_FOUND: 404,
  EPOCH_RANGE_INVALID: 400,
  EXIT_POLICY_INVALID: 400,
  EXIT_NOT_ELIGIBLE: 409,
  EXIT_GUARD_BLOCKED: 409,
  MONITOR_NOT_RUNNING: 503,
  OPERATOR_NAME_TAKEN: 409,
  VALIDATOR_CLIENT_URL_TAKEN: 409,
  OPERATOR_DISABLED: 409,
  KEY_LIMIT_EXCEEDED: 409,
  KEY_AT_RISK: 409,
  BODY_TOO_LARGE: 413,
  BATCH_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // an upstream the request depends on
  VALIDATOR_CLIENT_UNUSABLE: 502,
  BEACON_NODE_REQUIRED: 503,
  BEACON_UNAVAILABLE: 503,
  STORE_UNAVAILABLE: 503,
  CUSTODY_KEY_MISSING: 500,
  CUSTODY_KEY_UNREADABLE: 500,
  SECRET_UNREADABLE: 500,
  // key migrations
  MIGRATION_NOT_FOUND: 404,
  MIGRATION_SAME_CLIENT: 400,
  MIGRATION_OPERATOR_MISMATCH: 409,
  MIGRATION_NO_KEYS: 409,
  MIGRATION_KEY_BUSY: 409,
};

/** Keymanager client failures during a request: the validator client is the problem, not us. */
const UPSTREAM_PREFIXES = ["KEYMANAGER_", "BEACON_"];

export function httpStatusOf(code: string): number {
  const direct = STATUS_BY_CODE[code];
  if (direct !== undefined) return direct;
  if (UPSTREAM_PREFIXES.some((prefix) => code.startsWith(prefix))) return 502;
  return 500;
}

export function errorBody(error: unknown): { status: number; body: ErrorBody } {
  if (isStakeopsError(error)) {
    return { status: httpStatusOf(error.code), body: { code: error.code, message: error.message, details: { ...error.details } } };
  }
  return { status: 500, body: { code: "INTERNAL_ERROR", message: "internal error; the service log has the details", details: {} } };
}
