import { sql, type Kysely, type Selectable } from "kysely";
import type { Database, KeyState, ValidatorKeysTable } from "./schema.js";

export type ValidatorKeyRow = Selectable<ValidatorKeysTable>;
export type ChainViewRow = Pick<ValidatorKeyRow, "pubkey" | "operator_id" | "validator_index" | "state">;

/** Large IN lists are split: SQLite allows at most 32,766 bound parameters per statement. */
const IN_CHUNK = 5_000;
/** Keys per batched update: 3 parameters each, under SQLite's 32,766. */
const UPDATE_CHUNK = 5_000;

export class ValidatorKeysRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertMany(rows: readonly ValidatorKeyRow[], db: Kysely<Database> = this.db): Promise<void> {
    // A row has 14 columns; 1,000 rows stay under every engine's parameter limit.
    for (let i = 0; i < rows.length; i += 1_000) {
      await db.insertInto("validator_keys").values(rows.slice(i, i + 1_000)).execute();
    }
  }

  async findByPubkeys(pubkeys: readonly string[], db: Kysely<Database> = this.db): Promise<ValidatorKeyRow[]> {
    const found: ValidatorKeyRow[] = [];
    for (let i = 0; i < pubkeys.length; i += IN_CHUNK) {
      const chunk = pubkeys.slice(i, i + IN_CHUNK);
      if (chunk.length > 0) found.push(...(await db.selectFrom("validator_keys").selectAll().where("pubkey", "in", chunk).execute()));
    }
    return found;
  }

  async get(pubkey: string): Promise<ValidatorKeyRow | undefined> {
    return this.db.selectFrom("validator_keys").selectAll().where("pubkey", "=", pubkey).executeTakeFirst();
  }

  async findByIndex(index: number): Promise<ValidatorKeyRow | undefined> {
    return this.db.selectFrom("validator_keys").selectAll().where("validator_index", "=", index).executeTakeFirst();
  }

  /** Registered keys with these validator indices (risk checks look up the few validators a block or state names). */
  async findByIndices(indices: readonly number[]): Promise<ChainViewRow[]> {
    const found: ChainViewRow[] = [];
    const wanted = [...new Set(indices)];
    for (let i = 0; i < wanted.length; i += IN_CHUNK) {
      const chunk = wanted.slice(i, i + IN_CHUNK);
      found.push(...(await this.db.selectFrom("validator_keys").select(["pubkey", "operator_id", "validator_index", "state"]).where("validator_index", "in", chunk).execute()));
    }
    return found;
  }

  /** Keys in one lifecycle state (risk: every key the chain has slashed). */
  async listInState(state: KeyState): Promise<ChainViewRow[]> {
    return this.db.selectFrom("validator_keys").select(["pubkey", "operator_id", "validator_index", "state"]).where("state", "=", state).execute();
  }

  async listByOperator(operatorId: string, states?: readonly KeyState[]): Promise<ValidatorKeyRow[]> {
    let query = this.db.selectFrom("validator_keys").selectAll().where("operator_id", "=", operatorId);
    if (states !== undefined && states.length > 0) query = query.where("state", "in", states);
    return query.orderBy("created_at").orderBy("pubkey").execute();
  }

  /** Keys whose state can still change on chain. */
  async listNotFinal(): Promise<ValidatorKeyRow[]> {
    return this.db.selectFrom("validator_keys").selectAll().where("state", "not in", ["exited", "slashed"]).execute();
  }

  async listAll(): Promise<ValidatorKeyRow[]> {
    return this.db.selectFrom("validator_keys").selectAll().execute();
  }

  /** What the monitor needs of every key, and nothing more (it reads all of them). */
  async listChainView(): Promise<ChainViewRow[]> {
    return this.db.selectFrom("validator_keys").select(["pubkey", "operator_id", "validator_index", "state"]).execute();
  }

  async updateChainState(pubkey: string, state: KeyState, validatorIndex: number | null, at: string): Promise<void> {
    await this.db
      .updateTable("validator_keys")
      .set({ state, validator_index: validatorIndex, updated_at: at })
      .where("pubkey", "=", pubkey)
      .execute();
  }

  /**
   * Many keys' chain state at once (the monitor moves thousands of keys in one epoch): one
   * statement per 5,000 keys, in one transaction, the same SQL on both engines.
   */
  async updateChainStates(changes: readonly { pubkey: string; state: KeyState; validatorIndex: number }[], at: string): Promise<void> {
    if (changes.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < changes.length; i += UPDATE_CHUNK) {
        const rows = changes.slice(i, i + UPDATE_CHUNK).map((c) => sql`(${c.pubkey}, ${c.state}, ${c.validatorIndex})`);
        await sql`with v(pubkey, state, idx) as (values ${sql.join(rows)})
          update validator_keys set state = v.state, validator_index = cast(v.idx as bigint), updated_at = ${at}
          from v where validator_keys.pubkey = v.pubkey`.execute(trx);
      }
    });
  }

  /** Changes whenever a key is added, removed or updated: a cheap "has the registry changed". */
  async version(): Promise<string> {
    const row = await this.db
      .selectFrom("validator_keys")
      .select((eb) => [eb.fn.countAll<number | string>().as("n"), eb.fn.max("updated_at").as("latest")])
      .executeTakeFirst();
    return `${String(row?.n ?? 0)}|${String(row?.latest ?? "")}`;
  }

  async countByOperatorAndState(): Promise<{ operator_id: string; state: KeyState; n: number }[]> {
    const rows = await this.db
      .selectFrom("validator_keys")
      .select(["operator_id", "state", (eb) => eb.fn.countAll<number | string>().as("n")])
      .groupBy(["operator_id", "state"])
      .execute();
    return rows.map((r) => ({ operator_id: r.operator_id, state: r.state, n: Number(r.n) }));
  }
}
