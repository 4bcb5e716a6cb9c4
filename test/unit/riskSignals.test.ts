/**
 * Risk signals in the database, on both engines: one row per fact through batched upserts,
 * resolution scoped to what a check looked at, SLASHED_ON_CHAIN never resolved, what an operator
 * may see, what blocks an import, and the migration that turned inventory findings into signals.
 */
import { randomUUID } from "node:crypto";
import SqliteDatabase from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { RiskError } from "../../src/risk/errors.js";
import { RiskService } from "../../src/risk/riskService.js";
import { signalId, type RiskObservation } from "../../src/risk/signals.js";
import { openStore, type Store } from "../../src/store/database.js";
import { migrationProvider } from "../../src/store/migrations.js";
import { OperatorsRepository } from "../../src/store/operators.js";
import { RiskSignalsRepository } from "../../src/store/riskSignals.js";
import { ValidatorClientsRepository } from "../../src/store/validatorClients.js";
import { ENGINES, createTestDatabase, openTestStore, type Engine } from "../helpers/stores.js";

const T0 = "2026-11-21T10:00:00.000Z";
const T1 = "2026-11-21T10:01:00.000Z";
const T2 = "2026-11-21T10:02:00.000Z";
const pk = (n: number): string => `0x${n.toString(16).padStart(96, "0")}`;

const disposers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(disposers.splice(0).map((d) => d()));
});

async function store(engine: Engine): Promise<Store> {
  const opened = await openTestStore(engine);
  disposers.push(opened.dispose);
  return opened.store;
}

async function seedOperatorWithClient(s: Store, name: string): Promise<{ operatorId: string; clientId: string }> {
  const operatorId = randomUUID();
  const clientId = randomUUID();
  await new OperatorsRepository(s.db).insert({ id: operatorId, name, reward_address: null, active: 1, key_limit: null, token_hash: randomUUID(), created_at: T0, updated_at: T0 });
  await new ValidatorClientsRepository(s.db).insert({ id: clientId, operator_id: operatorId, url: `http://127.0.0.1/${name}`, token_encrypted: "x", created_at: T0, last_polled_at: null, last_error: null });
  return { operatorId, clientId };
}

