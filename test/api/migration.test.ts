/**
 * Safe key migration through the API, over real HTTP: two simulated validator clients (Keymanager
 * API) and a simulated beacon node whose liveness follows the chain model. Each test moves the
 * chain's head by hand and advances the driver one tick at a time, checking where the key is
 * after every step: never in both clients, never imported before it was seen offline for two ended
 * epochs after its removal, and every abort leaves it in the source or in neither.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { KeyMigrationsRepository } from "../../src/store/keyMigrations.js";
import { SlashingProtectionRepository } from "../../src/store/slashingProtection.js";
import { createOperator, startTestApp } from "../helpers/app.js";
import { startMigrationWorld, type MigrationWorld } from "../helpers/migrationWorld.js";

let w: MigrationWorld;
afterEach(async () => {
  await w?.close();
});

/** Where each key is: s = source only, d = destination only, both, none. */
function whereAre(world: MigrationWorld): string[] {
  return world.pubkeys.map((k) => {
    const [s, d] = [world.source.keys.has(k), world.destination.keys.has(k)];
    return s && d ? "both" : s ? "s" : d ? "d" : "none";
  });
}

async function liveAssignments(world: MigrationWorld): Promise<[string, string][]> {
  const rows = await world.t.app.store.db.selectFrom("key_assignments").select(["validator_client_id", "state"]).where("state", "in", ["importing", "active", "removing"]).execute();
  return rows.map((r): [string, string] => [r.validator_client_id === world.sourceId ? "source" : "destination", r.state]);
}

