import type { Kysely, Selectable } from "kysely";
import { OPEN_MIGRATION_KEY_STATES, type Database, type KeyMigrationKeysTable, type KeyMigrationsTable, type MigrationKeyState } from "./schema.js";

export type KeyMigrationRow = Selectable<KeyMigrationsTable>;
export type KeyMigrationKeyRow = Selectable<KeyMigrationKeysTable>;

/** An open key with what the driver needs of its request: the two clients. */
export interface OpenMigrationKey extends KeyMigrationKeyRow {
  readonly operator_id: string;
  readonly from_client_id: string;
  readonly to_client_id: string;
  readonly epoch_seconds: number;
  readonly offline_epochs_required: number;
}

/**
 * A key a migration has taken out of its validator client and is watching on chain: it must not
 * be live anywhere until the migration imports it. A doppelganger detector reads this to tell an
 * expected silence from a missing validator, and a live key here from a normal one.
 */
export interface ExpectedOfflineKey {
  readonly pubkey: string;
  /** Null when neither the registry nor the migration knows it yet (not on chain, or not looked up). */
  readonly validatorIndex: number | null;
  /** The epoch of the removal; null while the beacon node has not told it (then: offline from now on). */
  readonly since: number | null;
  readonly migrationId: string;
}

/** The transitions the driver may make; `expected` is the state the row must still be in. */
export type KeyMigrationChanges = Partial<
  Pick<
    KeyMigrationKeyRow,
    "state" | "validator_index" | "removed_epoch" | "offline_epochs" | "deadline_at" | "protection" | "import_attempts" | "import_sent_at" | "abort_code" | "abort_message" | "removed_at" | "finished_at"
  >
>;

export class KeyMigrationsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The request and its keys, atomically; a key already in an open migration is a unique violation. */
  async create(migration: KeyMigrationRow, keys: readonly KeyMigrationKeyRow[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto("key_migrations").values(migration).execute();
      if (keys.length > 0) await trx.insertInto("key_migration_keys").values([...keys]).execute();
    });
  }

  async get(id: string): Promise<{ migration: KeyMigrationRow; keys: KeyMigrationKeyRow[] } | undefined> {
    const migration = await this.db.selectFrom("key_migrations").selectAll().where("id", "=", id).executeTakeFirst();
    if (migration === undefined) return undefined;
    const keys = await this.db.selectFrom("key_migration_keys").selectAll().where("migration_id", "=", id).orderBy("created_at").orderBy("pubkey").execute();
    return { migration, keys };
  }

  /** Newest first; an operator's own only when `operatorId` is given. */
  async list(operatorId: string | undefined, limit: number): Promise<{ migration: KeyMigrationRow; keys: KeyMigrationKeyRow[] }[]> {
    let query = this.db.selectFrom("key_migrations").selectAll().orderBy("created_at", "desc").orderBy("id").limit(limit);
    if (operatorId !== undefined) query = query.where("operator_id", "=", operatorId);
    const migrations = await query.execute();
    if (migrations.length === 0) return [];
    const keys = await this.db
      .selectFrom("key_migration_keys")
      .selectAll()
      .where(
        "migration_id",
        "in",
        migrations.map((m) => m.id),
      )
      .orderBy("created_at")
      .orderBy("pubkey")
      .execute();
    return migrations.map((migration) => ({ migration, keys: keys.filter((k) => k.migration_id === migration.id) }));
  }

  /** Every key whose migration is not over, oldest request first. */
  async openKeys(): Promise<OpenMigrationKey[]> {
    return this.db
      .selectFrom("key_migration_keys as k")
      .innerJoin("key_migrations as m", "m.id", "k.migration_id")
      .selectAll("k")
      .select(["m.operator_id", "m.from_client_id", "m.to_client_id", "m.epoch_seconds", "m.offline_epochs_required"])
      .where("k.state", "in", OPEN_MIGRATION_KEY_STATES)
      .orderBy("k.created_at")
      .orderBy("k.pubkey")
      .execute();
  }

  /** Open migrations of these keys: pubkey → migration id. */
  async openFor(pubkeys: readonly string[]): Promise<Map<string, string>> {
    if (pubkeys.length === 0) return new Map();
    const rows = await this.db
      .selectFrom("key_migration_keys")
      .select(["pubkey", "migration_id"])
      .where("pubkey", "in", pubkeys)
      .where("state", "in", OPEN_MIGRATION_KEY_STATES)
      .execute();
    return new Map(rows.map((r) => [r.pubkey, r.migration_id]));
  }

  /**
   * Applies `changes` only if the key is still in `expected` (and, when given, still has that many
   * import attempts). Returns whether it did: two drivers never both make the same step.
   */
  async advance(
    migrationId: string,
    pubkey: string,
    expected: { readonly state: MigrationKeyState; readonly importAttempts?: number },
    changes: KeyMigrationChanges,
    at: string,
  ): Promise<boolean> {
    let query = this.db
      .updateTable("key_migration_keys")
      .set({ ...changes, updated_at: at })
      .where("migration_id", "=", migrationId)
      .where("pubkey", "=", pubkey)
      .where("state", "=", expected.state);
    if (expected.importAttempts !== undefined) query = query.where("import_attempts", "=", expected.importAttempts);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Keys taken out of their client and not yet imported elsewhere: they must be silent on chain. */
  async keysExpectedOffline(): Promise<ExpectedOfflineKey[]> {
    const rows = await this.db
      .selectFrom("key_migration_keys as k")
      .innerJoin("validator_keys as v", "v.pubkey", "k.pubkey")
      .select(["k.pubkey", "k.migration_id", "k.removed_epoch", "k.validator_index", "v.validator_index as registry_index"])
      .where("k.state", "=", "waiting_offline")
      .orderBy("k.pubkey")
      .execute();
    return rows.map((r) => ({ pubkey: r.pubkey, validatorIndex: r.validator_index ?? r.registry_index, since: r.removed_epoch, migrationId: r.migration_id }));
  }

  /** Keys of open migrations per state, for the metrics gauge. */
  async countOpenByState(): Promise<{ state: MigrationKeyState; n: number }[]> {
    const rows = await this.db
      .selectFrom("key_migration_keys")
      .select(["state", (eb) => eb.fn.countAll<number>().as("n")])
      .where("state", "in", OPEN_MIGRATION_KEY_STATES)
      .groupBy("state")
      .execute();
    return rows.map((r) => ({ state: r.state, n: Number(r.n) }));
  }
}