describe.each(ENGINES)("risk signals on %s", (engine) => {
  it("writes thousands of facts in a few statements, one row per fact, and refreshes them", async () => {
    const s = await store(engine);
    const signals = new RiskSignalsRepository(s.db);
    const many: RiskObservation[] = Array.from({ length: 2_500 }, (_, i) => ({ kind: "REGISTRY_KEY_IN_NO_CLIENT", pubkey: pk(i), operatorId: null, details: { i } }));
    const statements: string[] = [];
    const logged = s.db.withPlugin({ transformQuery: (args) => (statements.push(args.node.kind), args.node), transformResult: async (args) => args.result });
    // The same fact twice in one batch is one row (PostgreSQL would refuse to update a row twice in one statement).
    await new RiskSignalsRepository(logged).observe([...many, many[0] as RiskObservation], T0);
    expect(statements).toHaveLength(3);
    await signals.observe(many.slice(0, 10).map((o) => ({ ...o, details: { again: true } })), T1);
    const open = await signals.list({ limit: 100_000 });
    expect(open).toHaveLength(2_500);
    expect(open.find((r) => r.pubkey === pk(3))).toMatchObject({ id: signalId("REGISTRY_KEY_IN_NO_CLIENT", pk(3)), severity: "warning", first_seen: T0, last_seen: T1, details: '{"again":true}' });
    expect(open.find((r) => r.pubkey === pk(30))).toMatchObject({ first_seen: T0, last_seen: T0 });
  });

  it("resolves only what the check looked at and did not see, reopens what comes back, never resolves a slashing", async () => {
    const s = await store(engine);
    const signals = new RiskSignalsRepository(s.db);
    const facts: RiskObservation[] = [
      { kind: "KEY_NOT_IN_REGISTRY", pubkey: pk(1), operatorId: null, validatorClientId: "vc1", context: "vc1", details: {} },
      { kind: "KEY_NOT_IN_REGISTRY", pubkey: pk(1), operatorId: null, validatorClientId: "vc2", context: "vc2", details: {} },
      { kind: "DOUBLE_VOTE", pubkey: pk(2), operatorId: null, epoch: 10, context: "10", details: {} },
      { kind: "DOUBLE_VOTE", pubkey: pk(2), operatorId: null, epoch: 11, context: "11", details: {} },
      { kind: "SLASHED_ON_CHAIN", pubkey: pk(3), operatorId: null, details: {} },
    ];
    await signals.observe(facts, T0);
    const open = async (): Promise<string[]> => (await signals.list()).map((r) => r.id).sort();

    // A poll of client vc1 that saw nothing: vc2's fact about the same key stays.
    expect(await signals.resolveUnseen({ kinds: ["KEY_NOT_IN_REGISTRY"], validatorClientIds: ["vc1"] }, new Set(), T1)).toBe(1);
    // Epoch 11 processed again without its double vote: epoch 10's stays.
    expect(await signals.resolveUnseen({ kinds: ["DOUBLE_VOTE"], epoch: 11 }, new Set(), T1)).toBe(1);
    // Asked to, the repository still never resolves a slashing.
    expect(await signals.resolveUnseen({ kinds: ["SLASHED_ON_CHAIN"] }, new Set(), T1)).toBe(0);
    expect(await open()).toEqual(["DOUBLE_VOTE|" + pk(2) + "|10", "KEY_NOT_IN_REGISTRY|" + pk(1) + "|vc2", "SLASHED_ON_CHAIN|" + pk(3) + "|"]);

    const resolved = await signals.list({ resolved: true });
    expect(resolved.map((r) => [r.id, r.resolved_at])).toEqual(
      expect.arrayContaining([
        [`KEY_NOT_IN_REGISTRY|${pk(1)}|vc1`, T1],
        [`DOUBLE_VOTE|${pk(2)}|11`, T1],
      ]),
    );
    await signals.observe([facts[0] as RiskObservation], T2);
    expect(await signals.list({ kinds: ["KEY_NOT_IN_REGISTRY"] })).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: `KEY_NOT_IN_REGISTRY|${pk(1)}|vc1`, first_seen: T2, resolved_at: null })]),
    );
    expect(await signals.list({ resolved: "any" })).toHaveLength(5);
  });

  it("filters by severity and kind, and shows an operator its own keys' signals and those about its clients", async () => {
    const s = await store(engine);
    const a = await seedOperatorWithClient(s, "op-a");
    const b = await seedOperatorWithClient(s, "op-b");
    const signals = new RiskSignalsRepository(s.db);
    await signals.observe(
      [
        { kind: "DOPPELGANGER", pubkey: pk(1), operatorId: a.operatorId, details: {} },
        // A's key found in B's client: both must see it.
        { kind: "PUBKEY_UNDER_TWO_OPERATORS", pubkey: pk(2), operatorId: a.operatorId, validatorClientId: b.clientId, context: b.clientId, details: {} },
        { kind: "CLIENT_UNREACHABLE", pubkey: null, operatorId: b.operatorId, validatorClientId: b.clientId, context: b.clientId, details: {} },
        { kind: "KEY_NOT_IN_REGISTRY", pubkey: pk(3), operatorId: null, details: {} },
      ],
      T0,
    );
    const kinds = (rows: { kind: string }[]): string[] => rows.map((r) => r.kind).sort();
    expect(kinds(await signals.list())).toEqual(["CLIENT_UNREACHABLE", "DOPPELGANGER", "KEY_NOT_IN_REGISTRY", "PUBKEY_UNDER_TWO_OPERATORS"]);
    expect(kinds(await signals.list({ severity: "critical" }))).toEqual(["DOPPELGANGER", "PUBKEY_UNDER_TWO_OPERATORS"]);
    expect(kinds(await signals.list({ kinds: ["CLIENT_UNREACHABLE", "DOPPELGANGER"] }))).toEqual(["CLIENT_UNREACHABLE", "DOPPELGANGER"]);
    expect(kinds(await signals.list({ visibleTo: a.operatorId }))).toEqual(["DOPPELGANGER", "PUBKEY_UNDER_TWO_OPERATORS"]);
    expect(kinds(await signals.list({ visibleTo: b.operatorId }))).toEqual(["CLIENT_UNREACHABLE", "PUBKEY_UNDER_TWO_OPERATORS"]);

    // Through the service, B does not learn whose key it holds.
    const service = new RiskService({ signals });
    const seenByB = await service.list({}, { kind: "operator", operatorId: b.operatorId });
    expect(seenByB.find((x) => x.kind === "PUBKEY_UNDER_TWO_OPERATORS")).toMatchObject({ operatorId: null, pubkey: pk(2) });
    expect(JSON.stringify(seenByB)).not.toContain(a.operatorId);
    expect(await service.openCounts()).toEqual(
      expect.arrayContaining([
        { operatorId: a.operatorId, kind: "DOPPELGANGER", severity: "critical", count: 1 },
        { operatorId: null, kind: "KEY_NOT_IN_REGISTRY", severity: "warning", count: 1 },
      ]),
    );
  });

  it("blocks keys with an open critical signal, and only those", async () => {
    const s = await store(engine);
    const signals = new RiskSignalsRepository(s.db);
    const service = new RiskService({ signals });
    await signals.observe(
      [
        { kind: "DOPPELGANGER", pubkey: pk(1), operatorId: null, details: {} },
        { kind: "SLASHED_ON_CHAIN", pubkey: pk(1), operatorId: null, details: {} },
        { kind: "REGISTRY_KEY_IN_NO_CLIENT", pubkey: pk(2), operatorId: null, details: {} },
        { kind: "DOUBLE_VOTE", pubkey: pk(3), operatorId: null, epoch: 5, context: "5", details: {} },
      ],
      T0,
    );
    await signals.resolveUnseen({ kinds: ["DOUBLE_VOTE"], epoch: 5 }, new Set(), T1);
    const blocking = await service.blockingSignals([pk(1), pk(2), pk(3), pk(4)]);
    expect([...blocking.keys()]).toEqual([pk(1)]);
    expect(blocking.get(pk(1))?.map((x) => x.kind).sort()).toEqual(["DOPPELGANGER", "SLASHED_ON_CHAIN"]);
    await expect(service.assertNotBlocked([pk(2), pk(3)])).resolves.toBeUndefined();
    const refused = await service.assertNotBlocked([pk(1), pk(2)]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RiskError);
    expect(refused).toMatchObject({ code: "KEY_AT_RISK", details: { keys: [{ pubkey: pk(1), signals: expect.arrayContaining([expect.objectContaining({ kind: "DOPPELGANGER" })]) }] } });
  });

  it("migration 0003 carries the inventory's findings over as signals, under the same ids", async () => {
    const database = await createTestDatabase(engine);
    disposers.push(database.dispose);
    const config = database.config;
    const raw =
      config.kind === "sqlite"
        ? new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SqliteDatabase(config.path) }) })
        : new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: config.url }) }) });
    try {
      const { error } = await new Migrator({ db: raw, provider: migrationProvider }).migrateTo("0002_monitor");
      expect(error).toBeUndefined();
      await sql`insert into inventory_findings (id, kind, severity, pubkey, validator_client_id, operator_id, details, first_seen, last_seen, resolved_at)
        values ('KEY_IN_MULTIPLE_CLIENTS|0xaa|', 'KEY_IN_MULTIPLE_CLIENTS', 'critical', '0xaa', null, null, '{"validatorClientIds":["x","y"]}', ${T0}, ${T1}, null),
               ('CLIENT_UNREACHABLE||vc9', 'CLIENT_UNREACHABLE', 'warning', null, 'vc9', null, '{}', ${T0}, ${T0}, ${T1})`.execute(raw);
    } finally {
      await raw.destroy();
    }
    const s = await openStore(config);
    try {
      const rows = await new RiskSignalsRepository(s.db).list({ resolved: "any" });
      expect(rows.map((r) => [r.id, r.kind, r.severity, r.resolved_at])).toEqual([
        ["KEY_IN_MULTIPLE_CLIENTS|0xaa|", "KEY_IN_MULTIPLE_CLIENTS", "critical", null],
        ["CLIENT_UNREACHABLE||vc9", "CLIENT_UNREACHABLE", "warning", T1],
      ]);
      const service = new RiskService({ signals: new RiskSignalsRepository(s.db) });
      expect((await service.blockingSignals(["0xaa"])).get("0xaa")?.[0]).toMatchObject({ kind: "KEY_IN_MULTIPLE_CLIENTS", details: { validatorClientIds: ["x", "y"] } });
    } finally {
      await s.close();
    }
  });
});
