import { StakeopsError } from "../errors.js";

/** Refusals of a migration request; api/errorMapping.ts maps each code to an HTTP status. */
export type MigrationErrorCode =
  | "MIGRATION_NOT_FOUND"
  /** Source and destination are the same client. */
  | "MIGRATION_SAME_CLIENT"
  /** The two clients belong to different operators: keys are registered per operator. */
  | "MIGRATION_OPERATOR_MISMATCH"
  /** Not one requested key can be migrated; `details.results` says why for each. */
  | "MIGRATION_NO_KEYS"
  /** Another request took one of the keys at the same moment. */
  | "MIGRATION_KEY_BUSY"
  /** Liveness needs a beacon node: without one nothing may be taken offline. */
  | "BEACON_NODE_REQUIRED"
  | "BEACON_UNAVAILABLE";

export class MigrationError extends StakeopsError<MigrationErrorCode> {}

/**
 * Why a key's migration ended without importing it. Each code also says where the key is:
 * "source" (still, or again, in the source client), "neither" (in no client; its slashing
 * protection is kept), or "elsewhere" (in a client the migration did not put it in).
 */
export const ABORT_CODES = {
  /** The beacon node could not be asked before anything was done. */
  BEACON_UNAVAILABLE: "source",
  /** The source client did not answer before the removal: nothing was sent. */
  SOURCE_UNREACHABLE: "source",
  /** The source answered "deleted" but still lists the key (Lodestar 1.5.1 does this for active validators). */
  STILL_HELD_BY_SOURCE: "source",
  /** The source refused to delete the key. */
  SOURCE_REFUSED: "source",
  /** The removal's outcome is unknown: in the source or in neither; blocked from every other client until the inventory sees the source again. */
  SOURCE_REMOVAL_UNCONFIRMED: "source or neither",
  /** Seen live on chain after its removal: someone else runs it. Imported nowhere. */
  STILL_LIVE: "neither (but live somewhere)",
  /** Not confirmed offline for the required epochs before the timeout (beacon node away, or no answers). */
  OFFLINE_NOT_CONFIRMED: "neither",
  /** The kept slashing protection is missing, unreadable or of another chain: importing without it could get the key slashed. */
  PROTECTION_UNREADABLE: "neither",
  /** The destination answered the import with an error for the key. */
  DESTINATION_REFUSED: "neither",
  /** The import could not be made: failed repeatedly with the key confirmed absent, or refused before sending (custody, registry). */
  IMPORT_FAILED: "neither",
  /** Another client holds the key now (a live assignment elsewhere): not imported. */
  KEY_ASSIGNED_ELSEWHERE: "elsewhere",
  /** An open critical finding or risk signal concerns the key. */
  KEY_AT_RISK: "neither",
} as const;

export type AbortCode = keyof typeof ABORT_CODES;
