import { StakeopsError } from "../errors.js";

/** Errors of the registry's own operations; api/errorMapping.ts maps each code to an HTTP status. */
export type RegistryErrorCode =
  | "OPERATOR_NOT_FOUND"
  | "OPERATOR_NAME_TAKEN"
  | "OPERATOR_NAME_INVALID"
  | "OPERATOR_DISABLED"
  | "KEY_LIMIT_EXCEEDED"
  | "JOB_NOT_FOUND"
  | "BEACON_NODE_REQUIRED"
  | "BEACON_UNAVAILABLE"
  | "BATCH_INVALID"
  | "BATCH_TOO_LARGE";

export class RegistryError extends StakeopsError<RegistryErrorCode> {}