describe("a migration that goes through", () => {
  it("removes, waits for two ended offline epochs after the removal, then imports with the merged protection", async () => {
    w = await startMigrationWorld({ keys: 2 });
    const e = w.startEpoch;
    const [k0] = w.pubkeys as [string, string];
    // History kept from an earlier client: it must travel along, merged with what the source returns.
    await new SlashingProtectionRepository(w.t.app.store.db).insertMany([
      {
        id: randomUUID(),
        pubkey: k0,
        validator_client_id: w.sourceId,
        interchange: JSON.stringify({
          metadata: { interchange_format_version: "5", genesis_validators_root: w.genesisValidatorsRoot },
          data: [{ pubkey: k0, signed_blocks: [{ slot: "81" }], signed_attestations: [{ source_epoch: "9", target_epoch: "10" }] }],
        }),
        created_at: "2026-01-01T00:00:00.000Z",
      },
    ]);
    w.at(e, 20);
    w.sim.model.setOffline([10, 11], { fromEpoch: e + 1 });

    const accepted = await w.migrate(w.pubkeys);
    expect(accepted.status).toBe(202);
    expect(accepted.body.results.map((r) => r.status)).toEqual(["accepted", "accepted"]);
    const id = accepted.body.id;
    expect((await w.view(id)).keys.map((k) => k.state)).toEqual(["requested", "requested"]);

    expect(await w.tick()).toMatchObject({ removed: 2, imported: 0 });
    expect(whereAre(w)).toEqual(["none", "none"]);
    let view = await w.view(id);
    expect(view.keys.map((k) => [k.state, k.removedEpoch])).toEqual([["waiting_offline", e], ["waiting_offline", e]]);

    // While it waits, nothing else may import it.
    const manual = await w.t.request("POST", `/api/v1/validator-clients/${w.destinationId}/keys`, { token: w.op.token, body: { pubkeys: [k0] } });
    expect(manual.json()).toMatchObject({ results: [{ status: "rejected", code: "KEY_MIGRATING" }] });
    // What a doppelganger detector reads: these keys must be silent on chain now.
    expect(await new KeyMigrationsRepository(w.t.app.store.db).keysExpectedOffline()).toEqual(
      w.pubkeys.map((pubkey, i) => ({ pubkey, validatorIndex: 10 + i, since: e, migrationId: id })).sort((a, b) => (a.pubkey < b.pubkey ? -1 : 1)),
    );

    // [head position, epochs confirmed offline after the tick]: the current epoch never counts, the
    // previous one only once a quarter epoch (8 slots) of the next has passed.
    const steps: [number, number, number[]][] = [
      [e + 1, 31, []],
      [e + 2, 4, []],
      [e + 2, 8, [e + 1]],
      [e + 2, 31, [e + 1]],
    ];
    for (const [epoch, slot, confirmed] of steps) {
      w.at(epoch, slot);
      await w.tick();
      view = await w.view(id);
      expect(view.keys.map((k) => [k.state, k.offlineEpochs]), `head at epoch ${epoch} slot ${slot}`).toEqual([
        ["waiting_offline", confirmed],
        ["waiting_offline", confirmed],
      ]);
      expect(whereAre(w)).toEqual(["none", "none"]);
    }

    w.at(e + 3, 8);
    expect(await w.tick()).toMatchObject({ confirmedOffline: 2, imported: 2 });
    expect(whereAre(w)).toEqual(["d", "d"]);
    view = await w.view(id);
    expect(view).toMatchObject({ finished: true, counts: { done: 2, aborted: 0 } });
    expect(view.keys.map((k) => k.offlineEpochs)).toEqual([[e + 1, e + 2], [e + 1, e + 2]]);
    expect(await liveAssignments(w)).toEqual([["destination", "active"], ["destination", "active"]]);

    // One import, carrying both keys' merged history: the earlier record and the source's, deduplicated.
    expect(w.calls.imports).toBe(1);
    expect(w.destination.receivedProtection).toHaveLength(1);
    const sent = JSON.parse(w.destination.receivedProtection[0] as string) as { data: { pubkey: string; signed_blocks: unknown[]; signed_attestations: unknown[] }[] };
    expect(sent.data.find((d) => d.pubkey === k0)).toEqual({
      pubkey: k0,
      signed_blocks: [{ slot: "81" }],
      signed_attestations: [
        { source_epoch: "9", target_epoch: "10" },
        { source_epoch: "10", target_epoch: "11", signing_root: `0x${"ab".repeat(32)}` },
      ],
    });
    expect(sent.data).toHaveLength(2);

    const metrics = (await w.t.request("GET", "/metrics", { token: null })).body;
    expect(metrics).toMatch(/stakeops_key_migrations_total\{outcome="done",reason="none"\} 2/);
    expect(metrics).toMatch(/stakeops_key_migrations_in_progress\{state="waiting_offline"\} 0/);
    expect((await w.t.request("GET", "/api/v1/migrations", { token: w.op.token })).json()).toMatchObject({ migrations: [{ id, finished: true }] });
  });

  it("a key the chain does not know (no validator yet) has nothing to be live with: it waits the epochs all the same", async () => {
    w = await startMigrationWorld({ indices: [null] });
    const e = w.startEpoch;
    const { body } = await w.migrate(w.pubkeys);
    await w.tick();
    w.at(e + 2, 8);
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "waiting_offline", validatorIndex: null, offlineEpochs: [e + 1] });
    w.at(e + 3, 8);
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "done" });
    expect(whereAre(w)).toEqual(["d"]);
  });

  it("an epoch the node no longer answers (Lodestar 1.5 serves only the last two) is not counted: another one is needed", async () => {
    w = await startMigrationWorld();
    const e = w.startEpoch;
    w.sim.model.setOffline([10], { fromEpoch: e + 1 });
    const { body } = await w.migrate(w.pubkeys);
    await w.tick();
    // The driver was away during all of epoch e+2; by e+3 the node refuses e+1.
    w.sim.faults.set({ failRate: 1, failStatus: 400, paths: [`/eth/v1/validator/liveness/${e + 1}`] });
    w.at(e + 3, 8);
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "waiting_offline", offlineEpochs: [e + 2] });
    w.at(e + 4, 8);
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "done", offlineEpochs: [e + 2, e + 3] });
  });
});

