/**
 * The inventory's findings, as they were served before risk signals existed: they are risk signals
 * now (src/risk/signals.ts, table risk_signals), and this is the read-only view of the open ones of
 * the inventory's kinds, with the columns the findings always had. Kept so that
 * `GET /api/v1/inventory/findings` and its metric answer as before.
 */
import type { Kysely } from "kysely";
import { INVENTORY_SIGNAL_KINDS } from "../risk/signals.js";
import type { Database } from "./schema.js";
import type { RiskSignalRow } from "./riskSignals.js";

export type InventoryFindingRow = Pick<RiskSignalRow, "id" | "kind" | "severity" | "pubkey" | "validator_client_id" | "operator_id" | "details" | "first_seen" | "last_seen" | "resolved_at">;

export class InventoryFindingsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async listOpen(operatorId?: string): Promise<InventoryFindingRow[]> {
    let query = this.db
      .selectFrom("risk_signals")
      .select(["id", "kind", "severity", "pubkey", "validator_client_id", "operator_id", "details", "first_seen", "last_seen", "resolved_at"])
      .where("resolved_at", "is", null)
      .where("kind", "in", INVENTORY_SIGNAL_KINDS);
    if (operatorId !== undefined) query = query.where("operator_id", "=", operatorId);
    return query.orderBy("severity").orderBy("first_seen").execute();
  }
}
