/**
 * Table types, the same for SQLite and PostgreSQL. Portable column types only: text for ids (UUIDs),
 * pubkeys (0x-hex) and ISO-8601 UTC timestamps (they sort as text), integer 0/1 for booleans,
 * bigint for Gwei. No secret key is ever stored; validator-client tokens are stored encrypted.
 */
import type { RiskSignalKind } from "../risk/signals.js";

export type KeySource = "generated" | "keystore" | "deposit-data" | "existing";
export const KEY_SOURCES: readonly KeySource[] = ["generated", "keystore", "deposit-data", "existing"];

export type KeyState = "registered" | "deposited" | "active" | "exiting" | "exited" | "slashed";
export const KEY_STATES: readonly KeyState[] = ["registered", "deposited", "active", "exiting", "exited", "slashed"];

export type AssignmentState = "importing" | "active" | "removing" | "removed";
/** States in which a key counts as (possibly) loaded in the client: at most one client per key. */
export const LIVE_ASSIGNMENT_STATES: readonly AssignmentState[] = ["importing", "active", "removing"];

export type JobState = "queued" | "running" | "succeeded" | "failed";

export interface OperatorsTable {
  id: string;
  name: string;
  reward_address: string | null;
  active: number;
  key_limit: number | null;
  token_hash: string;
  created_at: string;
  updated_at: string;
}

export interface ValidatorKeysTable {
  pubkey: string;
  operator_id: string;
  source: KeySource;
  derivation_path: string | null;
  withdrawal_credentials: string | null;
  amount_gwei: number | null;
  deposit_signature: string | null;
  deposit_message_root: string | null;
  deposit_data_root: string | null;
  state: KeyState;
  validator_index: number | null;
  /** 1 when a keystore for the key is in the service's custody. */
  in_custody: number;
  created_at: string;
  updated_at: string;
}

export interface ValidatorClientsTable {
  id: string;
  operator_id: string;
  url: string;
  /** AES-256-GCM under a key derived from the service password: iv.tag.ciphertext, base64url. */
  token_encrypted: string;
  created_at: string;
  last_polled_at: string | null;
  last_error: string | null;
}

export interface KeyAssignmentsTable {
  id: string;
  pubkey: string;
  validator_client_id: string;
  state: AssignmentState;
  created_at: string;
  updated_at: string;
}

export interface SlashingProtectionTable {
  id: string;
  pubkey: string;
  validator_client_id: string;
  /** EIP-3076 interchange JSON as the client returned it, restricted to this pubkey. */
  interchange: string;
  created_at: string;
}

export interface JobsTable {
  id: string;
  operator_id: string;
  kind: string;
  state: JobState;
  /** JSON; never holds a secret. */
  params: string;
  progress_done: number;
  progress_total: number;
  result: string | null;
  error_code: string | null;
  error_message: string | null;
  owner: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  heartbeat_at: string | null;
}

export type FindingSeverity = "critical" | "warning";

/**
 * Slashing-risk signals (src/risk/signals.ts), the inventory's findings among them: one row per
 * fact, its id `kind|pubkey|context` (context: the client or the epoch the fact is about).
 */
export interface RiskSignalsTable {
  id: string;
  kind: RiskSignalKind;
  severity: FindingSeverity;
  pubkey: string | null;
  validator_index: number | null;
  operator_id: string | null;
  validator_client_id: string | null;
  /** The epoch a per-epoch fact is about (a double vote's target), or where the monitor first saw it. */
  epoch: number | null;
  /** JSON object. */
  details: string;
  first_seen: string;
  last_seen: string;
  resolved_at: string | null;
}

export interface LeasesTable {
  name: string;
  owner: string;
  expires_at: string;
}

export type MonitorEpochState = "processed" | "skipped";

/** One row per epoch the monitor has dealt with: processed, or skipped with the reason (never silently). */
export interface MonitorEpochsTable {
  epoch: number;
  state: MonitorEpochState;
  reason: string | null;
  /** ssz-state or json (how validator data was read), and api, computed or none for rewards. */
  source: string | null;
  rewards_source: string | null;
  /** The last block of the epoch's window and its root when processed: a reorg shows as a different root there. */
  anchor_slot: number | null;
  anchor_root: string | null;
  /** 1 once the window is finalized and was checked one last time. */
  final: number;
  processed_at: string;
  processing_ms: number | null;
}

/** PerformanceTotals as JSON, per operator and epoch. */
export interface OperatorEpochPerformanceTable {
  epoch: number;
  operator_id: string;
  totals: string;
}

export interface NetworkEpochPerformanceTable {
  epoch: number;
  totals: string;
}

/** One operator's per-validator results of one epoch, packed (monitor/resultCodec.ts). */
export interface ValidatorEpochResultsTable {
  epoch: number;
  operator_id: string;
  validators: number;
  data: Uint8Array;
}

