/** The exit policy set through the API, exits in progress or done, the audit log, pre-signed exits. */
import { randomUUID } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import { isUniqueViolation } from "./constraint.js";
import type { Database, ExitAuditTable, ExitState, ExitsTable, PresignedExitsTable } from "./schema.js";

export type ExitRow = Selectable<ExitsTable>;
export type ExitAuditRow = Selectable<ExitAuditTable>;
export type PresignedExitRow = Selectable<PresignedExitsTable>;

export interface AuditEntry {
  readonly at: string;
  readonly epoch: number | null;
  readonly pubkey: string | null;
  readonly validatorIndex: number | null;
  readonly operatorId: string | null;
  readonly rule: string;
  readonly numbers: Readonly<Record<string, unknown>>;
  readonly dryRun: boolean;
  readonly outcome: string;
  readonly message: string;
}

export class ExitsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async policyDocument(): Promise<{ document: string; updatedAt: string } | undefined> {
    const row = await this.db.selectFrom("exit_policy").selectAll().where("id", "=", "current").executeTakeFirst();
    return row === undefined ? undefined : { document: row.document, updatedAt: row.updated_at };
  }

  async savePolicyDocument(document: string, at: string): Promise<void> {
    await this.db
      .insertInto("exit_policy")
      .values({ id: "current", document, updated_at: at })
      .onConflict((oc) => oc.column("id").doUpdateSet({ document, updated_at: at }))
      .execute();
  }

  /** Records a new exit; false when the validator already has one (another decision, another instance). */
  async create(row: ExitRow): Promise<boolean> {
    try {
      await this.db.insertInto("exits").values(row).execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async get(pubkey: string): Promise<ExitRow | undefined> {
    return this.db.selectFrom("exits").selectAll().where("pubkey", "=", pubkey).executeTakeFirst();
  }

  async listByState(states: readonly ExitState[]): Promise<ExitRow[]> {
    return this.db.selectFrom("exits").selectAll().where("state", "in", states).orderBy("created_at").execute();
  }

  async list(operatorId?: string): Promise<ExitRow[]> {
    let q = this.db.selectFrom("exits").selectAll();
    if (operatorId !== undefined) q = q.where("operator_id", "=", operatorId);
    return q.orderBy("created_at", "desc").limit(1000).execute();
  }

  async update(pubkey: string, changes: Partial<Pick<ExitRow, "state" | "exit_epoch" | "last_submitted_epoch" | "attempts" | "last_error">>, at: string): Promise<void> {
    await this.db.updateTable("exits").set({ ...changes, updated_at: at }).where("pubkey", "=", pubkey).execute();
  }

  /** Real exits (not dry runs) created since `since` (ISO), in all or for one operator. */
  async countCreatedSince(since: string, operatorId?: string): Promise<number> {
    let q = this.db.selectFrom("exits").select((eb) => eb.fn.countAll<number | string>().as("n")).where("created_at", ">=", since).where("reason", "!=", "manual");
    if (operatorId !== undefined) q = q.where("operator_id", "=", operatorId);
    return Number((await q.executeTakeFirst())?.n ?? 0);
  }

  async audit(entries: readonly AuditEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += 200) {
      const chunk = entries.slice(i, i + 200);
      if (chunk.length === 0) continue;
      await this.db
        .insertInto("exit_audit")
        .values(
          chunk.map((e) => ({
            id: randomUUID(),
            at: e.at,
            epoch: e.epoch,
            pubkey: e.pubkey,
            validator_index: e.validatorIndex,
            operator_id: e.operatorId,
            rule: e.rule,
            numbers: JSON.stringify(e.numbers),
            dry_run: e.dryRun ? 1 : 0,
            outcome: e.outcome,
            message: e.message,
          })),
        )
        .execute();
    }
  }

  async listAudit(options: { operatorId?: string; limit: number }): Promise<ExitAuditRow[]> {
    let q = this.db.selectFrom("exit_audit").selectAll();
    if (options.operatorId !== undefined) q = q.where("operator_id", "=", options.operatorId);
    return q.orderBy("at", "desc").orderBy("id").limit(options.limit).execute();
  }

  async savePresigned(row: PresignedExitRow): Promise<void> {
    await this.db
      .insertInto("presigned_exits")
      .values(row)
      .onConflict((oc) => oc.column("pubkey").doUpdateSet({ epoch: row.epoch, signed_exit: row.signed_exit, uploaded_at: row.uploaded_at, validator_index: row.validator_index }))
      .execute();
  }

  async presigned(pubkey: string): Promise<PresignedExitRow | undefined> {
    return this.db.selectFrom("presigned_exits").selectAll().where("pubkey", "=", pubkey).executeTakeFirst();
  }

  /** Marks an epoch evaluated; false when it already was (by this or another instance). */
  async claimEvaluation(epoch: number, at: string): Promise<boolean> {
    try {
      await this.db.insertInto("exit_evaluations").values({ epoch, evaluated_at: at }).execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async lastEvaluated(): Promise<number | null> {
    const row = await this.db.selectFrom("exit_evaluations").select((eb) => eb.fn.max("epoch").as("epoch")).executeTakeFirst();
    return row?.epoch === null || row?.epoch === undefined ? null : Number(row.epoch);
  }
}
