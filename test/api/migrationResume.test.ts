/**
 * Key migrations survive crashes and restarts, on SQLite and PostgreSQL: the service is stopped
 * at the worst moments (a crash is a plain exception right around a Keymanager call, so nothing
 * after it is recorded), a new instance starts on the same database, and the migration finishes
 * from where it stopped: the removal is made again if its answer was lost, the epochs already
 * confirmed offline are kept, and an import already sent is never sent again.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { TestApp } from "../helpers/app.js";
import { startMigrationWorld, type MigrationWorld } from "../helpers/migrationWorld.js";
import { ENGINES } from "../helpers/stores.js";

let w: MigrationWorld;
afterEach(async () => {
  await w?.close();
});

const crash = (): never => {
  throw new Error("simulated crash");
};

async function assignments(world: MigrationWorld): Promise<string[]> {
  const rows = await world.t.app.store.db.selectFrom("key_assignments").select(["validator_client_id", "state"]).orderBy("created_at").execute();
  return rows.map((r) => `${r.validator_client_id === world.sourceId ? "source" : "destination"}:${r.state}`);
}

describe.each(ENGINES)("resuming key migrations on %s", (engine) => {
  it("a crash right after the source answered the deletion: the new instance deletes again, keeps the protection, finishes", async () => {
    w = await startMigrationWorld({ engine });
    const e = w.startEpoch;
    w.sim.model.setOffline([10], { fromEpoch: e + 1 });
    const { body } = await w.migrate(w.pubkeys);
    w.hooks.afterDelete = crash;
    await expect(w.tick()).rejects.toThrow("simulated crash");
    w.hooks.afterDelete = undefined;
    expect(w.source.keys.size).toBe(0);
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "removing" });
    // The source's answer (and its protection) were lost with the process.
    expect(await w.t.app.store.db.selectFrom("slashing_protection").selectAll().execute()).toEqual([]);

    await w.restart();
    // Right away, "removing" may be another instance's call in flight: nothing is sent again…
    await w.tick();
    expect(w.calls.deletes).toBe(1);
    // …until such a call would have ended (the Keymanager write timeout).
    w.clock.advance(5 * 60_000 + 1);
    await w.tick();
    expect(w.calls.deletes).toBe(2);
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "waiting_offline", removedEpoch: e });
    expect(await w.t.app.store.db.selectFrom("slashing_protection").select("pubkey").execute()).toEqual([{ pubkey: w.pubkeys[0] }]);
    w.at(e + 3, 8);
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "done" });
    expect(JSON.parse(w.destination.receivedProtection[0] as string)).toMatchObject({ data: [{ signed_attestations: [{ source_epoch: "10", target_epoch: "11" }] }] });
  });

  it("stopped while waiting: the epochs confirmed offline are kept, and nothing is imported early", async () => {
    w = await startMigrationWorld({ engine });
    const e = w.startEpoch;
    w.sim.model.setOffline([10], { fromEpoch: e + 1 });
    const { body } = await w.migrate(w.pubkeys);
    await w.tick();
    w.at(e + 2, 8);
    await w.tick();
    await w.restart();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "waiting_offline", offlineEpochs: [e + 1] });
    w.at(e + 2, 31);
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "waiting_offline", offlineEpochs: [e + 1] });
    expect(w.destination.keys.size).toBe(0);
    w.at(e + 3, 8);
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "done", offlineEpochs: [e + 1, e + 2], importAttempts: 1 });
    expect(w.calls.imports).toBe(1);
  });

  it("a crash right after the import was sent: the new instance finds the key in the destination and sends nothing again", async () => {
    w = await startMigrationWorld({ engine });
    const e = w.startEpoch;
    w.sim.model.setOffline([10], { fromEpoch: e + 1 });
    const { body } = await w.migrate(w.pubkeys);
    await w.tick();
    w.at(e + 3, 8);
    w.hooks.afterImport = crash;
    await expect(w.tick()).rejects.toThrow("simulated crash");
    w.hooks.afterImport = undefined;
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "importing", importAttempts: 1 });
    expect(await assignments(w)).toEqual(["source:removed", "destination:importing"]);

    await w.restart();
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "done", importAttempts: 1 });
    expect(await assignments(w)).toEqual(["source:removed", "destination:active"]);
    expect(w.calls.imports).toBe(1);
    expect(w.destination.receivedProtection).toHaveLength(1);
    expect([w.source.keys.size, w.destination.keys.size]).toEqual([0, 1]);
  });

  it("a crash before the import left: sent again only once no earlier request can still be under way", async () => {
    w = await startMigrationWorld({ engine });
    const e = w.startEpoch;
    w.sim.model.setOffline([10], { fromEpoch: e + 1 });
    const { body } = await w.migrate(w.pubkeys);
    await w.tick();
    w.at(e + 3, 8);
    w.hooks.beforeImport = crash;
    await expect(w.tick()).rejects.toThrow("simulated crash");
    w.hooks.beforeImport = undefined;

    await w.restart();
    // The destination does not list the key, but a request sent just before the crash could still land.
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "importing", importAttempts: 1 });
    expect(w.calls.imports).toBe(0);
    w.clock.advance(5 * 60_000 + 1);
    await w.tick();
    expect((await w.view(body.id)).keys[0]).toMatchObject({ state: "done", importAttempts: 2 });
    expect(w.calls.imports).toBe(1);
    expect(await assignments(w)).toEqual(["source:removed", "destination:removed", "destination:active"]);
  });

  if (engine === "postgres") {
    it("two instances driving the same migrations at once: one deletion, one import", async () => {
      w = await startMigrationWorld({ engine, keys: 2 });
      const e = w.startEpoch;
      w.sim.model.setOffline([10, 11], { fromEpoch: e + 1 });
      const other: TestApp = await w.another();
      const { body } = await w.migrate(w.pubkeys);
      const both = async (): Promise<void> => {
        await Promise.all([w.tick(), other.app.migrationDriver?.tick()]);
      };
      await both();
      for (const [epoch, slot] of [[e + 1, 20], [e + 2, 8], [e + 2, 20], [e + 3, 8], [e + 3, 20]] as const) {
        w.at(epoch, slot);
        await both();
      }
      expect((await w.view(body.id)).keys.map((k) => [k.state, k.importAttempts])).toEqual([["done", 1], ["done", 1]]);
      expect(w.calls).toEqual({ imports: 1, deletes: 1 });
      expect([w.source.keys.size, w.destination.keys.size]).toEqual([0, 2]);
    });
  }
});
