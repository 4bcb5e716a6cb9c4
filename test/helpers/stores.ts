/**
 * Real databases for storage tests: a fresh SQLite file, and a fresh PostgreSQL database on the
 * local server (127.0.0.1:5432, trust auth; `.ci/run` makes sure it runs), dropped afterwards.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { DatabaseConfig } from "../../src/config/loadConfig.js";
import { openStore, type Store } from "../../src/store/database.js";

export const ENGINES = ["sqlite", "postgres"] as const;
export type Engine = (typeof ENGINES)[number];

const POSTGRES_ADMIN_URL = process.env["STAKEOPS_TEST_POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  readonly config: DatabaseConfig;
  dispose(): Promise<void>;
}

/** An empty database of the given engine (not yet migrated). */
export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === "sqlite") {
    const dir = await mkdtemp(join(tmpdir(), "stakeops-db-"));
    return { config: { kind: "sqlite", path: join(dir, "stakeops.db") }, dispose: () => rm(dir, { recursive: true, force: true }) };
  }
  const name = `stakeops_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    config: { kind: "postgres", url: url.toString() },
    dispose: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      try {
        // A closed pool's last sessions may still be finishing on the server; give them a moment
        // rather than killing them (which their clients would see as an error).
        for (let i = 0; i < 50; i++) {
          const { rows } = await client.query<{ n: string }>("select count(*) as n from pg_stat_activity where datname = $1", [name]);
          if (Number(rows[0]?.n ?? 0) === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

export async function openTestStore(engine: Engine): Promise<{ store: Store; dispose(): Promise<void> }> {
  const database = await createTestDatabase(engine);
  const store = await openStore(database.config);
  return {
    store,
    dispose: async () => {
      await store.close();
      await database.dispose();
    },
  };
}
