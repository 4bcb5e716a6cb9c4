/**
 * Versioned migrations, the same for both engines, run at start by kysely's Migrator (which takes
 * its own lock, so two instances starting together migrate once). Append new migrations; never
 * edit a released one.
 */
import { PostgresAdapter, sql, type Kysely, type Migration, type MigrationProvider } from "kysely";

const migrations: Record<string, Migration> = {
  "0001_registry": {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("operators")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("reward_address", "text")
        .addColumn("active", "integer", (c) => c.notNull().defaultTo(1))
        .addColumn("key_limit", "integer")
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("validator_keys")
        .addColumn("pubkey", "text", (c) => c.primaryKey())
        .addColumn("operator_id", "text", (c) => c.notNull().references("operators.id"))
        .addColumn("source", "text", (c) => c.notNull().check(sql`source in ('generated', 'keystore', 'deposit-data', 'existing')`))
        .addColumn("derivation_path", "text")
        .addColumn("withdrawal_credentials", "text")
        .addColumn("amount_gwei", "bigint")
        .addColumn("deposit_signature", "text")
        .addColumn("deposit_message_root", "text")
        .addColumn("deposit_data_root", "text")
        .addColumn("state", "text", (c) =>
          c.notNull().check(sql`state in ('registered', 'deposited', 'active', 'exiting', 'exited', 'slashed')`),
        )
        .addColumn("validator_index", "bigint")
        .addColumn("in_custody", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("validator_keys_operator_state").on("validator_keys").columns(["operator_id", "state"]).execute();

      await db.schema
        .createTable("validator_clients")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("operator_id", "text", (c) => c.notNull().references("operators.id"))
        .addColumn("url", "text", (c) => c.notNull().unique())
        .addColumn("token_encrypted", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("last_polled_at", "text")
        .addColumn("last_error", "text")
        .execute();

      await db.schema
        .createTable("key_assignments")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("pubkey", "text", (c) => c.notNull().references("validator_keys.pubkey"))
        .addColumn("validator_client_id", "text", (c) => c.notNull().references("validator_clients.id"))
        .addColumn("state", "text", (c) => c.notNull().check(sql`state in ('importing', 'active', 'removing', 'removed')`))
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      // The rule that prevents the classic slashing: a key is (possibly) loaded in at most one client.
      // A partial unique index enforces it in both engines, across instances.
      await sql`create unique index key_assignments_one_live_client on key_assignments (pubkey) where state in ('importing', 'active', 'removing')`.execute(db);
      await db.schema.createIndex("key_assignments_client").on("key_assignments").columns(["validator_client_id", "state"]).execute();

      await db.schema
        .createTable("slashing_protection")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("pubkey", "text", (c) => c.notNull().references("validator_keys.pubkey"))
        .addColumn("validator_client_id", "text", (c) => c.notNull().references("validator_clients.id"))
        .addColumn("interchange", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("slashing_protection_pubkey").on("slashing_protection").columns(["pubkey", "created_at"]).execute();

      await db.schema
        .createTable("jobs")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("operator_id", "text", (c) => c.notNull().references("operators.id"))
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull().check(sql`state in ('queued', 'running', 'succeeded', 'failed')`))
        .addColumn("params", "text", (c) => c.notNull())
        .addColumn("progress_done", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("progress_total", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("result", "text")
        .addColumn("error_code", "text")
        .addColumn("error_message", "text")
        .addColumn("owner", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("started_at", "text")
        .addColumn("finished_at", "text")
        .addColumn("heartbeat_at", "text")
        .execute();
      await db.schema.createIndex("jobs_state").on("jobs").columns(["state", "created_at"]).execute();

      await db.schema
        .createTable("inventory_findings")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("severity", "text", (c) => c.notNull().check(sql`severity in ('critical', 'warning')`))
        .addColumn("pubkey", "text")
        .addColumn("validator_client_id", "text")
        .addColumn("operator_id", "text")
        .addColumn("details", "text", (c) => c.notNull())
        .addColumn("first_seen", "text", (c) => c.notNull())
        .addColumn("last_seen", "text", (c) => c.notNull())
        .addColumn("resolved_at", "text")
        .execute();

      await db.schema
        .createTable("leases")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("expires_at", "text", (c) => c.notNull())
        .execute();
    },
  },
  "0002_monitor": {
    async up(db: Kysely<unknown>): Promise<void> {
      const binary = db.getExecutor().adapter instanceof PostgresAdapter ? "bytea" : "blob";
      await db.schema
        .createTable("monitor_epochs")
        .addColumn("epoch", "bigint", (c) => c.primaryKey())
        .addColumn("state", "text", (c) => c.notNull().check(sql`state in ('processed', 'skipped')`))
        .addColumn("reason", "text")
        .addColumn("source", "text")
        .addColumn("rewards_source", "text")
        .addColumn("anchor_slot", "bigint")
        .addColumn("anchor_root", "text")
        .addColumn("final", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("processed_at", "text", (c) => c.notNull())
        .addColumn("processing_ms", "integer")
        .execute();
      await db.schema
        .createTable("operator_epoch_performance")
        .addColumn("epoch", "bigint", (c) => c.notNull())
        .addColumn("operator_id", "text", (c) => c.notNull().references("operators.id"))
        .addColumn("totals", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("operator_epoch_performance_pk", ["operator_id", "epoch"])
        .execute();
      await db.schema.createIndex("operator_epoch_performance_epoch").on("operator_epoch_performance").column("epoch").execute();
      await db.schema
        .createTable("network_epoch_performance")
        .addColumn("epoch", "bigint", (c) => c.primaryKey())
        .addColumn("totals", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("validator_epoch_results")
        .addColumn("epoch", "bigint", (c) => c.notNull())
        .addColumn("operator_id", "text", (c) => c.notNull().references("operators.id"))
        .addColumn("validators", "integer", (c) => c.notNull())
        .addColumn("data", binary, (c) => c.notNull())
        .addPrimaryKeyConstraint("validator_epoch_results_pk", ["operator_id", "epoch"])
        .execute();
      await db.schema.createIndex("validator_epoch_results_epoch").on("validator_epoch_results").column("epoch").execute();
      await db.schema.createIndex("validator_keys_validator_index").on("validator_keys").column("validator_index").execute();
      await db.schema
        .createTable("proposer_duties")
        .addColumn("epoch", "bigint", (c) => c.primaryKey())
        .addColumn("duties", "text", (c) => c.notNull())
        .execute();
    },
  },
  "0003_risk_signals": {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("risk_signals")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("severity", "text", (c) => c.notNull().check(sql`severity in ('critical', 'warning')`))
        .addColumn("pubkey", "text")
        .addColumn("validator_index", "bigint")
        .addColumn("operator_id", "text")
        .addColumn("validator_client_id", "text")
        .addColumn("epoch", "bigint")
        .addColumn("details", "text", (c) => c.notNull())
        .addColumn("first_seen", "text", (c) => c.notNull())
        .addColumn("last_seen", "text", (c) => c.notNull())
        .addColumn("resolved_at", "text")
        .execute();
      await db.schema.createIndex("risk_signals_pubkey").on("risk_signals").columns(["pubkey", "resolved_at"]).execute();
      await db.schema.createIndex("risk_signals_kind").on("risk_signals").columns(["kind", "resolved_at"]).execute();
      // Inventory findings are risk signals from now on: one list, not two that drift apart. Their
      // ids already had the signal form (kind|pubkey|client), so open ones stay open under the same id.
      await sql`insert into risk_signals (id, kind, severity, pubkey, validator_index, operator_id, validator_client_id, epoch, details, first_seen, last_seen, resolved_at)
        select id, kind, severity, pubkey, null, operator_id, validator_client_id, null, details, first_seen, last_seen, resolved_at from inventory_findings`.execute(db);
      await db.schema.dropTable("inventory_findings").execute();
    },
  },
  "0004_key_migrations": {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("key_migrations")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("operator_id", "text", (c) => c.notNull().references("operators.id"))
        .addColumn("from_client_id", "text", (c) => c.notNull().references("validator_clients.id"))
        .addColumn("to_client_id", "text", (c) => c.notNull().references("validator_clients.id"))
        .addColumn("offline_epochs_required", "integer", (c) => c.notNull())
        .addColumn("epoch_seconds", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("key_migrations_operator").on("key_migrations").columns(["operator_id", "created_at"]).execute();
      await db.schema
        .createTable("key_migration_keys")
        .addColumn("migration_id", "text", (c) => c.notNull().references("key_migrations.id"))
        .addColumn("pubkey", "text", (c) => c.notNull().references("validator_keys.pubkey"))
        .addColumn("state", "text", (c) =>
          c.notNull().check(sql`state in ('requested', 'removing', 'waiting_offline', 'importing', 'done', 'aborted')`),
        )
        .addColumn("validator_index", "bigint")
        .addColumn("removed_epoch", "bigint")
        .addColumn("offline_epochs", "text", (c) => c.notNull().defaultTo("[]"))
        .addColumn("deadline_at", "text", (c) => c.notNull())
        .addColumn("protection", "text")
        .addColumn("import_attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("import_sent_at", "text")
        .addColumn("abort_code", "text")
        .addColumn("abort_message", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addColumn("removed_at", "text")
        .addColumn("finished_at", "text")
        .addPrimaryKeyConstraint("key_migration_keys_pk", ["migration_id", "pubkey"])
        .execute();
      // Two open migrations of one key would race each other's removal and import: one at a time.
      await sql`create unique index key_migration_keys_one_open on key_migration_keys (pubkey) where state in ('requested', 'removing', 'waiting_offline', 'importing')`.execute(db);
      await db.schema.createIndex("key_migration_keys_state").on("key_migration_keys").column("state").execute();
    },
  },
  "0005_exits": {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("exit_policy")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("document", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("exits")
        .addColumn("pubkey", "text", (c) => c.primaryKey().references("validator_keys.pubkey"))
        .addColumn("validator_index", "bigint", (c) => c.notNull())
        .addColumn("operator_id", "text", (c) => c.notNull().references("operators.id"))
        .addColumn("state", "text", (c) => c.notNull().check(sql`state in ('submitted', 'confirmed', 'failed', 'withdrawal_request')`))
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("signing_source", "text", (c) => c.notNull())
        .addColumn("signed_exit", "text")
        .addColumn("withdrawal_request", "text")
        .addColumn("exit_epoch", "bigint")
        .addColumn("last_submitted_epoch", "bigint")
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("last_error", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("exit_audit")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("at", "text", (c) => c.notNull())
        .addColumn("epoch", "bigint")
        .addColumn("pubkey", "text")
        .addColumn("validator_index", "bigint")
        .addColumn("operator_id", "text")
        .addColumn("rule", "text", (c) => c.notNull())
        .addColumn("numbers", "text", (c) => c.notNull())
        .addColumn("dry_run", "integer", (c) => c.notNull())
        .addColumn("outcome", "text", (c) => c.notNull())
        .addColumn("message", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("exit_audit_at").on("exit_audit").columns(["at"]).execute();
      await db.schema
        .createTable("presigned_exits")
        .addColumn("pubkey", "text", (c) => c.primaryKey().references("validator_keys.pubkey"))
        .addColumn("operator_id", "text", (c) => c.notNull().references("operators.id"))
        .addColumn("validator_index", "bigint", (c) => c.notNull())
        .addColumn("epoch", "bigint", (c) => c.notNull())
        .addColumn("signed_exit", "text", (c) => c.notNull())
        .addColumn("uploaded_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("exit_evaluations")
        .addColumn("epoch", "bigint", (c) => c.primaryKey())
        .addColumn("evaluated_at", "text", (c) => c.notNull())
        .execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