describe("aborts: the key is in the source or in neither, never in both", () => {
  it("the source says 'deleted' but keeps the key (Lodestar 1.5.1): aborted, key only in the source", async () => {
    w = await startMigrationWorld();
    w.source.fault = "keep-on-delete";
    const { body } = await w.migrate(w.pubkeys);
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "aborted", abort: { code: "STILL_HELD_BY_SOURCE", keyIn: "source" } });
    expect(whereAre(w)).toEqual(["s"]);
    expect(await liveAssignments(w)).toEqual([["source", "active"]]);
    w.at(w.startEpoch + 5, 8);
    await w.tick();
    expect(w.calls.imports).toBe(0);
  });

  it("the source is unreachable: nothing is sent, the key stays in the source", async () => {
    w = await startMigrationWorld();
    w.source.fault = "status-500";
    const { body } = await w.migrate(w.pubkeys);
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "aborted", abort: { code: "SOURCE_UNREACHABLE", keyIn: "source" } });
    expect(w.calls.deletes).toBe(0);
    expect(await liveAssignments(w)).toEqual([["source", "active"]]);
    w.source.fault = "none";
    expect(whereAre(w)).toEqual(["s"]);
  });

  it("the key is seen live after its removal (a doppelganger): aborted, imported nowhere", async () => {
    w = await startMigrationWorld();
    const e = w.startEpoch;
    // Validator 10 keeps attesting: some other machine still runs the key.
    const { body } = await w.migrate(w.pubkeys);
    await w.tick();
    w.at(e + 1, 31);
    await w.tick();
    const key = (await w.view(body.id)).keys[0];
    expect(key).toMatchObject({ state: "aborted", abort: { code: "STILL_LIVE", keyIn: "neither (but live somewhere)" } });
    expect(key?.abort?.message).toMatch(new RegExp(`validator 10 was live in epoch ${e + 1}`));
    expect(whereAre(w)).toEqual(["none"]);
    w.at(e + 4, 8);
    await w.tick();
    expect(w.calls.imports).toBe(0);
    expect(await liveAssignments(w)).toEqual([]);
    expect(w.t.logs()).toMatch(/"level":50.*STILL_LIVE/);
    expect((await w.t.request("GET", "/metrics", { token: null })).body).toMatch(/stakeops_key_migrations_total\{outcome="aborted",reason="STILL_LIVE"\} 1/);
  });

  it("the beacon node goes away while waiting: it keeps waiting, then aborts at the deadline with the key in neither client", async () => {
    w = await startMigrationWorld();
    const e = w.startEpoch;
    w.sim.model.setOffline([10], { fromEpoch: e + 1 });
    const { body } = await w.migrate(w.pubkeys);
    await w.tick();
    w.sim.faults.set({ failRate: 1, failStatus: 503 });
    w.at(e + 3, 8);
    w.clock.advance(30 * 60_000);
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "waiting_offline", offlineEpochs: [] });
    // 10 epochs of 384 s after the removal.
    w.clock.advance(40 * 60_000);
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "aborted", abort: { code: "OFFLINE_NOT_CONFIRMED", keyIn: "neither" } });
    expect(whereAre(w)).toEqual(["none"]);
    expect(w.calls.imports).toBe(0);
  });

  it("liveness never answered: the chain's own timeout aborts, even with the clock standing still", async () => {
    w = await startMigrationWorld();
    const e = w.startEpoch;
    const { body } = await w.migrate(w.pubkeys);
    await w.tick();
    w.sim.model.setOffline([10], { fromEpoch: e + 1 });
    w.sim.faults.set({ failRate: 1, failStatus: 503, paths: ["/eth/v1/validator/liveness"] });
    w.at(e + 11, 8);
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "aborted", abort: { code: "OFFLINE_NOT_CONFIRMED" } });
    expect(whereAre(w)).toEqual(["none"]);
  });

  it("the beacon node is away before anything is removed: the key is left in the source, aborted at the deadline", async () => {
    w = await startMigrationWorld();
    const { body } = await w.migrate(w.pubkeys);
    w.sim.faults.set({ failRate: 1, failStatus: 503 });
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "requested" });
    w.clock.advance(2 * 3_600_000);
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "aborted", abort: { code: "BEACON_UNAVAILABLE", keyIn: "source" } });
    expect(w.calls.deletes).toBe(0);
    expect(whereAre(w)).toEqual(["s"]);
  });

  it("the destination refuses the key: aborted, key in neither client, its protection kept for the next attempt", async () => {
    w = await startMigrationWorld();
    const e = w.startEpoch;
    w.sim.model.setOffline([10], { fromEpoch: e + 1 });
    const { body } = await w.migrate(w.pubkeys);
    await w.tick();
    // The destination answers the import with status "error" for the key.
    const original = w.destination.keys.add.bind(w.destination.keys);
    w.destination.keys.add = () => {
      throw new Error("refused");
    };
    w.at(e + 3, 8);
    await w.tick();
    w.destination.keys.add = original;
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "aborted", importAttempts: 1, abort: { code: "DESTINATION_REFUSED", keyIn: "neither" } });
    expect(whereAre(w)).toEqual(["none"]);
    expect(await liveAssignments(w)).toEqual([]);
    // Nothing is lost: a plain import now carries the kept protection.
    const again = await w.t.request("POST", `/api/v1/validator-clients/${w.destinationId}/keys`, { token: w.op.token, body: { pubkeys: w.pubkeys } });
    expect(again.json()).toMatchObject({ results: [{ status: "imported" }] });
    expect(JSON.parse(w.destination.receivedProtection.at(-1) as string)).toMatchObject({ data: [{ signed_attestations: [{ target_epoch: "11" }] }] });
  });
});

