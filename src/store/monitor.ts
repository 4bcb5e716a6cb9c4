/**
 * The monitor's results: which epochs were processed or skipped, per-operator and network totals
 * per epoch, each operator's packed per-validator results, and proposer duties kept for later.
 * Saving an epoch replaces whatever was stored for it, in one transaction, so reprocessing after a
 * reorg (or a crash half-way) is idempotent.
 */
import type { Kysely, Selectable } from "kysely";
import type { Database, MonitorEpochsTable } from "./schema.js";

export type MonitorEpochRow = Selectable<MonitorEpochsTable>;

export interface SavedEpoch {
  readonly epoch: number;
  readonly source: string;
  readonly rewardsSource: string;
  readonly anchorSlot: number | null;
  readonly anchorRoot: string | null;
  readonly final: boolean;
  readonly processedAt: string;
  readonly processingMs: number;
  readonly operators: readonly { readonly operatorId: string; readonly totals: string }[];
  readonly network: string;
  readonly validators: readonly { readonly operatorId: string; readonly count: number; readonly data: Uint8Array }[];
}

export class MonitorRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async lastEpoch(): Promise<number | null> {
    const row = await this.db.selectFrom("monitor_epochs").select((eb) => eb.fn.max("epoch").as("epoch")).executeTakeFirst();
    return row?.epoch === null || row?.epoch === undefined ? null : Number(row.epoch);
  }

  async lastProcessed(): Promise<MonitorEpochRow | undefined> {
    return this.db.selectFrom("monitor_epochs").selectAll().where("state", "=", "processed").orderBy("epoch", "desc").limit(1).executeTakeFirst();
  }

  async getEpoch(epoch: number): Promise<MonitorEpochRow | undefined> {
    return this.db.selectFrom("monitor_epochs").selectAll().where("epoch", "=", epoch).executeTakeFirst();
  }

  async listEpochs(from: number, to: number): Promise<MonitorEpochRow[]> {
    return this.db.selectFrom("monitor_epochs").selectAll().where("epoch", ">=", from).where("epoch", "<=", to).orderBy("epoch").execute();
  }

  async countSkipped(): Promise<number> {
    const row = await this.db.selectFrom("monitor_epochs").select((eb) => eb.fn.countAll<number | string>().as("n")).where("state", "=", "skipped").executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async save(epoch: SavedEpoch): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("validator_epoch_results").where("epoch", "=", epoch.epoch).execute();
      await trx.deleteFrom("operator_epoch_performance").where("epoch", "=", epoch.epoch).execute();
      await trx.deleteFrom("network_epoch_performance").where("epoch", "=", epoch.epoch).execute();
      await trx.deleteFrom("monitor_epochs").where("epoch", "=", epoch.epoch).execute();
      await trx
        .insertInto("monitor_epochs")
        .values({
          epoch: epoch.epoch,
          state: "processed",
          reason: null,
          source: epoch.source,
          rewards_source: epoch.rewardsSource,
          anchor_slot: epoch.anchorSlot,
          anchor_root: epoch.anchorRoot,
          final: epoch.final ? 1 : 0,
          processed_at: epoch.processedAt,
          processing_ms: epoch.processingMs,
        })
        .execute();
      await trx.insertInto("network_epoch_performance").values({ epoch: epoch.epoch, totals: epoch.network }).execute();
      if (epoch.operators.length > 0) {
        await trx
          .insertInto("operator_epoch_performance")
          .values(epoch.operators.map((o) => ({ epoch: epoch.epoch, operator_id: o.operatorId, totals: o.totals })))
          .execute();
      }
      for (const v of epoch.validators) {
        await trx.insertInto("validator_epoch_results").values({ epoch: epoch.epoch, operator_id: v.operatorId, validators: v.count, data: v.data }).execute();
      }
    });
  }

  /** Records epochs the monitor could not process; an epoch already processed is left alone. */
  async markSkipped(epochs: readonly number[], reason: string, at: string): Promise<void> {
    for (let i = 0; i < epochs.length; i += 500) {
      const chunk = epochs.slice(i, i + 500);
      await this.db
        .insertInto("monitor_epochs")
        .values(chunk.map((epoch) => ({ epoch, state: "skipped" as const, reason, source: null, rewards_source: null, anchor_slot: null, anchor_root: null, final: 0, processed_at: at, processing_ms: null })))
        .onConflict((oc) => oc.column("epoch").doNothing())
        .execute();
    }
  }

  async listUnfinal(): Promise<MonitorEpochRow[]> {
    return this.db.selectFrom("monitor_epochs").selectAll().where("state", "=", "processed").where("final", "=", 0).orderBy("epoch").execute();
  }

  async markFinal(epoch: number): Promise<void> {
    await this.db.updateTable("monitor_epochs").set({ final: 1 }).where("epoch", "=", epoch).execute();
  }

  async operatorTotals(operatorId: string, from: number, to: number): Promise<{ epoch: number; totals: string }[]> {
    const rows = await this.db
      .selectFrom("operator_epoch_performance")
      .select(["epoch", "totals"])
      .where("operator_id", "=", operatorId)
      .where("epoch", ">=", from)
      .where("epoch", "<=", to)
      .orderBy("epoch")
      .execute();
    return rows.map((r) => ({ epoch: Number(r.epoch), totals: r.totals }));
  }

  async networkTotals(from: number, to: number): Promise<{ epoch: number; totals: string }[]> {
    const rows = await this.db.selectFrom("network_epoch_performance").select(["epoch", "totals"]).where("epoch", ">=", from).where("epoch", "<=", to).orderBy("epoch").execute();
    return rows.map((r) => ({ epoch: Number(r.epoch), totals: r.totals }));
  }

  /** Totals of every operator in one epoch. */
  async operatorTotalsAt(epoch: number): Promise<{ operatorId: string; totals: string }[]> {
    const rows = await this.db.selectFrom("operator_epoch_performance").select(["operator_id", "totals"]).where("epoch", "=", epoch).execute();
    return rows.map((r) => ({ operatorId: r.operator_id, totals: r.totals }));
  }

  async validatorResults(operatorId: string, from: number, to: number): Promise<{ epoch: number; data: Uint8Array }[]> {
    const rows = await this.db
      .selectFrom("validator_epoch_results")
      .select(["epoch", "data"])
      .where("operator_id", "=", operatorId)
      .where("epoch", ">=", from)
      .where("epoch", "<=", to)
      .orderBy("epoch")
      .execute();
    return rows.map((r) => ({ epoch: Number(r.epoch), data: r.data }));
  }

  /** Drops results older than `before` (the epoch rows stay, so a gap is never mistaken for work to do). */
  async prune(before: number): Promise<void> {
    await this.db.deleteFrom("validator_epoch_results").where("epoch", "<", before).execute();
    await this.db.deleteFrom("operator_epoch_performance").where("epoch", "<", before).execute();
    await this.db.deleteFrom("network_epoch_performance").where("epoch", "<", before).execute();
    await this.db.deleteFrom("proposer_duties").where("epoch", "<", before).execute();
  }

  async saveDuties(epoch: number, duties: readonly (readonly [number, number])[]): Promise<void> {
    await this.db
      .insertInto("proposer_duties")
      .values({ epoch, duties: JSON.stringify(duties) })
      .onConflict((oc) => oc.column("epoch").doUpdateSet({ duties: JSON.stringify(duties) }))
      .execute();
  }

  async getDuties(epoch: number): Promise<[number, number][] | null> {
    const row = await this.db.selectFrom("proposer_duties").select("duties").where("epoch", "=", epoch).executeTakeFirst();
    return row === undefined ? null : (JSON.parse(row.duties) as [number, number][]);
  }
}
