/**
 * Opens the database named by the configuration (embedded SQLite by default, PostgreSQL for
 * several instances), brings its schema up to date, and hands out one typed kysely handle.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import type { DatabaseConfig } from "../config/loadConfig.js";
import { StakeopsError } from "../errors.js";
import { migrationProvider } from "./migrations.js";
import type { Database } from "./schema.js";

export type Dialect = "sqlite" | "postgres";

export class StoreError extends StakeopsError<"STORE_UNAVAILABLE" | "STORE_MIGRATION_FAILED"> {}

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** True if the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** pg returns int8 (bigint) as a string by default; Gwei and validator indices fit in a double. */
const INT8_OID = 20;

export async function openStore(config: DatabaseConfig): Promise<Store> {
  const dialect: Dialect = config.kind;
  let db: Kysely<Database> | undefined;
  try {
    db = config.kind === "sqlite" ? openSqlite(config.path) : openPostgres(config.url);
    // Reads the schema: proves the connection, and takes SQLite's exclusive lock (see openSqlite).
    await sql`select count(*) from ${sql.raw(dialect === "sqlite" ? "sqlite_master" : "pg_catalog.pg_tables")}`.execute(db);
  } catch (cause) {
    await db?.destroy();
    const busy = typeof cause === "object" && cause !== null && "code" in cause && cause.code === "SQLITE_BUSY";
    const reason = busy
      ? "another process holds this SQLite file (one stakeops instance per SQLite database; use PostgreSQL to run several)"
      : cause instanceof Error
        ? cause.message
        : String(cause);
    throw new StoreError("STORE_UNAVAILABLE", `cannot open the ${dialect} database: ${reason}`, { dialect }, { cause });
  }
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error !== undefined) {
    await db.destroy();
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new StoreError("STORE_MIGRATION_FAILED", `database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, { migration: failed }, { cause: error });
  }
  return {
    db,
    dialect,
    ping: async () => {
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
    close: () => db.destroy(),
  };
}

function openSqlite(path: string): Kysely<Database> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const database = new SqliteDatabase(path);
  try {
    configureSqlite(database);
  } catch (error) {
    database.close();
    throw error;
  }
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}

function configureSqlite(database: SqliteDatabase.Database): void {
  // One process per SQLite file: a second stakeops on the same file fails at start instead of
  // racing the first (several instances need PostgreSQL). Exclusive mode is set before WAL so the
  // WAL index lives in this process's memory.
  database.pragma("locking_mode = EXCLUSIVE");
  database.pragma("busy_timeout = 1000");
  database.pragma("journal_mode = WAL");
  database.pragma("foreign_keys = ON");
  database.pragma("synchronous = NORMAL");
}

function openPostgres(url: string): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection the server drops (a restart, a failover) is an 'error' event on the pool;
  // without a listener it would crash the process. The pool discards that connection and opens
  // a new one on the next query, whose failure, if any, reaches the caller.
  pool.on("error", () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
