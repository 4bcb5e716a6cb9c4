import type { Kysely, Selectable } from "kysely";
import { LIVE_ASSIGNMENT_STATES, type AssignmentState, type Database, type KeyAssignmentsTable } from "./schema.js";

export type KeyAssignmentRow = Selectable<KeyAssignmentsTable>;

export class KeyAssignmentsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Fails with a unique violation if the key is already (possibly) live in a client. */
  async insert(row: KeyAssignmentRow, db: Kysely<Database> = this.db): Promise<void> {
    await db.insertInto("key_assignments").values(row).execute();
  }

  async liveFor(pubkeys: readonly string[], db: Kysely<Database> = this.db): Promise<KeyAssignmentRow[]> {
    if (pubkeys.length === 0) return [];
    return db
      .selectFrom("key_assignments")
      .selectAll()
      .where("pubkey", "in", pubkeys)
      .where("state", "in", LIVE_ASSIGNMENT_STATES)
      .execute();
  }

  async liveForClient(validatorClientId: string): Promise<KeyAssignmentRow[]> {
    return this.db
      .selectFrom("key_assignments")
      .selectAll()
      .where("validator_client_id", "=", validatorClientId)
      .where("state", "in", LIVE_ASSIGNMENT_STATES)
      .execute();
  }

  async listLive(): Promise<KeyAssignmentRow[]> {
    return this.db.selectFrom("key_assignments").selectAll().where("state", "in", LIVE_ASSIGNMENT_STATES).execute();
  }

  /**
   * Keys taken out of a client at or after `after` and (possibly) live in none now: per key, when
   * the last such removal happened. The doppelganger check expects these keys to be silent.
   */
  async removedSince(after: string): Promise<{ pubkey: string; removedAt: string }[]> {
    const rows = await this.db
      .selectFrom("key_assignments as a")
      .select(["a.pubkey", (eb) => eb.fn.max("a.updated_at").as("removed_at")])
      .where("a.state", "=", "removed")
      .where("a.updated_at", ">=", after)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom("key_assignments as l").select("l.id").whereRef("l.pubkey", "=", "a.pubkey").where("l.state", "in", LIVE_ASSIGNMENT_STATES))),
      )
      .groupBy("a.pubkey")
      .execute();
    return rows.map((r) => ({ pubkey: r.pubkey, removedAt: String(r.removed_at) }));
  }

  async setState(id: string, state: AssignmentState, at: string, db: Kysely<Database> = this.db): Promise<void> {
    await db.updateTable("key_assignments").set({ state, updated_at: at }).where("id", "=", id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom("key_assignments").where("id", "=", id).execute();
  }
}
