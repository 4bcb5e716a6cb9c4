import type { Kysely, Selectable } from "kysely";
import type { Database, ValidatorClientsTable } from "./schema.js";

export type ValidatorClientRow = Selectable<ValidatorClientsTable>;

export class ValidatorClientsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: ValidatorClientRow): Promise<void> {
    await this.db.insertInto("validator_clients").values(row).execute();
  }

  async findById(id: string): Promise<ValidatorClientRow | undefined> {
    return this.db.selectFrom("validator_clients").selectAll().where("id", "=", id).executeTakeFirst();
  }

  async list(operatorId?: string): Promise<ValidatorClientRow[]> {
    let query = this.db.selectFrom("validator_clients").selectAll();
    if (operatorId !== undefined) query = query.where("operator_id", "=", operatorId);
    return query.orderBy("created_at").execute();
  }

  async recordPoll(id: string, at: string, error: string | null): Promise<void> {
    await this.db.updateTable("validator_clients").set({ last_polled_at: at, last_error: error }).where("id", "=", id).execute();
  }
}
