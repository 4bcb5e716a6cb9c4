import type { Kysely, Selectable } from "kysely";
import type { Database, OperatorsTable } from "./schema.js";

export type OperatorRow = Selectable<OperatorsTable>;

export class OperatorsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: OperatorRow): Promise<void> {
    await this.db.insertInto("operators").values(row).execute();
  }

  async findById(id: string, db: Kysely<Database> = this.db): Promise<OperatorRow | undefined> {
    return db.selectFrom("operators").selectAll().where("id", "=", id).executeTakeFirst();
  }

  async findByTokenHash(tokenHash: string): Promise<OperatorRow | undefined> {
    return this.db.selectFrom("operators").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst();
  }

  async list(): Promise<OperatorRow[]> {
    return this.db.selectFrom("operators").selectAll().orderBy("name").execute();
  }

  async update(id: string, changes: Partial<Pick<OperatorRow, "active" | "key_limit" | "reward_address">>, at: string): Promise<void> {
    await this.db.updateTable("operators").set({ ...changes, updated_at: at }).where("id", "=", id).execute();
  }

  /** Keys that count against the limit: every registered key of the operator, whatever its state. */
  async countKeys(operatorId: string, db: Kysely<Database> = this.db): Promise<number> {
    const row = await db
      .selectFrom("validator_keys")
      .select((eb) => eb.fn.countAll<number | string>().as("n"))
      .where("operator_id", "=", operatorId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
