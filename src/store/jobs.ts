import type { Kysely, Selectable } from "kysely";
import type { Database, JobsTable } from "./schema.js";

export type JobRow = Selectable<JobsTable>;

export class JobsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: JobRow): Promise<void> {
    await this.db.insertInto("jobs").values(row).execute();
  }

  async get(id: string): Promise<JobRow | undefined> {
    return this.db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /**
   * Takes a queued job for `owner`. The conditional update is atomic in both engines, so two
   * instances polling the same table never run one job twice.
   */
  async claim(id: string, owner: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable("jobs")
      .set({ state: "running", owner, started_at: at, heartbeat_at: at })
      .where("id", "=", id)
      .where("state", "=", "queued")
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async queuedIds(limit: number): Promise<string[]> {
    const rows = await this.db.selectFrom("jobs").select("id").where("state", "=", "queued").orderBy("created_at").limit(limit).execute();
    return rows.map((r) => r.id);
  }

  async progress(id: string, done: number, total: number, at: string): Promise<void> {
    await this.db.updateTable("jobs").set({ progress_done: done, progress_total: total, heartbeat_at: at }).where("id", "=", id).execute();
  }

  async succeed(id: string, result: string, at: string): Promise<void> {
    await this.db.updateTable("jobs").set({ state: "succeeded", result, finished_at: at, heartbeat_at: at }).where("id", "=", id).execute();
  }

  async fail(id: string, code: string, message: string, at: string): Promise<void> {
    await this.db
      .updateTable("jobs")
      .set({ state: "failed", error_code: code, error_message: message, finished_at: at, heartbeat_at: at })
      .where("id", "=", id)
      .execute();
  }

  /** Running jobs whose owner stopped sending heartbeats (crashed or killed) are failed, not silently resumed. */
  async failAbandoned(heartbeatBefore: string, at: string): Promise<number> {
    const result = await this.db
      .updateTable("jobs")
      .set({ state: "failed", error_code: "JOB_ABANDONED", error_message: "the instance running this job stopped; nothing from it was registered", finished_at: at })
      .where("state", "=", "running")
      .where("heartbeat_at", "<", heartbeatBefore)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
