/**
 * Migration requests and their progress, for the API. A request is checked key by key and stored;
 * the driver (migrationDriver.ts) does the work. Nothing here talks to a validator client: a
 * request only records the intent, so answering it never leaves a key half-moved.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../registry/clock.js";
import { normalizePubkey } from "../registry/keyRegistration.js";
import { isUniqueViolation } from "../store/constraint.js";
import type { BlockingSignalSource } from "../risk/riskService.js";
import type { KeyAssignmentsRepository } from "../store/keyAssignments.js";
import type { KeyMigrationKeyRow, KeyMigrationRow, KeyMigrationsRepository } from "../store/keyMigrations.js";
import type { MigrationKeyState } from "../store/schema.js";
import type { ValidatorKeysRepository } from "../store/validatorKeys.js";
import type { ValidatorClient } from "../keymanager/validatorClientService.js";
import type { ChainPositionReader } from "./chainPosition.js";
import { ABORT_CODES, MigrationError, type AbortCode } from "./errors.js";

export interface MigrationServiceOptions {
  readonly offlineEpochs: number;
  readonly timeoutEpochs: number;
}

export interface MigrationServiceDependencies {
  readonly migrations: KeyMigrationsRepository;
  readonly keys: ValidatorKeysRepository;
  readonly assignments: KeyAssignmentsRepository;
  /** Open critical slashing-risk signals block a migration before anything is removed. */
  readonly risk: BlockingSignalSource;
  /** Null without a beacon node: then no migration can be watched, so none is accepted. */
  readonly chain: ChainPositionReader | null;
  readonly clock: Clock;
}

export interface MigrationKeyResult {
  readonly pubkey: string;
  readonly status: "accepted" | "rejected";
  readonly code?: string;
  readonly message?: string;
}

export interface MigrationKeyView {
  readonly pubkey: string;
  readonly state: MigrationKeyState;
  readonly validatorIndex: number | null;
  readonly removedEpoch: number | null;
  readonly offlineEpochs: readonly number[];
  readonly importAttempts: number;
  readonly abort: { readonly code: string; readonly message: string; readonly keyIn: string } | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly removedAt: string | null;
  readonly finishedAt: string | null;
}

export interface MigrationView {
  readonly id: string;
  readonly operatorId: string;
  readonly fromValidatorClientId: string;
  readonly toValidatorClientId: string;
  readonly offlineEpochsRequired: number;
  readonly createdAt: string;
  /** True once every key is done or aborted. */
  readonly finished: boolean;
  readonly counts: Readonly<Record<MigrationKeyState, number>>;
  readonly keys: readonly MigrationKeyView[];
}

export class MigrationService {
  constructor(
    private readonly options: MigrationServiceOptions,
    private readonly deps: MigrationServiceDependencies,
  ) {}

  /**
   * Records a migration of `requested` keys from one client to another of the same operator.
   * Keys are checked one by one; the accepted ones are stored together. Nothing accepted: refused.
   */
  async request(from: ValidatorClient, to: ValidatorClient, requested: readonly string[]): Promise<{ id: string; results: MigrationKeyResult[] }> {
    if (from.id === to.id) throw new MigrationError("MIGRATION_SAME_CLIENT", "source and destination are the same validator client", { validatorClientId: from.id });
    if (from.operatorId !== to.operatorId) {
      throw new MigrationError("MIGRATION_OPERATOR_MISMATCH", "both validator clients must belong to the same operator: keys are registered per operator", {
        from: from.id,
        to: to.id,
      });
    }
    if (this.deps.chain === null) {
      throw new MigrationError("BEACON_NODE_REQUIRED", "a migration watches the key's liveness on chain: set BEACON_NODE_URLS", {});
    }
    // Asked now so that deadlines can be computed even while the node is away later.
    const position = await this.deps.chain.read();
    if (position === null) {
      throw new MigrationError("BEACON_UNAVAILABLE", "the beacon node is unreachable, syncing or optimistic; nothing was migrated, try again", {});
    }

    const results = await this.check(from, requested);
    const accepted = results.filter((r) => r.status === "accepted").map((r) => r.pubkey);
    if (accepted.length === 0) throw new MigrationError("MIGRATION_NO_KEYS", "none of the keys can be migrated; see details.results", { results });

    const now = this.deps.clock.now();
    const at = now.toISOString();
    const epochSeconds = position.secondsPerSlot * position.slotsPerEpoch;
    const deadline = new Date(now.getTime() + this.options.timeoutEpochs * epochSeconds * 1000).toISOString();
    const migration: KeyMigrationRow = {
      id: randomUUID(),
      operator_id: from.operatorId,
      from_client_id: from.id,
      to_client_id: to.id,
      offline_epochs_required: this.options.offlineEpochs,
      epoch_seconds: epochSeconds,
      created_at: at,
    };
    const rows = accepted.map(
      (pubkey): KeyMigrationKeyRow => ({
        migration_id: migration.id,
        pubkey,
        state: "requested",
        validator_index: null,
        removed_epoch: null,
        offline_epochs: "[]",
        deadline_at: deadline,
        protection: null,
        import_attempts: 0,
        import_sent_at: null,
        abort_code: null,
        abort_message: null,
        created_at: at,
        updated_at: at,
        removed_at: null,
        finished_at: null,
      }),
    );
    try {
      await this.deps.migrations.create(migration, rows);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw new MigrationError("MIGRATION_KEY_BUSY", "another migration took one of these keys at the same moment; nothing was recorded, ask again", {});
    }
    return { id: migration.id, results };
  }

