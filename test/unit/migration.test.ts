/**
 * The pieces of key migration on their own: the rule that says when a removed key is offline
 * long enough, the strict merge of kept slashing protection, the repository on both engines
 * (one open migration per key, compare-and-set steps, the keys expected offline), and the settings.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/loadConfig.js";
import { ConfigError } from "../../src/config/errors.js";
import type { ChainPosition } from "../../src/migration/chainPosition.js";
import { epochsToAsk, judge, settleSlots } from "../../src/migration/offlineWatch.js";
import { mergeKeptProtection, protectionForImport } from "../../src/migration/protection.js";
import { isUniqueViolation } from "../../src/store/constraint.js";
import { KeyMigrationsRepository } from "../../src/store/keyMigrations.js";
import type { KeyMigrationKeyRow } from "../../src/store/keyMigrations.js";
import { OperatorsRepository } from "../../src/store/operators.js";
import { ValidatorClientsRepository } from "../../src/store/validatorClients.js";
import { ValidatorKeysRepository } from "../../src/store/validatorKeys.js";
import type { Store } from "../../src/store/database.js";
import { ENGINES, openTestStore } from "../helpers/stores.js";

const SPE = 32;
const at = (epoch: number, slot: number): ChainPosition => ({ slot: epoch * SPE + slot, epoch, slotsPerEpoch: SPE, secondsPerSlot: 12, genesisValidatorsRoot: `0x${"00".repeat(32)}` });
const RULE = { offlineEpochs: 2, timeoutEpochs: 10 };

describe("when a removed key counts as offline", () => {
  it("settles an epoch a quarter epoch into the next (8 slots on mainnet, 2 on the minimal preset)", () => {
    expect([settleSlots(32), settleSlots(8)]).toEqual([8, 2]);
  });

  it.each([
    // [case, removal epoch, already confirmed, head, liveness answers (epoch → live), verdict, confirmed after]
    ["the removal epoch itself never counts, live or not", 100, [], at(101, 8), [[100, true], [101, false]], "waiting", []],
    ["the current epoch is never confirmed (its duties may still come)", 100, [], at(101, 31), [[101, false]], "waiting", []],
    ["the previous epoch too early in the next: not yet", 100, [], at(102, 7), [[101, false]], "waiting", []],
    ["the previous epoch a quarter into the next: confirmed", 100, [], at(102, 8), [[101, false]], "waiting", [101]],
    ["two confirmed epochs: offline", 100, [101], at(103, 8), [[102, false], [103, false]], "offline", [101, 102]],
    ["older epochs answered late still count (gaps allowed)", 100, [], at(106, 0), [[102, false], [104, false]], "offline", [102, 104]],
    ["live in the current epoch after the removal: live", 100, [101], at(102, 3), [[102, true]], "live", [101]],
    ["live in an ended epoch: live, whatever is confirmed", 100, [101, 102], at(104, 8), [[103, true]], "live", [101, 102]],
    ["unanswered epochs are neither", 100, [101], at(103, 8), [], "waiting", [101]],
    ["more than the timeout after the removal: timeout", 100, [101], at(111, 0), [], "timeout", [101]],
    ["exactly the timeout: still waiting", 100, [101], at(110, 0), [], "waiting", [101]],
  ] as const)("%s", (_case, removedEpoch, confirmed, position, answers, kind, after) => {
    const verdict = judge({ removedEpoch, confirmed }, position, new Map(answers), RULE);
    expect(verdict.kind).toBe(kind);
    expect(verdict.confirmed).toEqual(after);
  });

  it("asks only epochs after the removal, not yet confirmed, at most the timeout back", () => {
    expect(epochsToAsk({ removedEpoch: 100, confirmed: [101] }, at(103, 0), RULE)).toEqual([102, 103]);
    expect(epochsToAsk({ removedEpoch: 100, confirmed: [] }, at(100, 5), RULE)).toEqual([]);
    expect(epochsToAsk({ removedEpoch: 100, confirmed: [] }, at(130, 5), RULE)).toEqual([120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130]);
  });
});

describe("the protection a migrated key takes along", () => {
  const ROOT = `0x${"11".repeat(32)}`;
  const KEY = `0x${"a1".repeat(48)}`;
  const OTHER = `0x${"b2".repeat(48)}`;
  const interchange = (root: string, data: unknown[]): { interchange: string } => ({
    interchange: JSON.stringify({ metadata: { interchange_format_version: "5", genesis_validators_root: root }, data }),
  });

  it("merges every kept record of the key, drops duplicates and other keys' records", () => {
    const merged = mergeKeptProtection(KEY, [
      interchange(ROOT, [{ pubkey: KEY, signed_blocks: [{ slot: "90" }], signed_attestations: [{ source_epoch: "2", target_epoch: "3" }] }]),
      interchange(ROOT, [
        { pubkey: KEY, signed_blocks: [{ slot: "90" }, { slot: "120" }], signed_attestations: [{ source_epoch: "3", target_epoch: "4" }] },
        { pubkey: OTHER, signed_blocks: [{ slot: "7" }], signed_attestations: [] },
      ]),
    ]);
    expect(merged).toEqual({
      genesisValidatorsRoot: ROOT,
      data: [
        {
          pubkey: KEY,
          signedBlocks: [{ slot: 90n }, { slot: 120n }],
          signedAttestations: [
            { sourceEpoch: 2n, targetEpoch: 3n },
            { sourceEpoch: 3n, targetEpoch: 4n },
          ],
        },
      ],
    });
  });

  it("a key that signed nothing still travels with an empty record; nothing kept is null", () => {
    expect(mergeKeptProtection(KEY, [interchange(ROOT, [])])).toEqual({ genesisValidatorsRoot: ROOT, data: [{ pubkey: KEY, signedBlocks: [], signedAttestations: [] }] });
    expect(mergeKeptProtection(KEY, [])).toBeNull();
  });

  it.each([
    // [case, kept records, error code]
    ["a record that is not EIP-3076", [{ interchange: "{}" }], "INTERCHANGE_MALFORMED"],
    ["a record kept verbatim because it was not JSON", [{ interchange: "<html>" }], "INTERCHANGE_NOT_JSON"],
    ["records of two chains", [interchange(ROOT, []), interchange(`0x${"22".repeat(32)}`, [])], "INTERCHANGE_CHAIN_MISMATCH"],
  ])("refuses %s", (_case, kept, code) => {
    expect(() => mergeKeptProtection(KEY, kept)).toThrow(expect.objectContaining({ code }));
  });

  it("one interchange for an import of several keys", () => {
    const a = JSON.stringify({ metadata: { interchange_format_version: "5", genesis_validators_root: ROOT }, data: [{ pubkey: KEY, signed_blocks: [], signed_attestations: [] }] });
    const b = JSON.stringify({ metadata: { interchange_format_version: "5", genesis_validators_root: ROOT }, data: [{ pubkey: OTHER, signed_blocks: [{ slot: "5" }], signed_attestations: [] }] });
    expect(JSON.parse(protectionForImport([a, b]) as string)).toEqual({
      metadata: { interchange_format_version: "5", genesis_validators_root: ROOT },
      data: [
        { pubkey: KEY, signed_blocks: [], signed_attestations: [] },
        { pubkey: OTHER, signed_blocks: [{ slot: "5" }], signed_attestations: [] },
      ],
    });
    expect(protectionForImport([])).toBeUndefined();
  });
});

describe.each(ENGINES)("key migrations stored on %s", (engine) => {
  const T0 = "2026-11-21T10:00:00.000Z";
  const disposers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(disposers.splice(0).map((d) => d()));
  });

  async function seeded(): Promise<{ store: Store; repo: KeyMigrationsRepository; keys: string[]; clients: [string, string]; operatorId: string }> {
    const opened = await openTestStore(engine);
    disposers.push(opened.dispose);
    const { db } = opened.store;
    const operatorId = randomUUID();
    await new OperatorsRepository(db).insert({ id: operatorId, name: "op", reward_address: null, active: 1, key_limit: null, token_hash: randomUUID(), created_at: T0, updated_at: T0 });
    const keys = [`0x${"a1".repeat(48)}`, `0x${"b2".repeat(48)}`];
    await new ValidatorKeysRepository(db).insertMany(
      keys.map((pubkey, i) => ({
        pubkey, operator_id: operatorId, source: "keystore", derivation_path: null, withdrawal_credentials: null, amount_gwei: null, deposit_signature: null,
        deposit_message_root: null, deposit_data_root: null, state: "active", validator_index: i === 0 ? 4_000_000_000 : null, in_custody: 1, created_at: T0, updated_at: T0,
      })),
    );
    const clients: [string, string] = [randomUUID(), randomUUID()];
    for (const [i, id] of clients.entries()) {
      await new ValidatorClientsRepository(db).insert({ id, operator_id: operatorId, url: `http://127.0.0.1:${5000 + i}`, token_encrypted: "x", created_at: T0, last_polled_at: null, last_error: null });
    }
    return { store: opened.store, repo: new KeyMigrationsRepository(db), keys, clients, operatorId };
  }

  function keyRow(migrationId: string, pubkey: string): KeyMigrationKeyRow {
    return {
      migration_id: migrationId, pubkey, state: "requested", validator_index: null, removed_epoch: null, offline_epochs: "[]", deadline_at: T0, protection: null,
      import_attempts: 0, import_sent_at: null, abort_code: null, abort_message: null, created_at: T0, updated_at: T0, removed_at: null, finished_at: null,
    };
  }

  async function create(s: Awaited<ReturnType<typeof seeded>>, pubkeys: readonly string[]): Promise<string> {
    const id = randomUUID();
    await s.repo.create(
      { id, operator_id: s.operatorId, from_client_id: s.clients[0], to_client_id: s.clients[1], offline_epochs_required: 2, epoch_seconds: 384, created_at: T0 },
      pubkeys.map((p) => keyRow(id, p)),
    );
    return id;
  }

  it("lets a key be in one open migration only, and in a new one once the last is over; a refused request leaves nothing", async () => {
    const s = await seeded();
    const [k0, k1] = s.keys as [string, string];
    const first = await create(s, [k0]);
    const error = await create(s, [k1, k0]).catch((e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
    expect(await s.repo.list(undefined, 10)).toHaveLength(1);
    expect(await s.repo.openFor([k0, k1])).toEqual(new Map([[k0, first]]));
    expect(await s.repo.advance(first, k0, { state: "requested" }, { state: "aborted", abort_code: "SOURCE_UNREACHABLE" }, T0)).toBe(true);
    const second = await create(s, [k0]);
    expect(await s.repo.openFor([k0])).toEqual(new Map([[k0, second]]));
  });

  it("makes each step once: a second driver's compare-and-set finds the state moved on", async () => {
    const s = await seeded();
    const [k0] = s.keys as [string];
    const id = await create(s, [k0]);
    const step = () => s.repo.advance(id, k0, { state: "requested" }, { state: "removing" }, T0);
    expect(await Promise.all([step(), step()])).toEqual(expect.arrayContaining([true, false]));
    await s.repo.advance(id, k0, { state: "removing" }, { state: "importing" }, T0);
    const send = () => s.repo.advance(id, k0, { state: "importing", importAttempts: 0 }, { import_attempts: 1, import_sent_at: T0 }, T0);
    expect([await send(), await send()]).toEqual([true, false]);
    expect((await s.repo.openKeys())[0]).toMatchObject({ pubkey: k0, state: "importing", import_attempts: 1, from_client_id: s.clients[0], to_client_id: s.clients[1], epoch_seconds: 384 });
  });

  it("lists the keys expected offline (waiting only), with the registry's index when the migration has none", async () => {
    const s = await seeded();
    const [k0, k1] = s.keys as [string, string];
    const id = await create(s, [k0, k1]);
    expect(await s.repo.keysExpectedOffline()).toEqual([]);
    await s.repo.advance(id, k0, { state: "requested" }, { state: "waiting_offline", removed_epoch: 77 }, T0);
    await s.repo.advance(id, k1, { state: "requested" }, { state: "waiting_offline", validator_index: 12 }, T0);
    expect(await s.repo.keysExpectedOffline()).toEqual([
      { pubkey: k0, validatorIndex: 4_000_000_000, since: 77, migrationId: id },
      { pubkey: k1, validatorIndex: 12, since: null, migrationId: id },
    ]);
    expect(await s.repo.countOpenByState()).toEqual([{ state: "waiting_offline", n: 2 }]);
    await s.repo.advance(id, k0, { state: "waiting_offline" }, { state: "importing" }, T0);
    expect((await s.repo.keysExpectedOffline()).map((k) => k.pubkey)).toEqual([k1]);
  });
});

describe("migration settings", () => {
  const VALID = {
    STAKEOPS_ADMIN_TOKEN: "x".repeat(32),
    STAKEOPS_KEYSTORE_PASSWORD: "y".repeat(20),
    STAKEOPS_NETWORK: "hoodi",
    STAKEOPS_WITHDRAWAL_ADDRESS: "0x0000000000000000000000000000000000000001",
  };
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadConfig({ env: { ...VALID, ...env } });
      return [];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.details.problems.map((p) => p.setting);
    }
  };

  it("defaults: two offline epochs, a ten-epoch timeout, a tick every 12 s", () => {
    expect(loadConfig({ env: VALID }).migration).toEqual({ intervalMs: 12_000, offlineEpochs: 2, timeoutEpochs: 10 });
  });

  it.each([
    // [case, settings, the setting blamed]
    ["one offline epoch is not enough", { STAKEOPS_MIGRATION_OFFLINE_EPOCHS: "1" }, ["STAKEOPS_MIGRATION_OFFLINE_EPOCHS"]],
    ["a timeout the offline epochs cannot fit in", { STAKEOPS_MIGRATION_OFFLINE_EPOCHS: "4", STAKEOPS_MIGRATION_TIMEOUT_EPOCHS: "4" }, ["STAKEOPS_MIGRATION_TIMEOUT_EPOCHS"]],
    ["no interval", { STAKEOPS_MIGRATION_INTERVAL_SECONDS: "0" }, ["STAKEOPS_MIGRATION_INTERVAL_SECONDS"]],
    ["a longer wait is fine", { STAKEOPS_MIGRATION_OFFLINE_EPOCHS: "3", STAKEOPS_MIGRATION_TIMEOUT_EPOCHS: "4" }, []],
  ])("%s", (_case, env, blamed) => {
    expect(problems(env)).toEqual(blamed);
  });
});
