import { StakeopsError } from "../errors.js";

export type ExitErrorCode =
  /** The exit policy document is not valid (what and where in `details.problems`). */
  | "EXIT_POLICY_INVALID"
  /** A pre-signed exit whose signature does not verify, or that names another validator. */
  | "PRESIGNED_EXIT_INVALID"
  /** The validator is not registered (or belongs to another operator). */
  | "VALIDATOR_NOT_FOUND"
  /** The validator cannot exit now (not active long enough, already exiting, pending withdrawal). */
  | "EXIT_NOT_ELIGIBLE"
  /** A guard refuses every exit now: kill switch, syncing node, lost finality, collapsed baseline. */
  | "EXIT_GUARD_BLOCKED"
  /** Exits need a beacon node (BEACON_NODE_URLS). */
  | "BEACON_NODE_REQUIRED";

export class ExitError extends StakeopsError<ExitErrorCode> {}
