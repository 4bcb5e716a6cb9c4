/**
 * Risk signals in the database: batched upserts (a check may report thousands of facts; each
 * statement carries up to 1,000 of them), resolution of what a check no longer sees, and the reads
 * behind the API, the metric and import blocking.
 */
import { sql, type Kysely, type Selectable } from "kysely";
import { NEVER_RESOLVED, SIGNAL_SEVERITY, observationId, type RiskObservation, type RiskSeverity, type RiskSignalKind } from "../risk/signals.js";
import type { Database, RiskSignalsTable } from "./schema.js";

export type RiskSignalRow = Selectable<RiskSignalsTable>;

/** 12 columns a row: 1,000 rows stay under SQLite's 32,766 bound parameters and PostgreSQL's 65,535. */
const UPSERT_CHUNK = 1_000;
const IN_CHUNK = 5_000;

/** What one run of a check looked at: its open signals not seen in that run are resolved. */
export interface ResolutionScope {
  readonly kinds: readonly RiskSignalKind[];
  /** Only signals about these clients (per-client facts of the clients a poll reached). */
  readonly validatorClientIds?: readonly string[];
  /** Only signals about this epoch (a per-epoch check, e.g. the monitor's processing of it). */
  readonly epoch?: number;
}

export interface RiskSignalQuery {
  readonly severity?: RiskSeverity;
  readonly kinds?: readonly RiskSignalKind[];
  /** false (default): open signals; true: resolved ones; "any": both. */
  readonly resolved?: boolean | "any";
  /** Only what this operator may see: its own keys' signals, and those about its validator clients. */
  readonly visibleTo?: string;
  readonly limit?: number;
}

export class RiskSignalsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Records that these facts hold at `at`: new ones are opened, open ones refreshed (last_seen,
   * details), resolved ones reopened with a new first_seen. A fact reported twice counts once.
   */
  async observe(observations: readonly RiskObservation[], at: string): Promise<void> {
    const byId = new Map<string, RiskSignalRow>();
    for (const o of observations) {
      const id = observationId(o);
      byId.set(id, {
        id,
        kind: o.kind,
        severity: SIGNAL_SEVERITY[o.kind],
        pubkey: o.pubkey,
        validator_index: o.validatorIndex ?? null,
        operator_id: o.operatorId,
        validator_client_id: o.validatorClientId ?? null,
        epoch: o.epoch ?? null,
        details: JSON.stringify(o.details),
        first_seen: at,
        last_seen: at,
        resolved_at: null,
      });
    }
    const rows = [...byId.values()];
    for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
      await this.db
        .insertInto("risk_signals")
        .values(rows.slice(i, i + UPSERT_CHUNK))
        .onConflict((oc) =>
          oc.column("id").doUpdateSet({
            // Both engines evaluate these against the row as it was, so `resolved_at` here is the old one.
            first_seen: sql`case when risk_signals.resolved_at is null then risk_signals.first_seen else excluded.first_seen end`,
            epoch: sql`case when risk_signals.resolved_at is null then coalesce(risk_signals.epoch, excluded.epoch) else excluded.epoch end`,
            last_seen: sql`excluded.last_seen`,
            details: sql`excluded.details`,
            operator_id: sql`excluded.operator_id`,
            validator_index: sql`coalesce(excluded.validator_index, risk_signals.validator_index)`,
            resolved_at: null,
          }),
        )
        .execute();
    }
  }

  /** Resolves the open signals in `scope` whose ids are not in `seen`; returns how many. Never resolves SLASHED_ON_CHAIN. */
  async resolveUnseen(scope: ResolutionScope, seen: ReadonlySet<string>, at: string): Promise<number> {
    const kinds = scope.kinds.filter((k) => !NEVER_RESOLVED.has(k));
    if (kinds.length === 0) return 0;
    let query = this.db.selectFrom("risk_signals").select("id").where("resolved_at", "is", null).where("kind", "in", kinds);
    if (scope.validatorClientIds !== undefined) {
      if (scope.validatorClientIds.length === 0) return 0;
      query = query.where("validator_client_id", "in", scope.validatorClientIds);
    }
    if (scope.epoch !== undefined) query = query.where("epoch", "=", scope.epoch);
    const stale = (await query.execute()).map((r) => r.id).filter((id) => !seen.has(id));
    for (let i = 0; i < stale.length; i += IN_CHUNK) {
      await this.db.updateTable("risk_signals").set({ resolved_at: at }).where("id", "in", stale.slice(i, i + IN_CHUNK)).execute();
    }
    return stale.length;
  }

  async list(query: RiskSignalQuery = {}): Promise<RiskSignalRow[]> {
    if (query.kinds !== undefined && query.kinds.length === 0) return [];
    let q = this.db.selectFrom("risk_signals").selectAll();
    const resolved = query.resolved ?? false;
    if (resolved === false) q = q.where("resolved_at", "is", null);
    if (resolved === true) q = q.where("resolved_at", "is not", null);
    if (query.severity !== undefined) q = q.where("severity", "=", query.severity);
    if (query.kinds !== undefined) q = q.where("kind", "in", query.kinds);
    const operatorId = query.visibleTo;
    if (operatorId !== undefined) {
      q = q.where((eb) =>
        eb.or([
          eb("operator_id", "=", operatorId),
          eb("validator_client_id", "in", eb.selectFrom("validator_clients").select("id").where("operator_id", "=", operatorId)),
        ]),
      );
    }
    q = q.orderBy("severity").orderBy("first_seen").orderBy("id");
    if (query.limit !== undefined) q = q.limit(query.limit);
    return q.execute();
  }

  /** Open signals about these keys (any severity). */
  async openFor(pubkeys: readonly string[]): Promise<RiskSignalRow[]> {
    const found: RiskSignalRow[] = [];
    for (let i = 0; i < pubkeys.length; i += IN_CHUNK) {
      const chunk = pubkeys.slice(i, i + IN_CHUNK);
      found.push(...(await this.db.selectFrom("risk_signals").selectAll().where("pubkey", "in", chunk).where("resolved_at", "is", null).execute()));
    }
    return found;
  }

  /** Open signals per operator id, kind and severity (the slashing-risk gauge). */
  async countOpen(): Promise<{ operator_id: string | null; kind: RiskSignalKind; severity: RiskSeverity; n: number }[]> {
    const rows = await this.db
      .selectFrom("risk_signals")
      .select(["operator_id", "kind", "severity", (eb) => eb.fn.countAll<number | string>().as("n")])
      .where("resolved_at", "is", null)
      .groupBy(["operator_id", "kind", "severity"])
      .execute();
    return rows.map((r) => ({ operator_id: r.operator_id, kind: r.kind, severity: r.severity, n: Number(r.n) }));
  }
}
