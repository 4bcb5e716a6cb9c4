/** The storage layer on both engines: migrations, constraints that guard against double work, leases. */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/database.js";
import { isUniqueViolation } from "../../src/store/constraint.js";
import { JobsRepository } from "../../src/store/jobs.js";
import { KeyAssignmentsRepository } from "../../src/store/keyAssignments.js";
import { LeasesRepository } from "../../src/store/leases.js";
import { OperatorsRepository } from "../../src/store/operators.js";
import { ValidatorKeysRepository, type ValidatorKeyRow } from "../../src/store/validatorKeys.js";
import { ValidatorClientsRepository } from "../../src/store/validatorClients.js";
import { InventoryFindingsRepository } from "../../src/store/inventoryFindings.js";
import { RiskSignalsRepository } from "../../src/store/riskSignals.js";
import { ENGINES, createTestDatabase, openTestStore, type Engine } from "../helpers/stores.js";

const T0 = "2026-11-21T10:00:00.000Z";
const disposers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(disposers.splice(0).map((d) => d()));
});

async function store(engine: Engine): Promise<Store> {
  const opened = await openTestStore(engine);
  disposers.push(opened.dispose);
  return opened.store;
}

async function seedOperator(s: Store, name = "op-a"): Promise<string> {
  const id = randomUUID();
  await new OperatorsRepository(s.db).insert({
    id, name, reward_address: null, active: 1, key_limit: null, token_hash: randomUUID(), created_at: T0, updated_at: T0,
  });
  return id;
}

function keyRow(pubkey: string, operatorId: string): ValidatorKeyRow {
  return {
    pubkey, operator_id: operatorId, source: "deposit-data", derivation_path: null, withdrawal_credentials: "0x01",
    amount_gwei: 2_048_000_000_000, deposit_signature: null, deposit_message_root: null, deposit_data_root: null,
    state: "registered", validator_index: null, in_custody: 0, created_at: T0, updated_at: T0,
  };
}

