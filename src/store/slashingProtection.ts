import type { Kysely, Selectable } from "kysely";
import type { Database, SlashingProtectionTable } from "./schema.js";

export type SlashingProtectionRow = Selectable<SlashingProtectionTable>;

export class SlashingProtectionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertMany(rows: readonly SlashingProtectionRow[], db: Kysely<Database> = this.db): Promise<void> {
    if (rows.length > 0) await db.insertInto("slashing_protection").values([...rows]).execute();
  }

  /** Every record kept for these keys, oldest first. */
  async forPubkeys(pubkeys: readonly string[]): Promise<SlashingProtectionRow[]> {
    if (pubkeys.length === 0) return [];
    return this.db.selectFrom("slashing_protection").selectAll().where("pubkey", "in", pubkeys).orderBy("created_at").execute();
  }
}