describe("slashing protection that cannot be trusted", () => {
  it.each([
    // [case, a record kept for the key from an earlier client]
    ["a record for another chain", JSON.stringify({ metadata: { interchange_format_version: "5", genesis_validators_root: `0x${"12".repeat(32)}` }, data: [] })],
    ["a record a client returned that is not EIP-3076 (kept verbatim)", "<html>not json</html>"],
  ])("%s: aborted before the import, the key in neither client", async (_case, interchange) => {
    w = await startMigrationWorld();
    const e = w.startEpoch;
    const [key] = w.pubkeys as [string];
    await new SlashingProtectionRepository(w.t.app.store.db).insertMany([{ id: randomUUID(), pubkey: key, validator_client_id: w.sourceId, interchange, created_at: "2026-01-01T00:00:00.000Z" }]);
    w.sim.model.setOffline([10], { fromEpoch: e + 1 });
    const { body } = await w.migrate(w.pubkeys);
    await w.tick();
    w.at(e + 3, 8);
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "aborted", importAttempts: 0, abort: { code: "PROTECTION_UNREADABLE", keyIn: "neither" } });
    expect(w.calls.imports).toBe(0);
    expect(whereAre(w)).toEqual(["none"]);
  });
});

describe("a destination that fails the import call", () => {
  it.each([
    // [case, fault, state of the destination's claim right after the failed call]
    ["drops the connection (the client is asked afterwards: not imported)", "down-once", []],
    ["answers 500 and cannot be asked (outcome unknown: the claim stays)", "status-500", [["destination", "importing"]]],
  ] as const)("%s: retried only after the settle window, the key in no other client meanwhile", async (_case, fault, claims) => {
    w = await startMigrationWorld();
    const e = w.startEpoch;
    w.sim.model.setOffline([10], { fromEpoch: e + 1 });
    const { body } = await w.migrate(w.pubkeys);
    await w.tick();
    w.destination.fault = fault;
    w.at(e + 3, 8);
    await w.tick();
    w.destination.fault = "none";
    expect(await liveAssignments(w)).toEqual(claims);
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "importing", importAttempts: 1 });
    // Not yet: a slow client could still be working on the first request.
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "importing", importAttempts: 1 });
    const other = await w.t.request("POST", `/api/v1/validator-clients/${w.sourceId}/keys`, { token: w.op.token, body: { pubkeys: w.pubkeys } });
    expect(other.json()).toMatchObject({ results: [{ status: "rejected", code: "KEY_MIGRATING" }] });
    w.clock.advance(5 * 60_000 + 1);
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "done", importAttempts: 2 });
    expect(whereAre(w)).toEqual(["d"]);
  });
});