describe.each(ENGINES)("store on %s", (engine) => {
  // Several instances are a PostgreSQL feature; SQLite refuses a second process instead (next test).
  if (engine === "postgres") it("two instances starting together migrate once and share the data", async () => {
    const database = await createTestDatabase(engine);
    disposers.push(database.dispose);
    const [a, b] = await Promise.all([openStore(database.config), openStore(database.config)]);
    try {
      expect(await a.ping()).toBe(true);
      await seedOperator(a);
      expect(await new OperatorsRepository(b.db).list()).toHaveLength(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  if (engine === "postgres") it("survives the server dropping its idle connections (a restart, a failover)", async () => {
    const database = await createTestDatabase(engine);
    disposers.push(database.dispose);
    const s = await openStore(database.config);
    try {
      await seedOperator(s);
      const admin = new pg.Client({ connectionString: process.env["STAKEOPS_TEST_POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres" });
      await admin.connect();
      const name = new URL(database.config.kind === "postgres" ? database.config.url : "").pathname.slice(1);
      const { rowCount } = await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1", [name]);
      await admin.end();
      expect(rowCount).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await new OperatorsRepository(s.db).list()).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  if (engine === "sqlite") it("refuses a second process on the same SQLite file, and reopens after the first closes", async () => {
    const database = await createTestDatabase(engine);
    disposers.push(database.dispose);
    const first = await openStore(database.config);
    await seedOperator(first);
    await expect(openStore(database.config)).rejects.toMatchObject({ code: "STORE_UNAVAILABLE", message: expect.stringMatching(/one stakeops instance per SQLite database/) });
    await first.close();
    const again = await openStore(database.config);
    expect(await new OperatorsRepository(again.db).list()).toHaveLength(1);
    await again.close();
  });

  it("keeps operator names and pubkeys unique, and big numbers exact", async () => {
    const s = await store(engine);
    const op = await seedOperator(s);
    await expect(seedOperator(s)).rejects.toSatisfy(isUniqueViolation);
    const keys = new ValidatorKeysRepository(s.db);
    await keys.insertMany([keyRow("0xaa", op)]);
    await expect(keys.insertMany([keyRow("0xaa", op)])).rejects.toSatisfy(isUniqueViolation);
    expect((await keys.get("0xaa"))?.amount_gwei).toBe(2_048_000_000_000);
    expect(await new OperatorsRepository(s.db).countKeys(op)).toBe(1);
  });

  it("lets a key be live in one validator client only, and again after it was removed", async () => {
    const s = await store(engine);
    const op = await seedOperator(s);
    await new ValidatorKeysRepository(s.db).insertMany([keyRow("0xbb", op)]);
    const clients = new ValidatorClientsRepository(s.db);
    for (const id of ["vc1", "vc2"]) {
      await clients.insert({ id, operator_id: op, url: `http://127.0.0.1/${id}`, token_encrypted: "x", created_at: T0, last_polled_at: null, last_error: null });
    }
    const assignments = new KeyAssignmentsRepository(s.db);
    const first = { id: randomUUID(), pubkey: "0xbb", validator_client_id: "vc1", state: "active" as const, created_at: T0, updated_at: T0 };
    await assignments.insert(first);
    await expect(
      assignments.insert({ ...first, id: randomUUID(), validator_client_id: "vc2", state: "importing" }),
    ).rejects.toSatisfy(isUniqueViolation);
    await assignments.setState(first.id, "removed", T0);
    await assignments.insert({ ...first, id: randomUUID(), validator_client_id: "vc2", state: "importing" });
    expect((await assignments.liveFor(["0xbb"])).map((a) => a.validator_client_id)).toEqual(["vc2"]);
  });

  it("hands a queued job to exactly one of two concurrent claimers", async () => {
    const s = await store(engine);
    const op = await seedOperator(s);
    const jobs = new JobsRepository(s.db);
    await jobs.insert({
      id: "job-1", operator_id: op, kind: "keygen", state: "queued", params: "{}", progress_done: 0, progress_total: 3,
      result: null, error_code: null, error_message: null, owner: null, created_at: T0, started_at: null, finished_at: null, heartbeat_at: null,
    });
    const claims = await Promise.all([jobs.claim("job-1", "instance-a", T0), jobs.claim("job-1", "instance-b", T0)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await jobs.failAbandoned("2026-11-21T10:05:00.000Z", "2026-11-21T10:06:00.000Z")).toBe(1);
    expect(await jobs.get("job-1")).toMatchObject({ state: "failed", error_code: "JOB_ABANDONED" });
  });

  it("grants a lease to one owner until it expires", async () => {
    const s = await store(engine);
    const leases = new LeasesRepository(s.db);
    const until = "2026-11-21T10:01:00.000Z";
    expect(await leases.tryAcquire("inventory", "a", T0, until)).toBe(true);
    expect(await leases.tryAcquire("inventory", "b", T0, until)).toBe(false);
    expect(await leases.tryAcquire("inventory", "a", T0, until)).toBe(true); // renewal
    expect(await leases.tryAcquire("inventory", "b", "2026-11-21T10:02:00.000Z", "2026-11-21T10:03:00.000Z")).toBe(true);
  });

  it("opens, refreshes, resolves and reopens risk signals; inventory findings are a view of them", async () => {
    const s = await store(engine);
    const signals = new RiskSignalsRepository(s.db);
    const findings = new InventoryFindingsRepository(s.db);
    const finding = { kind: "KEY_NOT_IN_REGISTRY" as const, pubkey: "0xcc", operatorId: null, validatorClientId: "vc1", context: "vc1", details: {} };
    await signals.observe([finding], T0);
    await signals.observe([finding], "2026-11-21T10:01:00.000Z");
    expect(await findings.listOpen()).toMatchObject([{ id: "KEY_NOT_IN_REGISTRY|0xcc|vc1", severity: "warning", first_seen: T0, last_seen: "2026-11-21T10:01:00.000Z" }]);
    await signals.resolveUnseen({ kinds: ["KEY_NOT_IN_REGISTRY"] }, new Set(), "2026-11-21T10:02:00.000Z");
    expect(await findings.listOpen()).toEqual([]);
    await signals.observe([finding], "2026-11-21T10:03:00.000Z");
    expect(await findings.listOpen()).toMatchObject([{ first_seen: "2026-11-21T10:03:00.000Z" }]);
  });
});