/** Proposer duties seen while their epoch was current or next: older nodes serve no past duties. */
export interface ProposerDutiesTable {
  epoch: number;
  /** JSON [[slot, validator index], …] */
  duties: string;
}

/** The exit policy set through the API (one row, id "current"); absent: the file's or the default. */
export interface ExitPolicyTable {
  id: string;
  document: string;
  updated_at: string;
}

export type ExitState = "submitted" | "confirmed" | "failed" | "withdrawal_request";

/** One row per validator the service exits (the primary key makes a second exit impossible, across instances). */
export interface ExitsTable {
  pubkey: string;
  validator_index: number;
  operator_id: string;
  state: ExitState;
  /** The rule that decided it, or "manual". */
  reason: string;
  /** custody, presigned, keymanager, or eip-7002 for a withdrawal request. */
  signing_source: string;
  /** The signed exit (SecretBox-sealed JSON): whoever holds it can exit the validator. */
  signed_exit: string | null;
  /** EIP-7002: {address, calldata, fee} JSON, when no signature could be had. */
  withdrawal_request: string | null;
  exit_epoch: number | null;
  last_submitted_epoch: number | null;
  attempts: number;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

/** Every exit decision, dry run or real, blocked or done, with the numbers it saw. */
export interface ExitAuditTable {
  id: string;
  at: string;
  epoch: number | null;
  pubkey: string | null;
  validator_index: number | null;
  operator_id: string | null;
  rule: string;
  numbers: string;
  dry_run: number;
  outcome: string;
  message: string;
}

export interface PresignedExitsTable {
  pubkey: string;
  operator_id: string;
  validator_index: number;
  epoch: number;
  /** SecretBox-sealed signed exit JSON. */
  signed_exit: string;
  uploaded_at: string;
}

/** Epochs the exit policy has been applied to (each once). */
export interface ExitEvaluationsTable {
  epoch: number;
  evaluated_at: string;
}

/**
 * Safe key migration between validator clients (src/migration): one row per request, one per key.
 * "requested" → "removing" → "waiting_offline" → "importing" → "done", or "aborted" from any open state.
 */
export type MigrationKeyState = "requested" | "removing" | "waiting_offline" | "importing" | "done" | "aborted";
/** A key is in at most one open migration (a partial unique index enforces it). */
export const OPEN_MIGRATION_KEY_STATES: readonly MigrationKeyState[] = ["requested", "removing", "waiting_offline", "importing"];

export interface KeyMigrationsTable {
  id: string;
  operator_id: string;
  from_client_id: string;
  to_client_id: string;
  /** Epochs the key must be seen offline after its removal (the setting when the request came in). */
  offline_epochs_required: number;
  /** SECONDS_PER_SLOT × SLOTS_PER_EPOCH when the request came in: deadlines stay computable while the beacon node is away. */
  epoch_seconds: number;
  created_at: string;
}

export interface KeyMigrationKeysTable {
  migration_id: string;
  pubkey: string;
  state: MigrationKeyState;
  validator_index: number | null;
  /** The beacon node's epoch right after the source confirmed the removal; only later epochs count as offline. */
  removed_epoch: number | null;
  /** JSON array of the epochs confirmed offline (not live), ascending. */
  offline_epochs: string;
  /** Past this instant a key still "requested" or "waiting_offline" is aborted. */
  deadline_at: string;
  /** EIP-3076 interchange JSON sent with the import: every kept record of the key, merged. */
  protection: string | null;
  /** Import calls sent (counted before sending, so that a crash never hides one). */
  import_attempts: number;
  /** When the last import call was sent: an import in doubt is only given up once a slow client would have answered. */
  import_sent_at: string | null;
  abort_code: string | null;
  abort_message: string | null;
  created_at: string;
  updated_at: string;
  removed_at: string | null;
  finished_at: string | null;
}

export interface Database {
  operators: OperatorsTable;
  validator_keys: ValidatorKeysTable;
  validator_clients: ValidatorClientsTable;
  key_assignments: KeyAssignmentsTable;
  slashing_protection: SlashingProtectionTable;
  jobs: JobsTable;
  risk_signals: RiskSignalsTable;
  leases: LeasesTable;
  monitor_epochs: MonitorEpochsTable;
  operator_epoch_performance: OperatorEpochPerformanceTable;
  network_epoch_performance: NetworkEpochPerformanceTable;
  validator_epoch_results: ValidatorEpochResultsTable;
  proposer_duties: ProposerDutiesTable;
  exit_policy: ExitPolicyTable;
  exits: ExitsTable;
  exit_audit: ExitAuditTable;
  presigned_exits: PresignedExitsTable;
  exit_evaluations: ExitEvaluationsTable;
  key_migrations: KeyMigrationsTable;
  key_migration_keys: KeyMigrationKeysTable;
}