  async get(id: string): Promise<MigrationView> {
    const found = await this.deps.migrations.get(id);
    if (found === undefined) throw migrationNotFound(id);
    return toView(found.migration, found.keys);
  }

  /** Newest first: every operator's for the admin, the operator's own otherwise. */
  async list(operatorId: string | undefined, limit = 100): Promise<MigrationView[]> {
    return (await this.deps.migrations.list(operatorId, limit)).map(({ migration, keys }) => toView(migration, keys));
  }

  private async check(from: ValidatorClient, requested: readonly string[]): Promise<MigrationKeyResult[]> {
    const normalized = requested.map(normalizePubkey);
    const valid = normalized.filter((p): p is string => p !== null);
    const keys = new Map((await this.deps.keys.findByPubkeys(valid)).map((k) => [k.pubkey, k]));
    const live = new Map((await this.deps.assignments.liveFor(valid)).map((a) => [a.pubkey, a]));
    const migrating = await this.deps.migrations.openFor(valid);
    const critical = await this.deps.risk.blockingSignals(valid);
    const seen = new Set<string>();
    return normalized.map((pubkey, index): MigrationKeyResult => {
      const reject = (code: string, message: string): MigrationKeyResult => ({ pubkey: pubkey ?? requested[index] ?? "", status: "rejected", code, message });
      if (pubkey === null) return reject("PUBKEY_INVALID", "not a 48-byte 0x-hex BLS pubkey");
      if (seen.has(pubkey)) return reject("DUPLICATE_IN_BATCH", "the same pubkey is twice in this request");
      seen.add(pubkey);
      const key = keys.get(pubkey);
      const assignment = live.get(pubkey);
      if (key === undefined || key.operator_id !== from.operatorId) return reject("KEY_NOT_FOUND", "no such key registered for this validator client's operator");
      // Checked before anything is removed: a key the service cannot import would end up in no client.
      if (key.in_custody !== 1) return reject("KEY_NOT_IN_CUSTODY", "the service holds no keystore for this key, so it could not import it into the destination");
      const migration = migrating.get(pubkey);
      if (migration !== undefined) return reject("KEY_MIGRATING", `the key is already being migrated (migration ${migration})`);
      if (assignment === undefined || assignment.validator_client_id !== from.id) {
        return reject("KEY_NOT_IN_SOURCE", "the key is not assigned to the source validator client; import it instead, or migrate it from where it is");
      }
      if (assignment.state !== "active") {
        return reject("KEY_IN_DOUBT", `the key's last import or removal in the source has an unknown outcome (${assignment.state}); wait for the inventory to settle it`);
      }
      const risks = critical.get(pubkey);
      if (risks !== undefined) {
        return reject("KEY_AT_RISK", `open critical risk signal(s) on this key: ${[...new Set(risks.map((r) => r.kind))].join(", ")}; resolve them first (GET /api/v1/risk)`);
      }
      return { pubkey, status: "accepted" };
    });
  }
}

const STATES: readonly MigrationKeyState[] = ["requested", "removing", "waiting_offline", "importing", "done", "aborted"];

function toView(migration: KeyMigrationRow, keys: readonly KeyMigrationKeyRow[]): MigrationView {
  const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<MigrationKeyState, number>;
  for (const key of keys) counts[key.state]++;
  return {
    id: migration.id,
    operatorId: migration.operator_id,
    fromValidatorClientId: migration.from_client_id,
    toValidatorClientId: migration.to_client_id,
    offlineEpochsRequired: migration.offline_epochs_required,
    createdAt: migration.created_at,
    finished: counts.done + counts.aborted === keys.length,
    counts,
    keys: keys.map((k) => ({
      pubkey: k.pubkey,
      state: k.state,
      validatorIndex: k.validator_index,
      removedEpoch: k.removed_epoch,
      offlineEpochs: parseEpochs(k.offline_epochs),
      importAttempts: k.import_attempts,
      abort: k.abort_code === null ? null : { code: k.abort_code, message: k.abort_message ?? "", keyIn: keyLocation(k.abort_code) },
      createdAt: k.created_at,
      updatedAt: k.updated_at,
      removedAt: k.removed_at,
      finishedAt: k.finished_at,
    })),
  };
}

/** Where an aborted key is, by the abort code (errors.ts). */
function keyLocation(code: string): string {
  return code in ABORT_CODES ? ABORT_CODES[code as AbortCode] : "unknown";
}

export function parseEpochs(json: string): number[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.filter((e): e is number => typeof e === "number" && Number.isSafeInteger(e)) : [];
}

/** Also what another operator's migration looks like: its existence is not revealed. */
export function migrationNotFound(id: string): MigrationError {
  return new MigrationError("MIGRATION_NOT_FOUND", `no migration with id ${id}`, { migrationId: id });
}