describe("requests", () => {
  it("checks every key and both clients; another operator gets 404", async () => {
    w = await startMigrationWorld({ keys: 2 });
    const [k0, k1] = w.pubkeys as [string, string];
    await w.t.request("DELETE", `/api/v1/validator-clients/${w.sourceId}/keys`, { token: w.op.token, body: { pubkeys: [k1] } });
    const response = await w.migrate([k0, "0x1234", k0, k1]);
    expect(response.status).toBe(202);
    expect(response.body.results.map((r) => [r.status, r.code ?? null])).toEqual([
      ["accepted", null],
      ["rejected", "PUBKEY_INVALID"],
      ["rejected", "DUPLICATE_IN_BATCH"],
      ["rejected", "KEY_NOT_IN_SOURCE"],
    ]);
    expect((await w.migrate([k0])).body).toMatchObject({ code: "MIGRATION_NO_KEYS", details: { results: [{ code: "KEY_MIGRATING" }] } });
    expect((await w.migrate([k0], { to: w.sourceId })).body).toMatchObject({ code: "MIGRATION_SAME_CLIENT" });

    const other = await createOperator(w.t, "other");
    const foreign = await w.t.request("GET", `/api/v1/migrations/${response.body.id}`, { token: other.token });
    expect(foreign.statusCode).toBe(404);
    expect((await w.migrate([k0], { token: other.token })).status).toBe(404);
    expect((await w.t.request("GET", "/api/v1/migrations", { token: other.token })).json()).toEqual({ migrations: [] });
    // The destination must be the caller's too: another operator's client looks missing.
    const otherId = randomUUID();
    await w.t.app.store.db
      .insertInto("validator_clients")
      .values({ id: otherId, operator_id: other.id, url: "http://127.0.0.1:1", token_encrypted: "x", created_at: "2026-01-01T00:00:00.000Z", last_polled_at: null, last_error: null })
      .execute();
    expect((await w.migrate([k1], { to: otherId })).body).toMatchObject({ code: "VALIDATOR_CLIENT_NOT_FOUND" });
    expect((await w.migrate([k1], { to: otherId, token: "admin-token-for-tests-0123456789" })).body).toMatchObject({ code: "MIGRATION_OPERATOR_MISMATCH" });
  });

  it("needs a beacon node, and one that answers", async () => {
    const t = await startTestApp();
    try {
      const op = await createOperator(t, "acme");
      const ids: string[] = [];
      for (const url of ["http://127.0.0.1:1/a", "http://127.0.0.1:1/b"]) {
        await t.app.store.db.insertInto("validator_clients").values({ id: randomUUID(), operator_id: op.id, url, token_encrypted: "x", created_at: "2026-01-01T00:00:00.000Z", last_polled_at: null, last_error: null }).execute();
      }
      for (const row of await t.app.store.db.selectFrom("validator_clients").select("id").execute()) ids.push(row.id);
      const response = await t.request("POST", `/api/v1/validator-clients/${ids[0]}/migrate`, { token: op.token, body: { to: ids[1], pubkeys: [`0x${"aa".repeat(48)}`] } });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ code: "BEACON_NODE_REQUIRED" });
      expect(t.app.migrationDriver).toBeNull();
    } finally {
      await t.close();
    }
    w = await startMigrationWorld();
    w.sim.faults.set({ failRate: 1, failStatus: 503 });
    const refused = await w.migrate(w.pubkeys);
    expect(refused).toMatchObject({ status: 503, body: { code: "BEACON_UNAVAILABLE" } });
    expect((await w.t.request("GET", "/api/v1/migrations", { token: w.op.token })).json()).toEqual({ migrations: [] });
  });
});
