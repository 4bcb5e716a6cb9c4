import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.js";

/**
 * Named leases for singleton work (one inventory poller, one status refresher across every
 * instance on the same database). A lease is held until it expires; the holder renews it each
 * run. Acquisition is one conditional statement, atomic in SQLite and PostgreSQL alike.
 */
export class LeasesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async tryAcquire(name: string, owner: string, now: string, expiresAt: string): Promise<boolean> {
    const result = await sql<{ name: string }>`
      insert into leases (name, owner, expires_at) values (${name}, ${owner}, ${expiresAt})
      on conflict (name) do update set owner = excluded.owner, expires_at = excluded.expires_at
      where leases.owner = excluded.owner or leases.expires_at < ${now}
      returning name`.execute(this.db);
    return result.rows.length === 1;
  }

  async release(name: string, owner: string): Promise<void> {
    await this.db.deleteFrom("leases").where("name", "=", name).where("owner", "=", owner).execute();
  }
}
