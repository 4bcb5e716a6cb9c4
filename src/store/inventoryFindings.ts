import type { Kysely, Selectable } from "kysely";
import type { Database, InventoryFindingsTable } from "./schema.js";

export type InventoryFindingRow = Selectable<InventoryFindingsTable>;

export class InventoryFindingsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Records that a finding holds now: new ones are opened, open ones get a new last_seen, resolved ones reopen. */
  async observe(finding: Omit<InventoryFindingRow, "first_seen" | "last_seen" | "resolved_at">, at: string): Promise<void> {
    const existing = await this.db.selectFrom("inventory_findings").select(["id", "resolved_at"]).where("id", "=", finding.id).executeTakeFirst();
    if (existing === undefined) {
      await this.db.insertInto("inventory_findings").values({ ...finding, first_seen: at, last_seen: at, resolved_at: null }).execute();
      return;
    }
    await this.db
      .updateTable("inventory_findings")
      .set({
        last_seen: at,
        details: finding.details,
        ...(existing.resolved_at === null ? {} : { resolved_at: null, first_seen: at }),
      })
      .where("id", "=", finding.id)
      .execute();
  }

  /** Resolves open findings of these kinds that were not observed in the poll that just finished. */
  async resolveUnseen(kinds: readonly string[], seenIds: ReadonlySet<string>, at: string, clientId?: string): Promise<void> {
    let query = this.db.selectFrom("inventory_findings").select("id").where("resolved_at", "is", null).where("kind", "in", kinds);
    if (clientId !== undefined) query = query.where("validator_client_id", "=", clientId);
    const open = await query.execute();
    const stale = open.map((r) => r.id).filter((id) => !seenIds.has(id));
    for (let i = 0; i < stale.length; i += 1_000) {
      await this.db.updateTable("inventory_findings").set({ resolved_at: at }).where("id", "in", stale.slice(i, i + 1_000)).execute();
    }
  }

  async listOpen(operatorId?: string): Promise<InventoryFindingRow[]> {
    let query = this.db.selectFrom("inventory_findings").selectAll().where("resolved_at", "is", null);
    if (operatorId !== undefined) query = query.where("operator_id", "=", operatorId);
    return query.orderBy("severity").orderBy("first_seen").execute();
  }
}
